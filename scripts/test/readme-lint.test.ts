import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlockStartingWith, readRepoFile, REPO_ROOT as root } from './markdown.js';

/** README.md's `eslint.config.js`, as printed. */
const README_CONFIG = codeBlockStartingWith(readRepoFile('README.md'), '// eslint.config.js');

/**
 * A TypeScript project as a user has it: one file per rule, in each flavour the configs
 * promise (.ts, .tsx, .mts, .js, .jsx, .mjs, .cjs), and a transport file the README's
 * `allow` exempts.
 */
const PROJECT: Record<string, string> = {
  'package.json': '{ "name": "scratch-app", "private": true, "type": "module" }\n',
  'tsconfig.json': '{ "compilerOptions": { "strict": true, "module": "NodeNext", "jsx": "react-jsx" }, "include": ["src"] }\n',
  'src/notify.ts': [
    "import type WebSocket from 'ws';",
    'export function notify(ws: WebSocket, runId: string): void {',
    "  ws.send(JSON.stringify({ type: 'agent_started', runId, data: {} }));",
    '}',
    '',
  ].join('\n'),
  'src/badge.tsx': [
    'declare const client: { on(type: string, handler: () => void): void };',
    "client.on('agent_thought', () => undefined);",
    'export const Badge = (): unknown => <span>thinking</span>;',
    '',
  ].join('\n'),
  'src/support.mts': [
    'interface Hub { emitter(context: { userId: string; agent: string }): { start(): Promise<void>; complete(): Promise<void> } }',
    'export async function answer(hub: Hub, userId: string, found: boolean): Promise<void> {',
    "  const run = hub.emitter({ userId, agent: 'support' });",
    '  await run.start();',
    '  if (!found) return;',
    '  await run.complete();',
    '}',
    '',
  ].join('\n'),
  'src/legacy.js': "export const step = (socket) => socket.emit('update', { type: 'tool_executing', data: { tool: 'search' } });\n",
  'src/panel.jsx': "export const Panel = ({ event }) => (event.type === 'tool_complete' ? <b>done</b> : null);\n",
  'src/stream.mjs': "export const write = (res) => res.write(`data: ${JSON.stringify({ type: 'agent_completed', data: {} })}\\n\\n`);\n",
  'src/old-bridge.cjs': "module.exports = (ws) => ws.send(JSON.stringify({ type: 'agent_thinking', data: { text: 'hm' } }));\n",
  // A bypass only type information sees: `peer` is no connection-like name.
  'src/typed.ts': [
    "import type WebSocket from 'ws';",
    'export function relay(peer: WebSocket, runId: string): void {',
    "  peer.send(JSON.stringify({ runId, type: 'agent_completed', data: {} }));",
    '}',
    '',
  ].join('\n'),
  // The README's config with the project's type information, as typescript-eslint's type-checked configs set it up.
  'eslint.typed.config.js': [
    "import readme from './eslint.config.js';",
    '',
    'export default [...readme, { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } }];',
    '',
  ].join('\n'),
  'src/transport/socket.ts': [
    "import type WebSocket from 'ws';",
    'export function forward(ws: WebSocket, frame: { type: string }): void {',
    '  ws.send(JSON.stringify(frame));',
    '}',
    '',
  ].join('\n'),
};

/** What the README's config must report, per file: every rule fires somewhere, the transport file is left alone. */
const EXPECTED: Record<string, string[]> = {
  'src/notify.ts': ['agentwire/no-direct-socket-send', 'agentwire/no-handmade-event'],
  'src/badge.tsx': ['agentwire/no-unknown-event-type'],
  'src/support.mts': ['agentwire/require-terminal-event'],
  'src/legacy.js': ['agentwire/no-direct-socket-send', 'agentwire/no-handmade-event'],
  'src/panel.jsx': ['agentwire/no-unknown-event-type'],
  'src/stream.mjs': ['agentwire/no-direct-socket-send', 'agentwire/no-handmade-event'],
  'src/old-bridge.cjs': ['agentwire/no-direct-socket-send', 'agentwire/no-handmade-event'],
  'src/typed.ts': ['agentwire/no-handmade-event'],
  'src/transport/socket.ts': [],
  'eslint.config.js': [],
  'eslint.typed.config.js': [],
};

interface LintResult {
  filePath: string;
  messages: { ruleId: string | null; message: string }[];
}

/** Runs an ESLint command line in `cwd` (the plugin from its TypeScript sources, so no build is needed). */
function eslint(bin: string, args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '--conditions', 'source', bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

const ESLINTS = [
  { major: 9, bin: path.join(root, 'node_modules/eslint/bin/eslint.js') },
  { major: 10, bin: path.join(root, 'node_modules/eslint-v10/bin/eslint.js') },
] as const;

/** Typed linting builds a TypeScript program per run: seconds when quiet, minutes on a loaded machine. The timeout only stops a hang. */
const LINT_TIMEOUT_MS = 180_000;

describe("README.md's eslint.config.js in a TypeScript project", { timeout: LINT_TIMEOUT_MS }, () => {
  let project = '';

  beforeAll(() => {
    project = mkdtempSync(path.join(tmpdir(), 'agentwire-lint-readme-'));
    // The project's dependencies are this repository's: eslint-plugin-agentwire, typescript-eslint, ws's types.
    symlinkSync(path.join(root, 'node_modules'), path.join(project, 'node_modules'), 'dir');
    for (const [file, text] of Object.entries({ ...PROJECT, 'eslint.config.js': README_CONFIG })) {
      mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
      writeFileSync(path.join(project, file), text);
    }
  });

  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it.each(ESLINTS)('`eslint .` under ESLint $major lints .ts, .tsx, .mts, .js, .jsx, .mjs and .cjs files and every rule fires', async ({ major, bin }) => {
    const { version } = JSON.parse(readFileSync(path.join(bin, '../../package.json'), 'utf8')) as { version: string };
    expect(version).toMatch(new RegExp(`^${major}\\.`));

    const { code, stdout, stderr } = await eslint(bin, ['--format', 'json', '.'], project);
    expect(stderr).toBe('');
    const results = JSON.parse(stdout) as LintResult[];
    const reported = Object.fromEntries(
      results.map((result) => [path.relative(project, result.filePath).split(path.sep).join('/'), [...new Set(result.messages.map((m) => m.ruleId ?? m.message))].sort()]),
    );
    expect(reported).toEqual(EXPECTED);
    expect(code).toBe(1);
  });

  it.each(ESLINTS)('under ESLint $major, with type information configured, a connection is known by its type', async ({ bin }) => {
    const { code, stdout } = await eslint(bin, ['--config', 'eslint.typed.config.js', '--format', 'json', 'src/typed.ts'], project);
    const [result] = JSON.parse(stdout) as LintResult[];
    expect(result?.messages.map((m) => [m.ruleId, m.message.includes('type information: the receiver is a WebSocket')])).toEqual([
      ['agentwire/no-direct-socket-send', true],
      ['agentwire/no-handmade-event', false],
    ]);
    expect(code).toBe(1);
  });

  it("eslint-plugin-agentwire's README shows the same eslint.config.js", () => {
    expect(codeBlockStartingWith(readRepoFile('packages/eslint-plugin/README.md'), '// eslint.config.js')).toBe(README_CONFIG);
  });
});
