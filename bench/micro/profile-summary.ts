import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { positiveInteger } from '../lib/cli-options.js';

/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) as two markdown tables: the
 * functions with the most self time and those with the most total time (self plus
 * callees; a function counted once per sample however often it recurses). With
 * `--svg FILE` it also renders a flame graph, without dependencies.
 *
 * Run: `node --import tsx bench/micro/profile-summary.ts bench/profiles/emitter.cpuprofile [--top 20] [--svg out.svg]`
 */

const USAGE = `Usage: node --import tsx bench/micro/profile-summary.ts PROFILE.cpuprofile [options]

  --top N      rows per table (default 20)
  --svg FILE   also write a flame graph of the profile as SVG
  --help       this text`;

/** The parts of the `.cpuprofile` format (Chrome DevTools protocol `Profiler.Profile`) read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Reads a `.cpuprofile`'s text; throws when it is not one. */
export function parseCpuProfile(text: string, name = 'the profile'): CpuProfile {
  const profile = JSON.parse(text) as Partial<CpuProfile> | null;
  if (
    typeof profile !== 'object' ||
    profile === null ||
    !Array.isArray(profile.nodes) ||
    !Array.isArray(profile.samples) ||
    !Array.isArray(profile.timeDeltas) ||
    profile.samples.length !== profile.timeDeltas.length ||
    typeof profile.startTime !== 'number' ||
    typeof profile.endTime !== 'number'
  ) {
    throw new Error(`${name} is not a V8 .cpuprofile (nodes, samples, timeDeltas, startTime, endTime)`);
  }
  return profile as CpuProfile;
}

/** One function's share of a profile, in microseconds. */
export interface FunctionTime {
  name: string;
  /** `path:line` relative to the repository, or empty for V8's own entries such as `(garbage collector)`. */
  location: string;
  selfUs: number;
  totalUs: number;
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function locationOf(frame: CpuProfile['nodes'][number]['callFrame']): string {
  if (frame.url === '') return '';
  const path = frame.url.startsWith('file://') ? relative(REPO_ROOT, fileURLToPath(frame.url)) : frame.url;
  // tsx runs TypeScript transformed, so V8's lines are the output's, not the source's: the file is all we can say.
  if (path.endsWith('.ts')) return path;
  // V8's line numbers are 0-based; editors count from 1.
  return `${path}:${frame.lineNumber + 1}`;
}

/** Each sample's node and duration: a sample lasts until the next one (the last gets the profile's end). */
function sampleDurations(profile: CpuProfile): Map<number, number> {
  const selfByNode = new Map<number, number>();
  let time = profile.startTime;
  const times = profile.timeDeltas.map((delta) => (time += delta));
  for (let i = 0; i < profile.samples.length; i++) {
    const node = profile.samples[i] as number;
    const duration = Math.max(0, (times[i + 1] ?? profile.endTime) - (times[i] as number));
    selfByNode.set(node, (selfByNode.get(node) ?? 0) + duration);
  }
  return selfByNode;
}

/** Self and total time per function (same name and location), most self time first. */
export function functionTimes(profile: CpuProfile): { functions: FunctionTime[]; sampledUs: number } {
  const selfByNode = sampleDurations(profile);
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, FunctionTime>();
  const keyOf = (id: number): string => {
    const frame = (byId.get(id) as CpuProfile['nodes'][number]).callFrame;
    const location = locationOf(frame);
    const name = frame.functionName || '(anonymous)';
    const key = `${name} ${location}`;
    if (!functions.has(key)) functions.set(key, { name, location, selfUs: 0, totalUs: 0 });
    return key;
  };
  let sampledUs = 0;
  for (const [id, duration] of selfByNode) {
    sampledUs += duration;
    (functions.get(keyOf(id)) as FunctionTime).selfUs += duration;
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) onStack.add(keyOf(at));
    for (const key of onStack) (functions.get(key) as FunctionTime).totalUs += duration;
  }
  functions.delete(`(root) `);
  return { functions: [...functions.values()].sort((a, b) => b.selfUs - a.selfUs), sampledUs };
}

/** Two markdown tables: top `top` functions by self time, then by total time. */
export function formatSummary(profile: CpuProfile, top: number): string {
  const { functions, sampledUs } = functionTimes(profile);
  const ms = (us: number) => (us / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 });
  const pct = (us: number) => `${((us / sampledUs) * 100).toFixed(1)} %`;
  const table = (title: string, rows: readonly FunctionTime[]) => [
    `${title}`,
    '',
    '| function | where | self ms | self | total ms | total |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map((f) => `| \`${f.name}\` | ${f.location ? `\`${f.location}\`` : ''} | ${ms(f.selfUs)} | ${pct(f.selfUs)} | ${ms(f.totalUs)} | ${pct(f.totalUs)} |`),
  ];
  const byTotal = [...functions].sort((a, b) => b.totalUs - a.totalUs);
  return [
    `${ms(sampledUs)} ms sampled, ${profile.samples.length} samples`,
    '',
    ...table(`Top ${top} by self time`, functions.slice(0, top)),
    '',
    ...table(`Top ${top} by total time`, byTotal.slice(0, top)),
  ].join('\n');
}

