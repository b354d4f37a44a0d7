import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from 'agentwire-gateway';
import { describe, expect, it } from 'vitest';
import { resolveServeConfig, startServer } from '../src/index.js';

/** A chat-completions endpoint that streams one answer, as an OpenAI-compatible server does. */
async function fakeOpenAi(): Promise<{ url: string; server: Server; requests: unknown[] }> {
  const requests: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, extra: object = {}): string =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'tiny-1', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
      res.write(chunk({ role: 'assistant', content: 'Hello ' }));
      res.write(chunk({ content: 'there.' }));
      res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'tiny-1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server, requests };
}

describe('agentwire serve --agent openai', () => {
  it('makes an OpenAI-compatible model the default agent, configured by flags', async () => {
    const fake = await fakeOpenAi();
    const config = resolveServeConfig(['--port', '0', '--no-web', '--agent', 'openai', '--openai-base-url', fake.url, '--openai-model', 'tiny-1'], {});
    const server = await startServer(config, silentLogger);
    try {
      const headers = { authorization: 'Bearer dev:alice', 'content-type': 'application/json' };
      const ended = new Promise<{ runId: string }>((resolve) => server.hub.addObserver({ onRunEnded: (_context, terminal) => resolve(terminal) }));
      const started = (await (await fetch(`${server.address.url}/v1/runs`, { method: 'POST', headers, body: JSON.stringify({ input: 'Say hello' }) })).json()) as { runId: string };
      const terminal = await ended;
      expect(terminal.runId).toBe(started.runId);
      expect(terminal).toHaveProperty('type', 'agent_completed');
      expect(terminal).toMatchObject({ agent: 'openai', data: { result: { text: 'Hello there.' }, usage: { inputTokens: 5, outputTokens: 2 } } });
      expect(fake.requests[0]).toMatchObject({ model: 'tiny-1', stream: true });
    } finally {
      await server.close();
      fake.server.close();
    }
  });

  it('refuses --agent openai without a model, with a clear message', async () => {
    const config = resolveServeConfig(['--port', '0', '--no-web', '--agent', 'openai'], { OPENAI_MODEL: '' });
    await expect(startServer(config, silentLogger)).rejects.toThrow('--agent openai needs --openai-model (or OPENAI_MODEL)');
  });
});
