import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as Sdk from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { TRACER_NAME, TracingObserver, type TracingObserverOptions } from './tracing-observer.js';

/** The packages `startOtlpTracing` loads, optional peer dependencies of this one. */
export const OTLP_TRACING_PACKAGES = ['@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/resources'] as const;

export interface OtlpTracingOptions {
  /** OTLP/HTTP base URL of a collector, Jaeger or Tempo, e.g. `http://127.0.0.1:4318`; spans go to `/v1/traces` under it. */
  endpoint: string;
  /** The `service.name` of the spans. @default 'agentwire' */
  serviceName?: string;
  /** Told when a batch of spans could not be exported (the collector is down, refuses it...); the spans are dropped. */
  onExportError?: (error: Error) => void;
  /** Limits of the observer. */
  observer?: Omit<TracingObserverOptions, 'tracer'>;
  /** @internal Loads a module; tests replace it to see what happens when the SDK is not installed. */
  importModule?: (specifier: string) => Promise<unknown>;
}

/** A tracer provider exporting over OTLP/HTTP, and the hub observer that feeds it. */
export interface OtlpTracing {
  readonly observer: TracingObserver;
  /** Where spans are posted. */
  readonly url: string;
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Exports what is left, then stops; call it after the hub has closed so the last runs' spans go too. */
  shutdown(): Promise<void>;
}

/**
 * The OTLP/HTTP traces URL of a base endpoint: `http://host:4318` → `http://host:4318/v1/traces`.
 * @throws Error when `endpoint` is not an http(s) URL
 */
export function otlpTracesUrl(endpoint: string): string {
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new Error(`the OTLP endpoint must be an http(s) URL such as http://127.0.0.1:4318, got "${endpoint}"`);
  }
  return `${url.href.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts tracing to an OTLP/HTTP endpoint (JSON): a tracer provider of the
 * OpenTelemetry SDK with a batch span processor, and a {@link TracingObserver} to pass
 * to `createHub`. The provider is not registered globally: only agentwire's spans go
 * through it, and two servers in one process do not fight over the global.
 *
 * The SDK packages are optional peer dependencies, loaded only here.
 * @throws Error naming the packages to install when they are missing
 * @example
 * const tracing = await startOtlpTracing({ endpoint: 'http://127.0.0.1:4318' });
 * const hub = createHub({ log, agents, observers: [tracing.observer] });
 * // on shutdown, after hub.close():
 * await tracing.shutdown();
 */
export async function startOtlpTracing(options: OtlpTracingOptions): Promise<OtlpTracing> {
  const url = otlpTracesUrl(options.endpoint);
  const load = options.importModule ?? ((specifier: string) => import(specifier) as Promise<unknown>);
  let modules: unknown[];
  try {
    modules = await Promise.all(OTLP_TRACING_PACKAGES.map((specifier) => load(specifier)));
  } catch (error) {
    throw new Error(
      `tracing needs the OpenTelemetry SDK: npm install ${OTLP_TRACING_PACKAGES.join(' ')} (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
  const [sdk, exporterModule, resources] = modules as [typeof Sdk, typeof OtlpHttp, typeof Resources];
  const exporter = reportingFailures(new exporterModule.OTLPTraceExporter({ url }), options.onExportError);
  const resource = resources
    .defaultResource()
    // OTEL_RESOURCE_ATTRIBUTES (deployment.environment and the like) is honoured; the service name set here wins.
    .merge(resources.detectResources({ detectors: [resources.envDetector] }))
    .merge(resources.resourceFromAttributes({ 'service.name': options.serviceName ?? 'agentwire' }));
  const provider = new sdk.BasicTracerProvider({ resource, spanProcessors: [new sdk.BatchSpanProcessor(exporter)] });
  const observer = new TracingObserver({ ...options.observer, tracer: provider.getTracer(TRACER_NAME) });
  return {
    observer,
    url,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];
/** `ExportResultCode.SUCCESS` of `@opentelemetry/core`, which is not a dependency of ours. */
const EXPORT_SUCCESS = 0 as ExportResult['code'];

/** The exporter, telling `onError` of each batch that failed (the SDK would only tell its silent diag logger). */
function reportingFailures(inner: SpanExporter, onError: ((error: Error) => void) | undefined): SpanExporter {
  if (!onError) return inner;
  return {
    export(spans, done) {
      inner.export(spans, (result) => {
        if (result.code !== EXPORT_SUCCESS) onError(result.error ?? new Error('the trace export failed'));
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}
