import type { ResetReason } from 'agentwire-protocol';

/** What the page says about one reset: a line in the timeline, and why a run that was going is now interrupted. */
export interface ResetText {
  readonly notice: string;
  readonly interrupted: string;
}

const LOST: ResetText = {
  notice: 'The server started its event stream over (a restart, or a log that lost its data): what came before this line is gone from the server.',
  interrupted: 'The server restarted (or lost its event log) before this run ended, so its end will never arrive. It is no longer running.',
};

const TEXTS: Readonly<Record<ResetReason, ResetText>> = {
  epoch_mismatch: LOST,
  // The server is behind what the page saw: its log was rolled back, which loses history too.
  offset_ahead: LOST,
  offset_expired: {
    notice: 'The page was away longer than the server keeps events: some events before this line were missed.',
    interrupted: 'This run ended while the page was away, and the server no longer keeps how it ended.',
  },
};

/**
 * The words for a reset (docs/protocol.md §4, resume rules): `reason` is the client's
 * `ResetInfo.reason`, one of the protocol's reset reasons or the client's `not_resumed`.
 */
export function describeReset(reason: string): ResetText {
  return (TEXTS as Readonly<Record<string, ResetText>>)[reason] ?? LOST;
}
