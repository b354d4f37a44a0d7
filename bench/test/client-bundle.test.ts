import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { clientBundleSize } from '../lib/client-bundle.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Issue 20's budget for a minimal browser app that uses agentwire-client: 25 kB gzipped. */
const GZIP_BUDGET_BYTES = 25_000;

describe('the browser client’s price', () => {
  // Bytes, not time: deterministic for a given tree and esbuild version.
  it(`bundles a minimal browser app with agentwire-client into at most ${GZIP_BUDGET_BYTES} bytes gzipped, without a schema library`, async () => {
    const size = await clientBundleSize();
    expect(size.gzipBytes).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
    expect(size.inputs.map((entry) => entry.input)).not.toContain('zod');
    expect(size.inputs.map((entry) => entry.input)).toContain('packages/client/src/client.ts');
  }, 30_000);

  it('runs bench/micro/client-events.ts (smoke: tiny sizes, measures nothing) and writes its JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agentwire-micro-client-'));
    try {
      const out = join(dir, 'client.json');
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions', 'source', 'bench/micro/client-events.ts', '--events', '500', '--samples', '2', '--out', out], {
        cwd: repoRoot,
        timeout: 60_000,
      });
      expect(stdout).toContain('| frames per message |');
      expect(stdout).toMatch(/minimal app bundle: \d+ B minified, \d+ B gzipped/);
      const results = JSON.parse(await readFile(out, 'utf8')) as { cases: { framesPerMessage: number; samplesNsPerEvent: number[] }[]; bundle: { gzipBytes: number } };
      expect(results.cases.map((c) => c.framesPerMessage)).toEqual([1, 16]);
      for (const c of results.cases) expect(c.samplesNsPerEvent).toHaveLength(2);
      expect(results.bundle.gzipBytes).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
