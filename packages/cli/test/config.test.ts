import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationMarkdown, envName, flagName, resolveServeConfig, SERVE_OPTIONS, serveHelp } from '../src/index.js';

describe('agentwire serve configuration', () => {
  it('has a default for one machine: 127.0.0.1:7070, dev auth, memory log', () => {
    expect(resolveServeConfig([], {})).toMatchObject({ host: '127.0.0.1', port: 7070, auth: 'dev', log: 'memory', historySize: 10_000, demoDelayMs: 150 });
  });

  it('takes a flag over its AGENTWIRE_* variable over the default; PORT also sets the port', () => {
    expect(resolveServeConfig([], { PORT: '8080' }).port).toBe(8080);
    expect(resolveServeConfig([], { PORT: '8080', AGENTWIRE_PORT: '9090' }).port).toBe(9090);
    expect(resolveServeConfig(['--port', '1234'], { AGENTWIRE_PORT: '9090' }).port).toBe(1234);
    expect(resolveServeConfig(['--history-ttl-ms=5000'], {}).historyTtlMs).toBe(5000);
    expect(resolveServeConfig([], { AGENTWIRE_MAX_BUFFERED_BYTES: '1000' }).maxBufferedBytes).toBe(1000);
    expect(resolveServeConfig(['--insecure-dev-auth'], {}).insecureDevAuth).toBe(true);
  });

  it('gives every option a flag and a variable derived from its name', () => {
    expect(flagName('historyTtlMs')).toBe('history-ttl-ms');
    expect(envName('historyTtlMs')).toBe('AGENTWIRE_HISTORY_TTL_MS');
    const help = serveHelp();
    for (const name of Object.keys(SERVE_OPTIONS)) {
      expect(help).toContain(`--${flagName(name)}`);
      expect(help).toContain(envName(name));
    }
  });

  it('refuses unknown flags, bad numbers and bad choices with a clear message', () => {
    expect(() => resolveServeConfig(['--prot', '1'], {})).toThrow('unknown option --prot');
    expect(() => resolveServeConfig(['--port', 'eighty'], {})).toThrow('--port must be a non-negative integer, got "eighty"');
    expect(() => resolveServeConfig([], { AGENTWIRE_AUTH: 'magic' })).toThrow('AGENTWIRE_AUTH must be one of dev, jwt, got "magic"');
    expect(() => resolveServeConfig(['--host'], {})).toThrow('--host needs a value');
  });

  it('docs/configuration.md matches the table (run npm run docs after changing it)', () => {
    const file = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    expect(file).toBe(configurationMarkdown());
  });
});
