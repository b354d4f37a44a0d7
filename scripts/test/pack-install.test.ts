/**
 * What a new user meets, from a clone to their own TypeScript app, with nothing of this
 * repository's node_modules: the README's set-up from a clone (`npm ci && npm start`, then
 * `npx agentwire`), `npm publish --dry-run` of every public package, the tarballs as npm packs
 * them, installed with plain npm into an empty project, and there the quick start
 * (`npx agentwire serve`: the page and /healthz), the README's producer and client
 * (type-checked against the published types, then run), its eslint.config.js and its CI
 * recipe. The registry is used for third-party packages only.
 *
 * Slow by nature (two installs and a build), so one file whose steps run in order, each on
 * what the one before left. Everything happens in a copy of the working tree in the temp
 * folder: packing rewrites package.json files for a moment (scripts/pack-manifest.js), which
 * must never happen under the feet of the other tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { codeBlocks, codeBlockStartingWith, readRepoFile, REPO_ROOT } from './markdown.js';

const README = readRepoFile('README.md');
const work = mkdtempSync(path.join(tmpdir(), 'agentwire-pack-install-'));
const clone = path.join(work, 'clone');
const tarballs = path.join(work, 'tarballs');
const app = path.join(work, 'app');

/** The public packages: every workspace package that is not private, by folder. */
const PUBLIC = readdirSync(path.join(REPO_ROOT, 'packages'))
  .filter((folder) => existsSync(path.join(REPO_ROOT, 'packages', folder, 'package.json')))
  .map((folder) => ({ folder, manifest: JSON.parse(readRepoFile(`packages/${folder}/package.json`)) as Manifest }))
  .filter(({ manifest }) => manifest.private !== true);

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports?: Record<string, Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a shell command line as a user types it, with npm's own environment variables left out. */
function sh(command: string, cwd: string, env: Record<string, string> = {}): Promise<Result> {
  const child = start(command, cwd, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Starts a command line in a process group of its own, so that stopping it stops what it started (npm, then node). */
function start(command: string, cwd: string, env: Record<string, string> = {}): ChildProcess {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && key !== 'INIT_CWD' && key !== 'NODE_OPTIONS'));
  return spawn('sh', ['-c', command], { cwd, env: { ...clean, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

/** The URL a starting `agentwire serve` prints ("agentwire listening on http://…"). */
async function listeningUrl(child: ChildProcess): Promise<string> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`exited with ${code} before listening:\n${stderr.slice(-3000)}`))));
  const listening = (async () => {
    for await (const line of lines) {
      const url = /agentwire listening on (http:\/\/\S+?),? /.exec(line)?.[1];
      if (url !== undefined) return url;
    }
    throw new Error('no "listening" line');
  })();
  return Promise.race([listening, exited]);
}

