import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_COMMAND, DEMO_COMMAND, flagName, resolveServeConfig, SERVE_COMMAND, TAIL_COMMAND, type CommandSpec } from '../src/index.js';
import { cli } from './run-cli.js';

const COMMANDS: readonly CommandSpec[] = [SERVE_COMMAND, DEMO_COMMAND, TAIL_COMMAND, AUDIT_COMMAND];
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** A loopback port nothing listens on: taken from the system, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const scratch = mkdtempSync(path.join(tmpdir(), 'agentwire-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('agentwire --help, help <command>, <command> --help and --version', () => {
  it('--version prints the package version', async () => {
    expect(await cli('--version')).toEqual({ code: 0, stdout: `agentwire ${version}\n`, stderr: '' });
    expect((await cli('-v')).stdout).toBe(`agentwire ${version}\n`);
  });

  it('every command answers --help with its usage and every option of its table, and so does help <command>', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    for (const command of COMMANDS) {
      expect(top.stdout).toContain(command.summary);
      const help = await cli(command.name, '--help');
      expect(help, command.name).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(new RegExp(`^Usage: agentwire ${command.name} \\[options\\]`));
      for (const name of Object.keys(command.options)) expect(help.stdout, `${command.name} --${flagName(name)}`).toContain(`--${flagName(name)}`);
      expect(help.stdout).toContain('-h, --help');
      expect((await cli('help', command.name)).stdout).toBe(help.stdout);
      expect((await cli(command.name, '-h')).stdout).toBe(help.stdout);
    }
  });

  it('tail --help is its help, not an error', async () => {
    const { code, stdout } = await cli('tail', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('--token <value>');
    expect(stdout).toContain('[AGENTWIRE_URL]');
  });

  it('demo --help prints the help and runs nothing; a message that starts with - follows --', async () => {
    const help = await cli('demo', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: agentwire demo [options] [message...]');
    expect(help.stdout).not.toContain('agent_started');
    const dashed = await cli('demo', '--demo-delay-ms', '0', '--', '--help me count these words');
    expect(dashed.code).toBe(0);
    expect(dashed.stdout).toContain('> --help me count these words');
    expect(dashed.stdout).toContain('agent_completed');
  });

  it('refuses, in every command, an unknown option, a missing value and a stray argument, naming them', async () => {
    expect(await cli('tail', '--tokn', 'dev:a')).toEqual({ code: 2, stdout: '', stderr: 'agentwire: unknown option --tokn; see agentwire tail --help\n' });
    expect(await cli('serve', '--port')).toMatchObject({ code: 2, stderr: 'agentwire: --port needs a value; see agentwire serve --help\n' });
    expect(await cli('serve', '--host', '--port', '1')).toMatchObject({ code: 2, stderr: 'agentwire: --host needs a value; see agentwire serve --help\n' });
    expect(await cli('serve', 'now')).toMatchObject({ code: 2, stderr: 'agentwire: unexpected argument "now"; see agentwire serve --help\n' });
    expect(await cli('demo', '--port', '1')).toMatchObject({ code: 2, stderr: 'agentwire: unknown option --port; see agentwire demo --help\n' });
    expect(await cli('audit', '--allow')).toMatchObject({ code: 2, stderr: 'agentwire: --allow needs a value; see agentwire audit --help\n' });
    expect(await cli('serve', '--port', '1', '--port', '2')).toMatchObject({ code: 2, stderr: 'agentwire: --port is given twice\n' });
    expect(await cli('frobnicate')).toMatchObject({ code: 2, stderr: 'agentwire: unknown command "frobnicate"; see agentwire help\n' });
  });

  it('refuses a size or duration of 0 naming the flag or the variable, never the library option behind it; 0 stays allowed where it means something', async () => {
    for (const [args, message] of [
      [['serve', '--history-size', '0'], 'agentwire: --history-size must be at least 1, got 0'],
      [['serve', '--log', 'redis', '--redis-wait-timeout-ms', '0'], 'agentwire: --redis-wait-timeout-ms must be at least 1, got 0'],
    ] as const) {
      const { code, stderr } = await cli(...args);
      expect(code).toBe(2);
      expect(stderr).toContain(message);
    }
    expect(() => resolveServeConfig([], { AGENTWIRE_HEARTBEAT_MS: '0' })).toThrow('AGENTWIRE_HEARTBEAT_MS must be at least 1, got 0');
    expect(resolveServeConfig(['--log', 'redis', '--redis-wait-replicas', '0', '--coalesce-window-ms', '0', '--demo-delay-ms', '0', '--port', '0'], {})).toMatchObject({ redisWaitReplicas: 0, coalesceWindowMs: 0, demoDelayMs: 0, port: 0 });
  });
});

describe('agentwire serve refuses a configuration it cannot honour, naming the flag', () => {
  it('dev auth off loopback names --insecure-dev-auth', async () => {
    const { code, stderr } = await cli('serve', '--host', '0.0.0.0', '--port', '0');
    expect(code).toBe(2);
    expect(stderr).toContain('refused on --host 0.0.0.0');
    expect(stderr).toContain('--insecure-dev-auth');
    expect(stderr).not.toContain('insecureDevAuth');
  });

  it('--jwt-secret, --redis-url and --openai-model are refused without the option they belong to', async () => {
    expect(await cli('serve', '--jwt-secret', 'a'.repeat(40), '--port', '0')).toMatchObject({ code: 2, stderr: 'agentwire: --jwt-secret applies only with --auth jwt; see agentwire serve --help\n' });
    expect(await cli('serve', '--redis-url', 'redis://127.0.0.1:1', '--port', '0')).toMatchObject({ code: 2, stderr: 'agentwire: --redis-url applies only with --log redis|redis-cluster; see agentwire serve --help\n' });
    expect(await cli('serve', '--openai-model', 'tiny', '--port', '0')).toMatchObject({ code: 2, stderr: 'agentwire: --openai-model applies only with --agent openai; see agentwire serve --help\n' });
    // The environment is ambient (an OPENAI_API_KEY exported for other tools): its variables are not refused.
    expect(resolveServeConfig(['--port', '0'], { OPENAI_API_KEY: 'sk-elsewhere', AGENTWIRE_JWT_SECRET: 'x' })).toMatchObject({ auth: 'dev', openaiApiKey: 'sk-elsewhere' });
  });

  it('a PEM file that is missing or not a public key: the error names --jwt-public-key-file and the file', async () => {
    const missing = path.join(scratch, 'missing.pem');
    expect(await cli('serve', '--auth', 'jwt', '--jwt-public-key-file', missing, '--port', '0')).toEqual({
      code: 2,
      stdout: '',
      stderr: `agentwire: --jwt-public-key-file ${missing}: cannot read it (no such file)\n`,
    });
    const garbage = path.join(scratch, 'garbage.pem');
    writeFileSync(garbage, '-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n');
    const { code, stderr } = await cli('serve', '--auth', 'jwt', '--jwt-public-key-file', garbage, '--port', '0');
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^agentwire: --jwt-public-key-file ${garbage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a usable PEM public key: `));
  });

  it('a JWT secret that is too short is refused naming --jwt-secret, never printing the secret', async () => {
    const { code, stderr } = await cli('serve', '--auth', 'jwt', '--jwt-secret', 'short-secret', '--port', '0');
    expect(code).toBe(2);
    expect(stderr).toBe('agentwire: --jwt-secret: the JWT secret must be at least 32 characters\n');
  });
});

describe('agentwire tail against a server that is not there', () => {
  it('says it cannot reach the WebSocket URL, and why, and exits 1', async () => {
    const port = await closedPort();
    const { code, stderr } = await cli('tail', '--url', `http://127.0.0.1:${port}`, '--token', 'dev:alice');
    expect(code).toBe(1);
    expect(stderr).toContain(`agentwire: cannot reach ws://127.0.0.1:${port}/v1/ws (connect ECONNREFUSED 127.0.0.1:${port})`);
    expect(stderr).toContain('--url or AGENTWIRE_URL');
  });

  it('in delivery mode, says it cannot reach the report URL, and why, and exits 1', async () => {
    const port = await closedPort();
    const { code, stderr } = await cli('tail', '--delivery', '--url', `http://127.0.0.1:${port}`);
    expect(code).toBe(1);
    expect(stderr).toContain(`agentwire: cannot reach http://127.0.0.1:${port}/v1/admin/delivery (connect ECONNREFUSED 127.0.0.1:${port})`);
  });
});

describe('the option tables', () => {
  it('every option that requires another names an option of its own table', () => {
    for (const command of COMMANDS) {
      for (const [name, spec] of Object.entries(command.options)) {
        if (spec.requires !== undefined) expect(Object.keys(command.options), `${command.name} ${name}`).toContain(spec.requires.option);
      }
    }
  });
});
