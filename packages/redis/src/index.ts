/** The event log on Redis, for more than one node. */
export { RedisEventLog, REDIS_LOG_DEFAULTS } from './redis-event-log.js';
export type { RedisEventLogOptions } from './redis-event-log.js';

/** Cancels that reach the process running the agent, from any node. */
export { RedisRunControl, RUN_CONTROL_DEFAULTS, WORKER_LOST } from './redis-run-control.js';
export type { RedisRunControlOptions } from './redis-run-control.js';

/** A Redis URL (or a cluster's seeds) as it may be logged: the password redacted. */
export { redactedRedisUrl } from './redis-client.js';
