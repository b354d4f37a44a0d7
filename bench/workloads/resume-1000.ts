import type { ResumeWorkload } from './workload.js';

/**
 * bench/README.md, "Workloads" `resume-1000`: a client that missed 1 000 events reconnects with resume;
 * the time from the start of its new connection (before the TCP connect) until it has
 * every one of them, verified. 30 resumes per trial, each by a fresh user, next to
 * 1 000 idle connections. Systems without resume are omitted.
 */
export const resume1000: ResumeWorkload = {
  kind: 'resume',
  name: 'resume-1000',
  description: '1 000 idle connections; 30 times, a fresh user misses 1 000 events of ~300 bytes and reconnects with resume',
  defaults: { connections: 1_000, events: 1_000 },
  quick: { connections: 20, events: 1_000 },
  resumes: { defaults: 30, quick: 3 },
  fields: ['p50Ms', 'p99Ms', 'lost', 'duplicated', 'reordered'],
  headline: { field: 'p50Ms', higherIsBetter: false },
  skipReason: (system) => system.withoutResume,
};
