import type { StreamWorkload } from './workload.js';

/** bench/README.md, "Workloads" `fanout-burst`: throughput when the producer emits as fast as it can. */
export const fanoutBurst: StreamWorkload = {
  kind: 'stream',
  name: 'fanout-burst',
  description: '1 000 connections, 200 000 events of ~300 bytes round-robin over the users, emitted as fast as the producer can',
  defaults: { connections: 1_000, events: 200_000 },
  quick: { connections: 20, events: 2_000 },
  plan: ({ connections, events }) => ({ kind: 'burst', users: connections, events }),
  fields: ['eventsPerSec', 'p50Ms', 'p99Ms', 'cpuSecondsPerMillion', 'serverHeapBytesPerConnection', 'lost', 'duplicated', 'reordered'],
  headline: { field: 'eventsPerSec', higherIsBetter: true },
};
