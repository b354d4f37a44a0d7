import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentEvent } from 'agentwire-protocol';
import { silentLogger, type Logger } from 'agentwire-gateway';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveServeConfig, startServer, type RunningServer } from '../src/index.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes: { key: string; value: OtlpValue }[];
  status: { code?: number; message?: string };
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[];
}
interface Received {
  readonly path: string | undefined;
  readonly contentType: string | undefined;
  readonly body: OtlpExport;
}

/** A stand-in OTLP/HTTP receiver (what Jaeger or a collector listens with on 4318): it keeps what it is sent. */
async function otlpReceiver(status = 200): Promise<{ url: string; received: Received[] } & AsyncDisposable> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url, contentType: req.headers['content-type'], body: JSON.parse(body) as OtlpExport });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Starts a run over the HTTP API and resolves with its terminal event. */
async function runToEnd(server: RunningServer, input: string): Promise<AgentEvent> {
  const ended = new Promise<AgentEvent>((resolve) => server.hub.addObserver({ onRunEnded: (_context, terminal) => resolve(terminal) }));
  const answer = await fetch(`${server.address.url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: 'Bearer dev:alice', 'content-type': 'application/json' },
    body: JSON.stringify({ input }),
  });
  expect(answer.status).toBe(202);
  return ended;
}

function attribute(attributes: { key: string; value: OtlpValue }[], key: string): string | undefined {
  return attributes.find((entry) => entry.key === key)?.value.stringValue;
}

const nanosToMs = (nanos: string | number): number => Number(BigInt(nanos) / 1_000_000n);

function capturingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warn: (_fields, message) => warnings.push(message), warnings };
}

describe('agentwire serve --otel-endpoint', () => {
  it('exports a run span with its tool span over OTLP/HTTP, flushed on graceful shutdown', async () => {
    await using receiver = await otlpReceiver();
    const config = resolveServeConfig(['--port', '0', '--no-web', '--demo-delay-ms', '0', '--otel-endpoint', `${receiver.url}/`], { OTEL_SERVICE_NAME: 'agentwire-test' });
    const server = await startServer(config, silentLogger);
    let terminal: AgentEvent;
    try {
      terminal = await runToEnd(server, 'What is 6 * 7?');
    } finally {
      await server.close();
    }

    expect(receiver.received.length).toBeGreaterThan(0);
    for (const request of receiver.received) {
      expect(request.path).toBe('/v1/traces');
      expect(request.contentType).toBe('application/json');
    }
    const resource = receiver.received[0]?.body.resourceSpans[0]?.resource;
    expect(attribute(resource?.attributes ?? [], 'service.name')).toBe('agentwire-test');

    const spans = receiver.received.flatMap((request) => request.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    expect(spans.map((span) => span.name).sort()).toEqual(['agentwire.run demo', 'agentwire.tool calculator']);
    const run = spans.find((span) => span.name === 'agentwire.run demo');
    const tool = spans.find((span) => span.name === 'agentwire.tool calculator');
    if (!run || !tool) throw new Error('spans missing');
    expect(tool.traceId).toBe(run.traceId);
    expect(tool.parentSpanId).toBe(run.spanId);
    expect(attribute(run.attributes, 'agentwire.run.id')).toBe(terminal.runId);
    expect(attribute(run.attributes, 'agentwire.run.outcome')).toBe('completed');
    expect(attribute(tool.attributes, 'gen_ai.tool.name')).toBe('calculator');
    expect(nanosToMs(run.endTimeUnixNano)).toBe(terminal.ts);
    expect(JSON.stringify(spans)).not.toContain('6 * 7');
    expect(JSON.stringify(spans)).not.toContain('alice');
  });

  it('logs a warning when the receiver refuses the spans, and still shuts down', async () => {
    await using receiver = await otlpReceiver(400);
    const logger = capturingLogger();
    const server = await startServer(resolveServeConfig(['--port', '0', '--no-web', '--demo-delay-ms', '0'], { AGENTWIRE_OTEL_ENDPOINT: receiver.url }), logger);
    try {
      await runToEnd(server, '/fail');
    } finally {
      await server.close();
    }
    expect(receiver.received.length).toBeGreaterThan(0);
    expect(logger.warnings).toContain('trace export failed; those spans are dropped');
  });

  it('refuses an endpoint that is not an http(s) URL, before it listens', async () => {
    for (const endpoint of ['127.0.0.1:4318', 'not a url', 'ftp://collector:4318']) {
      const config = resolveServeConfig(['--port', '0', '--no-web', '--otel-endpoint', endpoint], {});
      const started = startServer(config, silentLogger);
      await expect(started).rejects.toThrow(ConfigError);
      await expect(started).rejects.toThrow(/^--otel-endpoint: the OTLP endpoint must/);
    }
  });

  it('is off by default: no endpoint, no tracing', () => {
    expect(resolveServeConfig([], {}).otelEndpoint).toBeUndefined();
    expect(resolveServeConfig([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' }).otelEndpoint).toBe('http://otel:4318');
    expect(resolveServeConfig(['--otel-endpoint', 'http://a:4318'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318' }).otelEndpoint).toBe('http://a:4318');
  });
});
