/** Runs as OpenTelemetry traces: a hub observer built on `@opentelemetry/api` only. */
export { TracingObserver, TRACING_DEFAULTS, TRACER_NAME } from './tracing-observer.js';
export type { TracingObserverOptions } from './tracing-observer.js';

/** A ready OTLP/HTTP export with the OpenTelemetry SDK (optional peer dependencies, loaded on demand). */
export { startOtlpTracing, otlpTracesUrl, OTLP_TRACING_PACKAGES } from './otlp-tracing.js';
export type { OtlpTracing, OtlpTracingOptions } from './otlp-tracing.js';
