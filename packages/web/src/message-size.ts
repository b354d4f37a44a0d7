import { encodeClientFrame } from 'agentwire-protocol';

/**
 * Why a message cannot be sent, or `undefined` when it can: the `run` frame that would
 * carry it is larger than `maxFrameBytes`, the limit the server announced in `welcome`
 * (docs/protocol.md §2); sent, it would only make the server close the connection. The
 * client refuses such a frame too (`frame_too_large`); the page checks first so that it
 * can say so as the user types, before a run card is drawn.
 */
export function messageRefusal(text: string, agent: string, maxFrameBytes: number | undefined): string | undefined {
  if (maxFrameBytes === undefined) return undefined;
  const bytes = new TextEncoder().encode(encodeClientFrame({ op: 'run', input: text, agent })).byteLength;
  if (bytes <= maxFrameBytes) return undefined;
  return `Too long to send: this message takes ${bytes.toLocaleString('en-US')} bytes, and the server accepts at most ${maxFrameBytes.toLocaleString('en-US')} bytes per message (its maxFrameBytes). Shorten it to send it.`;
}
