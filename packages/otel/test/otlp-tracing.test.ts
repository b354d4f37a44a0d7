import { describe, expect, it } from 'vitest';
import { OTLP_TRACING_PACKAGES, otlpTracesUrl, startOtlpTracing } from '../src/index.js';

describe('otlpTracesUrl', () => {
  it('puts /v1/traces under the base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT means it', () => {
    expect(otlpTracesUrl('http://127.0.0.1:4318')).toBe('http://127.0.0.1:4318/v1/traces');
    expect(otlpTracesUrl('http://127.0.0.1:4318/')).toBe('http://127.0.0.1:4318/v1/traces');
    expect(otlpTracesUrl('https://otel.example.com/tenant-a/')).toBe('https://otel.example.com/tenant-a/v1/traces');
  });

  it('refuses what is not an http(s) URL', () => {
    for (const endpoint of ['', 'localhost', '127.0.0.1:4318', 'collector:4318', 'grpc://collector:4317', 'file:///tmp/spans']) {
      expect(() => otlpTracesUrl(endpoint)).toThrow(`the OTLP endpoint must be an http(s) URL such as http://127.0.0.1:4318, got "${endpoint}"`);
    }
  });
});

describe('startOtlpTracing', () => {
  it('names the packages to install when the SDK is missing', async () => {
    const missing = '@opentelemetry/sdk-trace-base-not-installed';
    const started = startOtlpTracing({
      endpoint: 'http://127.0.0.1:4318',
      // A real failed import of a package that is not there, in place of the SDK's.
      importModule: (specifier) => import(specifier === '@opentelemetry/sdk-trace-base' ? missing : specifier),
    });
    await expect(started).rejects.toThrow(`tracing needs the OpenTelemetry SDK: npm install ${OTLP_TRACING_PACKAGES.join(' ')}`);
    await expect(started).rejects.toThrow(missing);
  });

  it('checks the endpoint before loading anything', async () => {
    let loaded = 0;
    const started = startOtlpTracing({ endpoint: 'collector:4318', importModule: () => Promise.resolve(loaded++) });
    await expect(started).rejects.toThrow('must be an http(s) URL');
    expect(loaded).toBe(0);
  });

  it('starts with the installed SDK and shuts down with nothing to export', async () => {
    const tracing = await startOtlpTracing({ endpoint: 'http://127.0.0.1:9/' });
    expect(tracing.url).toBe('http://127.0.0.1:9/v1/traces');
    expect(tracing.observer.openSpans).toBe(0);
    await tracing.flush();
    await tracing.shutdown();
  });
});
