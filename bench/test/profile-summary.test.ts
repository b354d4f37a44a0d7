import { describe, expect, it } from 'vitest';
import { formatSummary, functionTimes, parseCpuProfile, renderFlameGraph, type CpuProfile } from '../micro/profile-summary.js';

/** A call frame; `path` is relative to the repository, as the summary prints it. */
const frame = (functionName: string, path?: string) => ({
  functionName,
  url: path === undefined ? '' : new URL(`../../${path}`, import.meta.url).href,
  lineNumber: 0,
  columnNumber: 0,
});

/**
 * root → main → (build → stringify, append), and main → build again on a second path,
 * sampled every 100 µs: main 1 sample, build 2 + 1, stringify 3, append 2, GC 1.
 */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 7] },
    { id: 2, callFrame: frame('main', 'bench/micro/emitter.ts'), children: [3, 5, 6] },
    { id: 3, callFrame: frame('build', 'packages/core/src/run-emitter.ts'), children: [4] },
    { id: 4, callFrame: frame('stringify'), children: [] },
    { id: 5, callFrame: frame('append', 'packages/core/src/memory-event-log.ts'), children: [] },
    { id: 6, callFrame: frame('build', 'packages/core/src/run-emitter.ts'), children: [] },
    { id: 7, callFrame: frame('(garbage collector)'), children: [] },
  ],
  startTime: 0,
  endTime: 1000,
  samples: [2, 3, 3, 4, 4, 4, 5, 5, 6, 7],
  timeDeltas: [0, 100, 100, 100, 100, 100, 100, 100, 100, 100],
};

describe('profile-summary', () => {
  it('attributes self time per function and total time once per sample', () => {
    const { functions, sampledUs } = functionTimes(PROFILE);
    expect(sampledUs).toBe(1000);
    const byName = new Map(functions.map((f) => [f.name, f]));
    expect(byName.get('build')).toMatchObject({ location: 'packages/core/src/run-emitter.ts', selfUs: 300, totalUs: 600 });
    expect(byName.get('stringify')).toMatchObject({ location: '', selfUs: 300, totalUs: 300 });
    expect(byName.get('main')).toMatchObject({ selfUs: 100, totalUs: 900 });
    expect(byName.get('(garbage collector)')).toMatchObject({ selfUs: 100, totalUs: 100 });
    expect(byName.has('(root)')).toBe(false);
    expect(functions.map((f) => f.selfUs)).toEqual([...functions.map((f) => f.selfUs)].sort((a, b) => b - a));
  });

  it('prints both tables with shares of the sampled time', () => {
    const text = formatSummary(PROFILE, 2);
    expect(text).toContain('| `build` | `packages/core/src/run-emitter.ts` | 0.3 | 30.0 % | 0.6 | 60.0 % |');
    expect(text).toContain('| `main` | `bench/micro/emitter.ts` | 0.1 | 10.0 % | 0.9 | 90.0 % |');
  });

  it('renders a flame graph whose widths are the frames\' shares', () => {
    const svg = renderFlameGraph(PROFILE, 'test <profile>', 1000);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('test &lt;profile&gt;');
    // Children go left to right by name: the garbage collector's 10 % first, then main's 90 %.
    expect(svg).toMatch(/<title>main \(bench\/micro\/emitter.ts\): 0.9 ms, 90.0 %<\/title><rect x="100.0" width="900.0"/);
  });

  it('refuses what is not a .cpuprofile', () => {
    expect(() => parseCpuProfile('{"nodes":[]}', 'x.json')).toThrow(/x.json is not a V8 .cpuprofile/);
    expect(() => parseCpuProfile('null')).toThrow(/not a V8 .cpuprofile/);
    expect(() => parseCpuProfile(JSON.stringify({ ...PROFILE, timeDeltas: [0] }))).toThrow(/not a V8/);
    expect(() => parseCpuProfile('not json')).toThrow(SyntaxError);
    expect(parseCpuProfile(JSON.stringify(PROFILE)).samples).toHaveLength(10);
  });
});