/** Stops a started command line as a terminal's Ctrl-C would (SIGINT to its process group); resolves once it has exited. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-(child.pid ?? 0), 'SIGINT');
  await exited;
}

/** The page (its HTML and the script it loads) and /healthz of a running server. */
async function expectPageAndHealth(url: string): Promise<void> {
  const page = await fetch(`${url}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toContain('text/html');
  const html = await page.text();
  const script = /<script[^>]+src="\.?\/?([^"]+\.js)"/.exec(html)?.[1];
  expect(script, html).toBeDefined();
  const asset = await fetch(`${url}/${script ?? ''}`);
  expect(asset.status).toBe(200);
  expect((await asset.text()).length).toBeGreaterThan(1_000);
  expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
}

/** The command lines of a ```sh block, without comments. */
function commandLines(block: string): string[] {
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The README's quick start: the block for a project of one's own, and the one for a clone. */
const quickStart = README.slice(README.indexOf('## Quick start'), README.indexOf('\n## ', README.indexOf('## Quick start') + 1));
const [installBlock, cloneBlock] = codeBlocks(quickStart).filter(({ language }) => language === 'sh').map(({ body }) => commandLines(body));

afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

describe('from a clone to an app of your own, as the README says', () => {
  it("the quick start from a clone: `npm ci && npm start` serves the page and /healthz, then `npx agentwire` works", async () => {
    expect(cloneBlock).toEqual(['npm ci && npm start']);
    // A clone: the files git knows and would not ignore, as they are in this working tree.
    const listing = await sh('git ls-files -z --cached --others --exclude-standard', REPO_ROOT);
    expect(listing.code).toBe(0);
    for (const file of listing.stdout.split('\0').filter((name) => name !== '' && existsSync(path.join(REPO_ROOT, name)))) {
      mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
      cpSync(path.join(REPO_ROOT, file), path.join(clone, file));
    }
    // PORT=0 instead of the default 7070 (the README's own way to pick the port): a free one.
    const server = start(cloneBlock?.[0] ?? '', clone, { PORT: '0' });
    try {
      await expectPageAndHealth(await listeningUrl(server));
    } finally {
      await stop(server);
    }
    const version = await sh('npx agentwire --version', clone);
    expect(version).toMatchObject({ code: 0, stdout: `agentwire ${PUBLIC.find(({ folder }) => folder === 'cli')?.manifest.version ?? '?'}\n` });
  }, 600_000);

  it('`npm publish --dry-run` passes for every public package and skips the private ones', async () => {
    const { code, stdout, stderr } = await sh('npm publish --dry-run --workspaces', clone);
    expect(code, stderr).toBe(0);
    for (const { manifest } of PUBLIC) expect(stdout).toContain(`+ ${manifest.name}@${manifest.version}`);
    expect(stderr).not.toMatch(/auto-corrected|npm pkg fix/);
    expect(stderr).toContain('Skipping workspace agentwire-web, marked as private');
  }, 300_000);

  it('each tarball holds its types, its ESM entry points, a README and the LICENSE, and no sources or tests', async () => {
    const before = PUBLIC.map(({ folder }) => readFileSync(path.join(clone, 'packages', folder, 'package.json'), 'utf8'));
    const workspaces = PUBLIC.map(({ manifest }) => `-w ${manifest.name}`).join(' ');
    mkdirSync(tarballs);
    const { code, stdout, stderr } = await sh(`npm pack ${workspaces} --pack-destination ${tarballs} --json`, clone);
    expect(code, stderr).toBe(0);
    const packed = JSON.parse(stdout.slice(stdout.indexOf('['))) as { name: string; filename: string; files: { path: string }[] }[];
    expect(packed.map(({ name }) => name).sort()).toEqual(PUBLIC.map(({ manifest }) => manifest.name).sort());

    for (const { name, filename, files } of packed) {
      const paths = files.map((file) => file.path);
      expect(paths, name).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']));
      expect(paths.filter((file) => /^(src|test)\/|\.test\.|\.d\.ts\.map$|tsbuildinfo|^scripts\//.test(file)), name).toEqual([]);
      const manifest = JSON.parse((await sh(`tar -xOzf ${filename} package/package.json`, tarballs)).stdout) as Manifest;
      // ESM, every entry point with its types first, and every target in the tarball: no `source` condition left pointing at src/.
      for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
        expect(Object.keys(target), `${name} ${subpath}`).toEqual(['types', 'default']);
        for (const file of Object.values(target)) expect(paths, `${name} ${subpath}`).toContain(file.replace(/^\.\//, ''));
      }
      for (const file of [manifest.main, manifest.types, ...Object.values(manifest.bin ?? {})]) if (file !== undefined) expect(paths, name).toContain(file.replace(/^\.\//, ''));
    }
    // The server package carries the built page; agentwire-web (private) is no dependency of it.
    const server = packed.find(({ name }) => name === 'agentwire');
    expect(server?.files.map((file) => file.path)).toEqual(expect.arrayContaining(['web/index.html', 'bin/agentwire.js']));
    // Packing left the clone's package.json files as they were.
    expect(PUBLIC.map(({ folder }) => readFileSync(path.join(clone, 'packages', folder, 'package.json'), 'utf8'))).toEqual(before);
  }, 300_000);

  it('installs from the tarballs with plain npm into an empty project', async () => {
    // What the README's install commands name, as tarballs (not on the registry yet), and the tools of the steps below.
    const installs = [...README.matchAll(/`npm install (?:--save-dev )?([^`]+)`/g)].flatMap(([, names = '']) => names.split(' '));
    const ours = new Set(PUBLIC.map(({ manifest }) => manifest.name));
    expect(installBlock?.[0]).toBe('npm install agentwire');
    expect(installs.filter((name) => name.startsWith('agentwire') || name.includes('-agentwire')).every((name) => ours.has(name))).toBe(true);
    mkdirSync(app, { recursive: true });
    writeFileSync(path.join(app, 'package.json'), '{ "name": "my-agent-app", "private": true, "type": "module" }\n');
    const files = readdirSync(tarballs).map((file) => path.join(tarballs, file));
    const { code, stderr } = await sh(`npm install --no-audit --no-fund ${files.join(' ')} ws @types/ws tsx typescript @types/node eslint`, app);
    expect(code, stderr).toBe(0);
  }, 300_000);

  it('agentwire-client and agentwire-protocol bring neither ws, ioredis, jose, pino nor prom-client', () => {
    const manifestOf = (name: string): Manifest => JSON.parse(readFileSync(path.join(app, 'node_modules', name, 'package.json'), 'utf8')) as Manifest;
    const closure = (name: string, seen = new Set<string>()): Set<string> => {
      if (seen.has(name)) return seen;
      seen.add(name);
      const manifest = manifestOf(name);
      const optional = manifest.peerDependenciesMeta ?? {};
      const required = Object.keys(manifest.peerDependencies ?? {}).filter((peer) => optional[peer]?.optional !== true);
      for (const dependency of [...Object.keys(manifest.dependencies ?? {}), ...required]) closure(dependency, seen);
      return seen;
    };
    for (const browserPackage of ['agentwire-client', 'agentwire-protocol']) {
      const pulled = closure(browserPackage);
      expect(pulled.has('zod'), browserPackage).toBe(true);
      expect(['ws', 'ioredis', 'jose', 'pino', 'prom-client'].filter((heavy) => pulled.has(heavy)), browserPackage).toEqual([]);
    }
  });

  it('the quick start: `npx agentwire serve` serves the page and /healthz', async () => {
    expect(installBlock?.[1]).toBe('npx agentwire serve');
    const server = start(installBlock?.[1] ?? '', app, { PORT: '0' });
    try {
      await expectPageAndHealth(await listeningUrl(server));
    } finally {
      await stop(server);
    }
  }, 120_000);

  it("the README's producer and client type-check against the published types and run", async () => {
    for (const file of ['producer.ts', 'client.ts']) {
      const quoted = codeBlocks(README).filter(({ body }) => body.startsWith(`// examples/${file}:`));
      expect(quoted).toHaveLength(1);
      writeFileSync(path.join(app, file), quoted[0]?.body ?? '');
    }
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      '{ "compilerOptions": { "strict": true, "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022", "noEmit": true, "skipLibCheck": true, "types": ["node"] }, "include": ["*.ts", "src"] }\n',
    );
    const types = await sh('npx tsc -p .', app);
    expect(types.stdout + types.stderr).toBe('');
    expect(types.code).toBe(0);
    const producer = await sh('node --import tsx producer.ts', app);
    expect(producer.stderr).toBe('');
    expect(producer.stdout).toContain('a call after the end was refused: run_contract');
    const client = await sh('node --import tsx client.ts', app);
    expect(client.stderr).toBe('');
    expect(client.stdout).toContain('answer: 17 * 23 = 391.');
  }, 180_000);

  it("README's eslint.config.js and CI recipe pass an app that emits through the emitter and fail one that bypasses it", async () => {
    writeFileSync(path.join(app, 'eslint.config.js'), codeBlockStartingWith(README, '// eslint.config.js'));
    mkdirSync(path.join(app, 'src/transport'), { recursive: true });
    writeFileSync(
      path.join(app, 'src/notify.ts'),
      [
        "import type { Hub } from 'agentwire-core';",
        '',
        '/** Tells a user that their import is done: one run, through the emitter. */',
        'export async function notify(hub: Hub, userId: string, count: number): Promise<void> {',
        "  const run = hub.emitter({ userId, agent: 'importer' });",
        '  await run.start();',
        '  await run.complete({ text: `Imported ${count} orders.` });',
        '}',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(app, 'src/transport/socket.ts'), "import type WebSocket from 'ws';\n\nexport const forward = (ws: WebSocket, frame: string): void => ws.send(frame);\n");
    const workflow = codeBlockStartingWith(README, '# .github/workflows/agentwire.yml');
    const steps = [...workflow.matchAll(/^\s+- run: (.+?)(?:\s+#.*)?$/gm)].map(([, command = '']) => command.trim());
    expect(steps[0]).toBe('npm ci');

    for (const step of steps) {
      const { code, stdout, stderr } = await sh(step, app);
      expect(code, `${step}\n${stdout}\n${stderr}`).toBe(0);
    }
    const sarif = JSON.parse(readFileSync(path.join(app, 'agentwire.sarif'), 'utf8')) as { version: string; runs: { results: unknown[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]?.results).toEqual([]);

    // A pull request that sends an event past the emitter.
    writeFileSync(path.join(app, 'src/shortcut.ts'), "import type WebSocket from 'ws';\n\nexport const done = (ws: WebSocket): void => ws.send(JSON.stringify({ type: 'agent_completed', data: {} }));\n");
    const lint = await sh('npx eslint .', app);
    expect(lint.code).toBe(1);
    expect(lint.stdout).toContain('agentwire/no-direct-socket-send');
    expect(lint.stdout).toContain('agentwire/no-handmade-event');
    const gate = await sh(steps.at(-1) ?? '', app);
    expect(gate.code).toBe(1);
    expect(gate.stderr).toContain('is below --min 100%');
  }, 300_000);
});
