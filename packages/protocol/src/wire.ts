import type { ClientFrame, DecodeResult, ServerFrame } from './frames.js';
import { describeValidationError } from './validation-errors.js';
import { CLIENT_FRAME_SCHEMA, SERVER_FRAME_SCHEMA } from './wire-schema.js';
import { wireValidator } from './wire-validator.js';

/**
 * The wire as a client speaks it, without zod: the constants, the encoders, and the
 * validation of frames against the JSON Schemas generated from the zod schemas
 * (wire-schema.ts). The server validates what it receives with zod (frames.ts); a browser
 * bundle of the client carries no schema library.
 */

/** Protocol version spoken by this package (docs/protocol.md, its title). */
export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocol clients offer. */
export const SUBPROTOCOL = 'agentwire.v1';
/** The WebSocket path. */
export const WS_PATH = '/v1/ws';

/** Encodes one client frame as a client message. */
export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(frame);
}

/** Encodes one server frame. Several encoded frames may be batched with {@link joinFrames}. */
export function encodeServerFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/**
 * Encodes an `event` frame from an event already serialised once (the log keeps it
 * that way, so a fan-out to many connections never serialises the event again).
 */
export function encodeEventFrame(offset: number, eventJson: string): string {
  return `{"op":"event","offset":${offset},"event":${eventJson}}`;
}

/** Batches encoded frames into one server message. JSON never holds a raw newline. */
export function joinFrames(frames: readonly string[]): string {
  return frames.join('\n');
}

const serverFrameIssue = wireValidator(SERVER_FRAME_SCHEMA);
const clientFrameIssue = wireValidator(CLIENT_FRAME_SCHEMA);

/**
 * Splits a server message into its frames and validates each. A frame that does not
 * validate yields an error entry rather than throwing, so one bad frame cannot hide
 * the others.
 */
export function decodeServerMessage(text: string): DecodeResult<ServerFrame>[] {
  const results: DecodeResult<ServerFrame>[] = [];
  // Each line parsed where it lies, without `split`'s array of lines (bench/README.md, "Figures behind the code").
  let start = 0;
  for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
    results.push(decodeServerFrame(text.slice(start, end)));
    start = end + 1;
  }
  results.push(decodeServerFrame(start === 0 ? text : text.slice(start)));
  return results;
}

function decodeServerFrame(line: string): DecodeResult<ServerFrame> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, message: 'not JSON' };
  }
  const issue = serverFrameIssue(value);
  return issue === undefined ? { ok: true, frame: value as ServerFrame } : { ok: false, message: describeValidationError({ issues: [issue] }, value, 'the frame') };
}

/** What is wrong with a client frame about to be sent (as the server's `bad_frame` would say it), or undefined. */
export function clientFrameProblem(frame: ClientFrame): string | undefined {
  const issue = clientFrameIssue(frame);
  return issue === undefined ? undefined : describeValidationError({ issues: [issue] }, frame, 'the frame');
}
