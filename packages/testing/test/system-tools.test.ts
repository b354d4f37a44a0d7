import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SYSTEM_TOOLS, type SystemTool } from 'agentwire-testing/system-tools';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs a module in a Node process of its own whose system tools all point nowhere; resolves with its stderr. */
async function withoutTools(code: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', '--input-type=module', '-e', code], {
    cwd: root,
    env: { ...process.env, CHROMIUM_BIN: '/nonexistent/chromium', REDIS_SERVER_BIN: '/nonexistent/redis-server', PROMTOOL_BIN: '/nonexistent/promtool' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (exitCode) => resolve({ code: exitCode, stderr })));
}

describe('a test that needs a system tool where it is missing', () => {
  it.each(['chromium', 'promtool'] as const satisfies readonly SystemTool[])('fails asking for %s with the Debian package to install', async (tool) => {
    const { code, stderr } = await withoutTools(`import { requireTool } from 'agentwire-testing/system-tools'; requireTool('${tool}');`);
    expect(code).toBe(1);
    expect(stderr).toContain(`npm test needs ${tool} for ${SYSTEM_TOOLS[tool].neededBy}. Install it: apt-get install ${SYSTEM_TOOLS[tool].debianPackage}`);
  });

  it('fails starting its own redis-server, asking for the Debian package redis-server', async () => {
    const { code, stderr } = await withoutTools("import { RedisServer } from 'agentwire-testing/redis-process'; await RedisServer.start();");
    expect(code).toBe(1);
    expect(stderr).toContain('/nonexistent/redis-server cannot be run here: npm test needs redis-server for the Redis event log tests. Install it: apt-get install redis-server');
  });
});
