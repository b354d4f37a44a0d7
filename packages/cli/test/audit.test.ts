import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { audit, type AuditReport } from '../src/audit.js';
import { cli } from './run-cli.js';

const legacyApp = fileURLToPath(new URL('../../../examples/legacy-app', import.meta.url));
const migratedApp = fileURLToPath(new URL('../../../examples/legacy-app-migrated', import.meta.url));

async function jsonReport(path: string): Promise<AuditReport> {
  const { code, stdout } = await cli('audit', path, '--json');
  expect(code).toBe(0);
  return JSON.parse(stdout) as AuditReport;
}

describe('agentwire audit', () => {
  it('finds the five legacy patterns in examples/legacy-app: 0% through the emitter', async () => {
    const report = await jsonReport(legacyApp);
    expect(report.compliance).toBe(0);
    expect(report.through).toBe(0);
    expect(report.bypassing).toBe(8);
    expect(report.patterns).toEqual({ 'run-emitter': 0, 'websocket-send': 5, 'socket.io-emit': 1, 'response-write': 1, 'handmade-event': 1 });
    const byFile = Object.fromEntries(report.files.map((entry) => [entry.file.replace(/^.*legacy-app\//, ''), entry.bypassing]));
    expect(byFile).toEqual({
      'src/ws-server.ts': 2, // raw ws.send
      'src/socket-io-rooms.ts': 1, // io.to(room).emit
      'src/event-bridge.ts': 1, // the bridge's own send…
      'src/support-agent.ts': 1, // …and the hand-made event handed to it
      'src/sse.js': 1, // SSE res.write, in JavaScript
      'src/tool-notifier.ts': 2, // the per-tool notifier
    });
    // Name drift is reported too, but is not an emission site.
    expect(report.findings.map((finding) => finding.message)).toEqual([
      expect.stringContaining("'agent_event'"),
      expect.stringContaining("'tool_complete' looks like an agent event type but is not in the catalog; did you mean 'tool_completed'?"),
    ]);
  });

  it('finds only emitter calls in examples/legacy-app-migrated: 100%', async () => {
    const report = await jsonReport(migratedApp);
    expect(report.compliance).toBe(100);
    expect(report.bypassing).toBe(0);
    expect(report.through).toBe(7);
    expect(report.findings).toEqual([]);
  });

  it('prints the table with the percentage by default', async () => {
    const { code, stdout } = await cli('audit', legacyApp);
    expect(code).toBe(0);
    expect(stdout).toContain('8 emission sites: 0 through the emitter, 8 bypassing it');
    expect(stdout).toContain('compliance: 0.0% (0 / 8)');
    expect(stdout).toMatch(/src\/ws-server\.ts +0 +2 +0\.0%/);
    expect(stdout).toMatch(/websocket-send +bypassing +5/);
  });

  it('writes SARIF 2.1.0 with one result per bypass and finding', async () => {
    const { code, stdout } = await cli('audit', legacyApp, '--sarif');
    expect(code).toBe(0);
    const sarif = JSON.parse(stdout) as {
      version: string;
      runs: [{ results: { ruleId: string; level: string; locations: [{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }] }[]; properties: { compliance: number } }];
    };
    expect(sarif.version).toBe('2.1.0');
    const [run] = sarif.runs;
    expect(run.properties.compliance).toBe(0);
    expect(run.results.filter((result) => result.level === 'error')).toHaveLength(8);
    expect(run.results.filter((result) => result.level === 'warning')).toHaveLength(2);
    const wsSend = run.results.find((result) => result.locations[0].physicalLocation.artifactLocation.uri.endsWith('legacy-app/src/ws-server.ts'));
    expect(wsSend).toMatchObject({ ruleId: 'agentwire/no-direct-socket-send', locations: [{ physicalLocation: { region: { startLine: 20 } } }] });
  });

  it('--min exits 1 under the threshold and 0 at or above it', async () => {
    const under = await cli('audit', legacyApp, '--min', '50');
    expect(under.code).toBe(1);
    expect(under.stderr).toContain('compliance 0.0% is below --min 50%');
    expect((await cli('audit', migratedApp, '--min', '100')).code).toBe(0);
  });

  it('--allow exempts the sends of transport files, not the events they make by hand', async () => {
    const bridge = JSON.parse((await cli('audit', legacyApp, '--json', '--allow', '**/legacy-app/src/event-bridge.ts')).stdout) as AuditReport;
    expect(bridge.bypassing).toBe(7);
    const server = JSON.parse((await cli('audit', legacyApp, '--json', '--allow', 'examples/legacy-app/src/ws-server.ts')).stdout) as AuditReport;
    expect(server.bypassing).toBe(8);
    expect(server.patterns).toMatchObject({ 'websocket-send': 3, 'handmade-event': 3 });
  });

  it('exits 2 on bad arguments', async () => {
    const bad = await cli('audit', legacyApp, '--min', 'lots');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--min must be a percentage from 0 to 100, not "lots"');
    expect(await cli('audit', '--json', '--sarif')).toMatchObject({ code: 2, stderr: 'agentwire: --json and --sarif exclude each other\n' });
    expect(await cli('audit', '--frobnicate')).toMatchObject({ code: 2, stderr: 'agentwire: unknown option --frobnicate; see agentwire audit --help\n' });
  });

  it('audits a path outside the current folder, with paths and --allow globs relative to it', async () => {
    // Two projects side by side in the temp folder, far from the current folder (the repository).
    const root = mkdtempSync(path.join(tmpdir(), 'agentwire-audit-elsewhere-'));
    try {
      const legacy = path.join(root, 'legacy');
      cpSync(legacyApp, legacy, { recursive: true });
      const report = await jsonReport(legacy);
      expect(report.bypassing).toBe(8);
      expect(report.files.map((entry) => entry.file)).toContain(`${path.relative(process.cwd(), legacy).split(path.sep).join('/')}/src/ws-server.ts`);

      const here = path.join(root, 'app');
      mkdirSync(here);
      let printed = '';
      const code = await audit(['../legacy', '--json', '--allow', '../legacy/src/event-bridge.ts'], (text) => (printed += text), here);
      expect(code).toBe(0);
      const allowed = JSON.parse(printed) as AuditReport;
      expect(allowed.bypassing).toBe(7);
      expect(allowed.files.map((entry) => entry.file)).toContain('../legacy/src/ws-server.ts');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

