/** Defaults of the hub's and emitter's limits (docs/protocol.md §5 and §7). */
export const HUB_DEFAULTS = {
  /** Event size above which data is truncated. */
  maxEventBytes: 65_536,
  /** Runs one user may have going at once. */
  maxActiveRunsPerUser: 4,
  /** A run still going after this long ends with `agent_error` code `timeout`. */
  runTimeoutMs: 600_000,
} as const;
