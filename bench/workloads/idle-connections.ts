import type { IdleWorkload } from './workload.js';

/**
 * bench/README.md, "Workloads" `idle-connections`: what a connection costs the server when nothing
 * happens but heartbeats. The heartbeat interval is shortened alike for every system
 * (5 s instead of their 25–30 s defaults) so that a 20 s hold sees four rounds; the CPU
 * per connection per heartbeat scales the figure back to any interval. Not 1 s: at
 * 20 000 connections that is 20 000 pings a second, more than the load generator
 * answers in time on two shared cores, and servers then drop healthy connections.
 */
export const idleConnections: IdleWorkload = {
  kind: 'idle',
  name: 'idle-connections',
  description: "20 000 connections held open 20 s with every system's heartbeat at 5 s; memory per connection after GC, CPU while idle",
  defaults: { connections: 20_000, events: 0 },
  quick: { connections: 200, events: 0 },
  hold: { defaults: { heartbeatMs: 5_000, holdMs: 20_000 }, quick: { heartbeatMs: 500, holdMs: 2_000 } },
  fields: ['serverHeapBytesPerConnection', 'serverRssBytesPerConnection', 'serverCpuPercent', 'cpuMicrosPerHeartbeat'],
  headline: { field: 'serverHeapBytesPerConnection', higherIsBetter: false },
};
