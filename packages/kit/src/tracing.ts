import { context, propagation, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * OpenTelemetry tracing with W3C trace context. Off (no-op tracers, no cost) unless OTEL_EXPORTER_OTLP_ENDPOINT is
 * set or a test installs an exporter. Each service gets its own tracer provider, so its spans carry its own
 * `service.name` even when the embedded platform runs every service in one process; the context (the current span)
 * is shared through AsyncLocalStorage, and crosses processes in `traceparent` headers and event envelopes.
 */
let processors: SpanProcessor[] | undefined;
const providers = new Map<string, BasicTracerProvider>();

/** Reads OTEL_EXPORTER_OTLP_ENDPOINT once per process; the first caller wins. */
export function setupTracing(env: Record<string, string | undefined> = process.env): void {
  if (processors) return;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return;
  const url = `${endpoint.replace(/\/$/, '')}/v1/traces`;
  install([new BatchSpanProcessor(new OTLPTraceExporter({ url }))]);
}

/** Sends every span to `exporter` as soon as it ends (tests: an InMemorySpanExporter). */
export function exportSpansTo(exporter: SpanExporter): void {
  install([new SimpleSpanProcessor(exporter)]);
}

function install(spanProcessors: SpanProcessor[]): void {
  processors = spanProcessors;
  providers.clear();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** The tracer of `service` (a no-op tracer while tracing is off). */
export function tracerFor(service: string): Tracer {
  if (!processors) return trace.getTracer(service); // the API's no-op tracer until a provider is registered
  let provider = providers.get(service);
  if (!provider) {
    provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: processors });
    providers.set(service, provider);
  }
  return provider.getTracer(service);
}

export function tracingEnabled(): boolean {
  return processors !== undefined;
}

/** Flushes and stops every provider (process exit). */
export async function shutdownTracing(): Promise<void> {
  await Promise.allSettled([...providers.values()].map((provider) => provider.shutdown()));
}

/** The W3C headers of the current span (to put on an outgoing request or an event), empty when there is none. */
export function currentTraceContext(active: Context = context.active()): { traceparent?: string; tracestate?: string } {
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  return carrier.traceparent ? { traceparent: carrier.traceparent, ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) } : {};
}

/** The context a `traceparent` (from headers or an event) continues; the active one when there is none. */
export function contextFrom(carrier: { traceparent?: string; tracestate?: string } | Record<string, unknown>): Context {
  return propagation.extract(context.active(), carrier, {
    get: (headers, key) => {
      const value = (headers as Record<string, unknown>)[key];
      return typeof value === 'string' ? value : undefined;
    },
    keys: (headers) => Object.keys(headers),
  });
}

/** Runs `work` in a new span (child of `parent`), ending it afterwards and recording a thrown error. */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: { parent?: Context; kind?: number; attributes?: Record<string, string | number | boolean> },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: 2, message: error instanceof Error ? error.message : String(error) }); // 2: SpanStatusCode.ERROR
    throw error;
  } finally {
    span.end();
  }
}

// For tests and callers that inspect spans, from the SDK version kit uses.
export { SpanKind, type Context as OtelContext, type Tracer } from '@opentelemetry/api';
export { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
