import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The soak's summary table, row name to value. */
function table(output: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of output.split('\n')) {
    const found = /^(\S.*?)\s{2,}(\S.*)$/.exec(line);
    if (found?.[1] !== undefined && found[2] !== undefined) rows.set(found[1], found[2]);
  }
  return rows;
}

// The soak of RELIABILITY.md in a short mode: half a minute, 20 users, Redis faults every 4 to 6 s.
describe('npm run soak, short', () => {
  it('with Redis stalled and restarted while /readyz is probed every second: no loss, no gap, every run ended once after its start', { timeout: 300_000 }, async () => {
    const args = ['--minutes', '0.5', '--users', '20', '--runs-per-second', '10', '--seed', '7', '--redis-chaos-min-s', '4', '--redis-chaos-max-s', '6'];
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', 'scripts/soak/run.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(output).toContain('soak: OK (zero loss)');
    expect(code).toBe(0);

    const rows = table(output);
    const [stalls, restarts] = (rows.get('Redis stalls (SIGSTOP 3-8 s) / restarts') ?? '').split(' / ').map(Number);
    expect(stalls).toBeGreaterThanOrEqual(1);
    expect(restarts).toBeGreaterThanOrEqual(1);
    const [sent, unavailable] = /^(\d+) \((\d+)\)$/.exec(rows.get('probes in Redis outages (503)') ?? '')?.slice(1).map(Number) ?? [];
    expect(sent).toBeGreaterThan(0);
    expect(unavailable).toBeGreaterThan(0);
    expect(Number(rows.get('runs in the log'))).toBeGreaterThan(0);
    expect(rows.get('runs without a terminal event')).toBe('0');
    expect(rows.get('runs ended twice / without agent_started')).toBe('0 / 0');
    expect(rows.get('LOST appends (critical)')).toBe('0 (0)');
    expect(rows.get('gaps seen by clients')).toBe('0');
  });
});
