import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idleFields, resumeFields, summarize, writeDatedCopy } from '../lib/results.js';
import { formatWorkloadTable } from '../lib/table.js';
import { idleConnections } from '../workloads/idle-connections.js';
import { resume1000 } from '../workloads/resume-1000.js';

const noFaults = { received: 0, lost: 0, duplicated: 0, reordered: 0, misrouted: 0 };

describe('idle-connections fields', () => {
  it('are memory grown per connection, CPU in percent of one core over the hold, and CPU per connection per heartbeat', () => {
    const fields = idleFields({
      connections: 1_000,
      before: { heapUsed: 10_000_000, rss: 50_000_000 },
      after: { heapUsed: 13_000_000, rss: 56_000_000 },
      holdCpuSeconds: 0.5,
      holdMs: 10_000,
      heartbeatMs: 1_000,
    });
    // 10 heartbeat rounds of 1 000 connections cost 0.5 s: 50 µs each; 0.5 s over 10 s is 5 % of a core.
    expect(fields).toEqual({ serverHeapBytesPerConnection: 3_000, serverRssBytesPerConnection: 6_000, serverCpuPercent: 5, cpuMicrosPerHeartbeat: 50 });
  });
});

describe('resume-1000 fields', () => {
  it('are the percentiles of the resume times and the checker counts', () => {
    const fields = resumeFields({ resumeMs: [30, 10, 20, 40], counts: { ...noFaults, received: 4_004, lost: 2 } });
    expect(fields).toEqual({ p50Ms: 20, p99Ms: 40, lost: 2, duplicated: 0, reordered: 0, misrouted: 0 });
  });

  it('has no percentiles when no resume completed, so the entry omits them rather than showing a time', () => {
    const entry = summarize(resume1000, 'x', { connections: 10, events: 1_000 }, [resumeFields({ resumeMs: [], counts: { ...noFaults, lost: 3_003 } })], { resumes: 3 });
    expect(entry).toEqual({ workload: 'resume-1000', system: 'x', repeats: 1, connections: 10, events: 1_000, config: { resumes: 3 }, lost: 3_003, duplicated: 0, reordered: 0 });
  });
});

describe('an idle-connections entry and table', () => {
  const trial = (heap: number, cpuSeconds: number) =>
    idleFields({ connections: 100, before: { heapUsed: 0, rss: 0 }, after: { heapUsed: heap * 100, rss: heap * 200 }, holdCpuSeconds: cpuSeconds, holdMs: 10_000, heartbeatMs: 1_000 });

  it('omits events and per-trial clock offsets, keeps the config, and takes medians', () => {
    const entry = summarize(idleConnections, 'ws-naive', { connections: 100, events: 0 }, [trial(3_000, 0.1), trial(2_000, 0.3), trial(4_000, 0.2)], { heartbeatMs: 1_000, holdMs: 10_000 });
    expect(entry).toEqual({
      workload: 'idle-connections',
      system: 'ws-naive',
      repeats: 3,
      connections: 100,
      config: { heartbeatMs: 1_000, holdMs: 10_000 },
      serverHeapBytesPerConnection: 3_000,
      serverRssBytesPerConnection: 6_000,
      serverCpuPercent: 2,
      cpuMicrosPerHeartbeat: 200,
    });
  });

  it('compares heap and CPU over the hold with the baselines', () => {
    const size = { connections: 100, events: 0 };
    const config = { heartbeatMs: 1_000, holdMs: 10_000 };
    const table = formatWorkloadTable(idleConnections, [
      summarize(idleConnections, 'ws-naive', size, [trial(2_000, 0.1)], config),
      summarize(idleConnections, 'agentwire-memory', size, [trial(4_000, 0.3)], config),
    ]);
    expect(table).toContain('### idle-connections (100 connections, heartbeatMs 1000, holdMs 10000, medians of 1 repeats; ratios are heap B/conn and CPU');
    expect(table).toContain('| agentwire-memory | 4,000 | 8,000 | 3 | 300 | heap B/conn 2.00×, CPU 3.00× |');
  });
});

describe('the dated copy of a run', () => {
  it('is never overwritten: a later run that day gets the time too, and a clash to the second is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
    try {
      const at = new Date('2026-12-04T05:30:07Z');
      expect(await writeDatedCopy(dir, 'full\n', at)).toBe(join(dir, '2026-12-04.json'));
      expect(await writeDatedCopy(dir, 'partial\n', at)).toBe(join(dir, '2026-12-04-0530.json'));
      expect(await writeDatedCopy(dir, 'again\n', at)).toBe(join(dir, '2026-12-04-053007.json'));
      await expect(writeDatedCopy(dir, 'once more\n', at)).rejects.toThrow(`${join(dir, '2026-12-04-053007.json')} exists already; pass --out FILE`);
      expect(await readFile(join(dir, '2026-12-04.json'), 'utf8')).toBe('full\n');
      expect(await readFile(join(dir, '2026-12-04-0530.json'), 'utf8')).toBe('partial\n');
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
