import { describe, expect, it } from 'vitest';
import { quickBench } from './quick-bench.js';

describe('npm run bench --quick', () => {
  it('runs ws-naive through every workload it can in separate processes and writes a well-formed result', async () => {
    const { stdout, stderr, results } = await quickBench(['--systems', 'ws-naive'], 60_000);
    expect(stdout).toContain('| ws-naive |');
    expect(stderr).toContain('resume-1000 × ws-naive: omitted (no resume');

    expect(results.machine).toEqual({
      cpus: expect.any(Number) as number,
      node: process.version,
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) as string,
    });
    expect(results.runs.map((r) => [r.workload, r.system])).toEqual([
      ['fanout-burst', 'ws-naive'],
      ['fixed-rate', 'ws-naive'],
      ['idle-connections', 'ws-naive'],
      ['agent-runs', 'ws-naive'],
      ['agent-runs-rate', 'ws-naive'],
    ]);
    const [burst, rate, idle] = results.runs;
    for (const entry of [burst!, rate!]) {
      expect(entry).toMatchObject({ repeats: 1, connections: 20, events: 2_000, lost: 0, duplicated: 0, reordered: 0 });
      expect(entry).not.toHaveProperty('misrouted');
      expect(entry.p50Ms).toBeGreaterThan(0);
      expect(entry.p99Ms).toBeGreaterThanOrEqual(entry.p50Ms!);
      expect(entry.cpuSecondsPerMillion).toBeGreaterThan(0);
      expect(entry.serverHeapBytesPerConnection).toEqual(expect.any(Number));
      expect(entry.trials).toHaveLength(1);
      expect(Math.abs(entry.trials![0]!.clockOffsetMs)).toBeLessThan(50);
      expect(entry.trials![0]!.clockOffsetUncertaintyMs).toBeGreaterThan(0);
      // One repeat: the trial's own figures are the entry's.
      expect(entry.trials![0]).toMatchObject({ p50Ms: entry.p50Ms, p99Ms: entry.p99Ms, cpuSecondsPerMillion: entry.cpuSecondsPerMillion, lost: 0 });
    }
    expect(burst!.eventsPerSec).toBeGreaterThan(0);
    expect(rate).not.toHaveProperty('eventsPerSec');

    // Every connection held through the hold (the trial fails otherwise), heartbeats at 500 ms.
    expect(idle).toMatchObject({ repeats: 1, connections: 200, config: { heartbeatMs: 500, holdMs: 2_000 } });
    for (const field of ['events', 'eventsPerSec', 'p50Ms', 'lost', 'trials']) expect(idle).not.toHaveProperty(field);
    // ws keeps a socket, its parser and its sender per connection: well above a few hundred bytes, below 100 KB.
    expect(idle!.serverHeapBytesPerConnection).toBeGreaterThan(500);
    expect(idle!.serverHeapBytesPerConnection).toBeLessThan(100_000);
    expect(idle!.serverRssBytesPerConnection).toEqual(expect.any(Number));
    expect(idle!.serverCpuPercent).toBeGreaterThan(0);
    expect(idle!.cpuMicrosPerHeartbeat).toBeGreaterThan(0);
    expect(stdout).toContain('### idle-connections (200 connections, heartbeatMs 500, holdMs 2000,');
  }, 90_000);

  it('plays agent runs on ws-naive, Socket.IO and agentwire, every event of every run delivered once and in order', async () => {
    const { stdout, results } = await quickBench(['--systems', 'ws-naive,socketio-recovery,agentwire-memory', '--workloads', 'agent-runs,agent-runs-rate'], 60_000);
    expect(stdout).toContain('### agent-runs (20 connections, 2000 events,');
    expect(stdout).toContain('### agent-runs-rate (20 connections, 2000 events,');
    expect(results.runs.map((r) => [r.workload, r.system])).toEqual(
      ['agent-runs', 'agent-runs-rate'].flatMap((workload) => ['ws-naive', 'socketio-recovery', 'agentwire-memory'].map((system) => [workload, system])),
    );
    for (const entry of results.runs) {
      // Two runs of 46–86 events per user at saturation; 30 runs over the 20 users at the fixed rate.
      expect(entry).toMatchObject({ repeats: 1, connections: 20, events: 2_000, lost: 0, duplicated: 0, reordered: 0 });
      expect(entry).not.toHaveProperty('misrouted');
      expect(entry.p99Ms).toBeGreaterThanOrEqual(entry.p50Ms!);
      expect(entry.cpuSecondsPerMillion).toBeGreaterThan(0);
    }
    expect(results.runs.filter((r) => r.workload === 'agent-runs').every((r) => r.eventsPerSec! > 0)).toBe(true);
    expect(results.runs.filter((r) => r.workload === 'agent-runs-rate').some((r) => 'eventsPerSec' in r)).toBe(false);
  }, 90_000);

  it('resumes fresh users that missed 1 000 events, on agentwire and on Socket.IO recovery, and times every resume', async () => {
    const { stdout, results } = await quickBench(['--systems', 'socketio-recovery,agentwire-memory', '--workloads', 'resume-1000'], 60_000);
    expect(stdout).toContain('### resume-1000 (20 connections, 1000 events, resumes 3,');
    expect(results.runs.map((r) => r.system)).toEqual(['socketio-recovery', 'agentwire-memory']);
    for (const entry of results.runs) {
      // A resume that did not recover (or missed, repeated or reordered an event) shows here or fails the run.
      expect(entry).toMatchObject({ workload: 'resume-1000', connections: 20, events: 1_000, config: { resumes: 3 }, lost: 0, duplicated: 0, reordered: 0 });
      expect(entry.p50Ms).toBeGreaterThan(0);
      expect(entry.p99Ms).toBeGreaterThanOrEqual(entry.p50Ms!);
      expect(entry).not.toHaveProperty('cpuSecondsPerMillion');
    }
  }, 90_000);
});
