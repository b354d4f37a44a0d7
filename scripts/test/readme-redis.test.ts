/**
 * README's "Scale out on Redis" recipe, run as printed in one shell, line by line, on free
 * ports instead of its 6390, 7070 and 7071 (the only change): a Redis of its own, two nodes,
 * the worker; then the worker's run is on both nodes, and the README's stop line stops exactly
 * what the recipe started.
 */
import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { requireTool } from 'agentwire-testing/system-tools';
import { describe, expect, it } from 'vitest';
import { codeBlocks, readRepoFile, REPO_ROOT } from './markdown.js';

const README = readRepoFile('README.md');
const section = README.slice(README.indexOf('## Scale out on Redis'), README.indexOf('\n## ', README.indexOf('## Scale out on Redis') + 1));
const recipe = codeBlocks(section).find(({ language }) => language === 'sh')?.body ?? '';
const stopLine = /Stop it all with `([^`]+)`/.exec(section)?.[1] ?? '';

/** Ports nothing listens on: taken from the system, then released. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Whether something accepts connections on a loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface StreamPage {
  events: { offset: number; event: { type: string; agent: string; data: Record<string, unknown> } }[];
}

describe("README's Redis recipe", () => {
  it('runs as printed: both nodes serve the worker\'s run from the Redis of its own, and the stop line stops what it started', async () => {
    requireTool('redis-server');
    expect(recipe).toContain('redis-server --port 6390 ');
    expect(recipe).not.toContain('6379');
    expect(stopLine).toBe('kill %1 %2 %3');
    const [redisPort = 0, firstPort = 0, secondPort = 0] = await freePorts(3);
    const lines = recipe
      .replaceAll('6390', String(redisPort))
      .replaceAll('7070', String(firstPort))
      .replaceAll('7071', String(secondPort))
      .split('\n')
      .filter((line) => line.trim() !== '');

    const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && !key.startsWith('AGENTWIRE_') && key !== 'NODE_OPTIONS'));
    const shell = spawn('bash', [], { cwd: REPO_ROOT, env: { ...clean, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const output: string[] = [];
    const waiters: { match: (line: string) => boolean; resolve: () => void }[] = [];
    createInterface({ input: shell.stdout }).on('line', (line) => {
      output.push(line);
      for (const waiter of waiters.filter(({ match }) => match(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
    let stderr = '';
    shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => shell.once('exit', () => resolve()));
    const jobs: number[] = [];
    /** Types a line into the shell; resolves once the shell printed a line containing `expected`. */
    const type = (line: string, expected?: string): Promise<void> => {
      const seen = expected === undefined || output.some((printed) => printed.includes(expected)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ match: (printed) => printed.includes(expected), resolve }));
      shell.stdin.write(`${line}\n`);
      return Promise.race([seen, exited.then(() => Promise.reject(new Error(`the shell exited at: ${line}\n${stderr}`)))]);
    };
    try {
      // A terminal's shell has job control: each `&` job is a process group of its own, which `kill %n` signals whole.
      await type('set -m');
      const [redis = '', exportLine = '', first = '', second = '', worker = ''] = lines;
      await type(redis, 'Ready to accept connections');
      await type(exportLine);
      await type(first, `agentwire listening on http://127.0.0.1:${firstPort}`);
      await type(second, `agentwire listening on http://127.0.0.1:${secondPort}`);
      // The jobs' process groups, so that a failing test still stops them.
      await type('echo "jobs: $(jobs -p | tr \'\\n\' \' \')"', 'jobs: ');
      jobs.push(...(output.find((line) => line.startsWith('jobs: ')) ?? '').slice(6).trim().split(' ').map(Number));
      await type(`${worker}; echo "worker exited with $?"`, 'worker exited with');
      expect(output).toContain('worker exited with 0');

      for (const port of [firstPort, secondPort]) {
        const response = await fetch(`http://127.0.0.1:${port}/v1/events?after=0`, { headers: { authorization: 'Bearer dev:alice' } });
        expect(response.status).toBe(200);
        const { events } = (await response.json()) as StreamPage;
        expect(events.map(({ offset }) => offset)).toEqual(events.map((_, index) => index + 1));
        expect(events[0]?.event).toMatchObject({ type: 'agent_started', agent: 'importer' });
        expect(events.at(-1)?.event).toMatchObject({ type: 'agent_completed', data: { result: { text: 'Imported 3 rows from orders.csv.' } } });
      }

      await type(`${stopLine}; wait; exit`);
      await exited;
      expect(await Promise.all([redisPort, firstPort, secondPort].map(listening))).toEqual([false, false, false]);
    } finally {
      for (const group of [...jobs, shell.pid ?? 0]) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }, 120_000);
});