interface FlameFrame {
  name: string;
  location: string;
  us: number;
  children: Map<string, FlameFrame>;
}

/** The call tree merged by function along each path, with the time spent in and under each frame. */
function flameTree(profile: CpuProfile): FlameFrame {
  const selfByNode = sampleDurations(profile);
  const root: FlameFrame = { name: 'all', location: '', us: 0, children: new Map() };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const rootNode = profile.nodes[0];
  if (!rootNode) return root;
  const visit = (id: number, into: FlameFrame): number => {
    const node = byId.get(id) as CpuProfile['nodes'][number];
    let us = selfByNode.get(id) ?? 0;
    for (const child of node.children ?? []) {
      const frame = (byId.get(child) as CpuProfile['nodes'][number]).callFrame;
      const name = frame.functionName || '(anonymous)';
      const location = locationOf(frame);
      const key = `${name} ${location}`;
      let target = into.children.get(key);
      if (!target) {
        target = { name, location, us: 0, children: new Map() };
        into.children.set(key, target);
      }
      const childUs = visit(child, target);
      target.us += childUs;
      us += childUs;
    }
    return us;
  };
  root.us = visit(rootNode.id, root);
  return root;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
}

/**
 * A flame graph (callers below callees, width = time) as standalone SVG; hovering a frame
 * shows its name, file and time. Frames narrower than a pixel are left out.
 */
export function renderFlameGraph(profile: CpuProfile, title: string, width = 1600): string {
  const root = flameTree(profile);
  const rowHeight = 17;
  const rects: string[] = [];
  let depthMax = 0;
  const draw = (frame: FlameFrame, x: number, depth: number): void => {
    const w = (frame.us / root.us) * width;
    if (w < 1) return;
    depthMax = Math.max(depthMax, depth);
    const label = `${frame.name}${frame.location ? ` (${frame.location})` : ''}: ${(frame.us / 1000).toFixed(1)} ms, ${((frame.us / root.us) * 100).toFixed(1)} %`;
    // Warm colours for our code, grey for V8 and Node internals.
    const ours = frame.location.startsWith('packages/') || frame.location.startsWith('bench/');
    const hue = ours ? 20 + (hashOf(frame.name) % 40) : 0;
    const fill = ours ? `hsl(${hue},80%,60%)` : `hsl(0,0%,${70 + (hashOf(frame.name) % 15)}%)`;
    const text = w > 40 ? `<text x="${(x + 3).toFixed(1)}" y="${rowHeight * 0.75}" >${escapeXml(truncate(frame.name, Math.floor((w - 6) / 6.5)))}</text>` : '';
    rects.push(
      `<g transform="translate(0,${depth * rowHeight})"><title>${escapeXml(label)}</title>` +
        `<rect x="${x.toFixed(1)}" width="${w.toFixed(1)}" height="${rowHeight - 1}" fill="${fill}"/>${text}</g>`,
    );
    let childX = x;
    for (const child of [...frame.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      draw(child, childX, depth + 1);
      childX += (child.us / root.us) * width;
    }
  };
  draw(root, 0, 0);
  const height = (depthMax + 1) * rowHeight;
  const header = 24;
  // Flip vertically so the root is at the bottom, as flame graphs draw it.
  const body = rects.map((r) => r.replace(/translate\(0,(\d+)\)/, (_, y: string) => `translate(0,${header + height - Number(y) - rowHeight})`));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${header + height}" font-family="monospace" font-size="11">`,
    `<text x="4" y="16" font-size="14">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function hashOf(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) >>> 0;
  return hash;
}

function truncate(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, Math.max(0, chars - 1))}…`;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: true,
    options: { top: { type: 'string' }, svg: { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  const path = positionals[0] as string;
  const profile = parseCpuProfile(await readFile(path, 'utf8'), path);
  console.log(formatSummary(profile, positiveInteger('top', values.top) ?? 20));
  if (values.svg !== undefined) {
    await writeFile(values.svg, renderFlameGraph(profile, `CPU profile: ${relative(process.cwd(), path)}`));
    console.log(`\nwrote ${values.svg}`);
  }
  return 0;
}

// Runs as a program, and can be imported (by a test) without running.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
