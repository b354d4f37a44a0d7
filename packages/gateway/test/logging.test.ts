import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { connectAs, startServer } from 'agentwire-testing/gateway';

/** Log lines as parsed JSON objects, collected in memory. */
function memoryLog(): { lines: Record<string, unknown>[]; raw: string[]; destination: Writable } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, raw, destination };
}

describe('structured logs', () => {
  it('log the connection lifecycle and each run end as JSON lines, never a token or a payload', async () => {
    const log = memoryLog();
    const server = await startServer({ logger: createLogger({ level: 'info', destination: log.destination }) });
    try {
      const { client } = await connectAs(server, 'alice');
      client.send({ op: 'run', input: 'What is 17 * 23?' });
      const { runId } = await client.next('run_accepted');
      await client.event('agent_completed', runId);
      client.close();
      await client.closed;
      await expect.poll(() => log.lines.some((line) => line.msg === 'connection closed')).toBe(true);
    } finally {
      await server[Symbol.asyncDispose]();
    }
    expect(log.lines.find((line) => line.msg === 'connection welcomed')).toMatchObject({ level: 30, userId: 'alice', resumed: false });
    expect(log.lines.find((line) => line.msg === 'run ended')).toMatchObject({
      userId: 'alice',
      agent: 'demo',
      outcome: 'completed',
      tokens: expect.any(Number) as number,
      costUsd: expect.any(Number) as number,
      durationMs: expect.any(Number) as number,
    });
    expect(log.lines.find((line) => line.msg === 'connection closed')).toMatchObject({ userId: 'alice', code: 1005 });
    const text = log.raw.join('\n');
    expect(text).not.toContain('dev:alice');
    // The payload's own text: a bare '391' also turns up in ports (39183) and random ids.
    for (const payload of ['17 * 23', '= 391']) expect(text).not.toContain(payload);
  });

  it('redacts a token field even if code passes one, and honours the level', () => {
    const log = memoryLog();
    const logger = createLogger({ level: 'warn', destination: log.destination });
    logger.info({ a: 1 }, 'hidden at warn');
    logger.warn({ token: 'secret-token', nested: { authorization: 'Bearer x' } }, 'careless');
    return expect.poll(() => log.raw.length).toBe(1).then(() => {
      expect(log.raw[0]).not.toContain('secret-token');
      expect(log.raw[0]).not.toContain('Bearer x');
      expect(log.lines[0]).toMatchObject({ msg: 'careless', token: '[REDACTED]' });
    });
  });
});
