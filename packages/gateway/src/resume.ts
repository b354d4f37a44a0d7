import type { StreamHead } from 'agentwire-core';
import type { Position, ResetReason } from 'agentwire-protocol';

/** Where a connection's stream starts, and why the client's position was not honoured when it was not. */
export interface ResumeDecision {
  /** The stream continues after this offset. */
  readonly afterOffset: number;
  /** Whether the client's position is honoured (`welcome.resumed`). */
  readonly resumed: boolean;
  /** Set when the client gave a position that cannot be honoured. */
  readonly reset?: ResetReason;
}

/**
 * The resume rules of docs/protocol.md §4, on the stream's head: no position gets what
 * comes after the head; a position of the current epoch that is still retained (or offset
 * 0: everything retained) continues after it; any other is reset, with its reason, to the head.
 */
export function decideResume(head: StreamHead, resume: Position | undefined): ResumeDecision {
  if (resume === undefined) return { afterOffset: head.head, resumed: false };
  let reset: ResetReason | undefined;
  if (resume.epoch !== head.epoch) reset = 'epoch_mismatch';
  else if (resume.offset > head.head) reset = 'offset_ahead';
  else if (resume.offset !== 0 && resume.offset < head.first - 1) reset = 'offset_expired';
  if (reset !== undefined) return { afterOffset: head.head, resumed: false, reset };
  return { afterOffset: resume.offset === 0 ? head.first - 1 : resume.offset, resumed: true };
}
