import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { contextFrom, tracingEnabled } from '../tracing.js';

/**
 * A server span per GraphQL request, continuing the caller's trace (the router's `traceparent` header). Mounted
 * after the body parser: from here on the request runs in async continuations of this call, so the span stays the
 * active context for resolvers, database calls and the events they write.
 */
export function traceRequests(tracer: Tracer): RequestHandler {
  return (req, res, next) => {
    if (!tracingEnabled()) return next();
    const parent = contextFrom(req.headers);
    const body = req.body as { operationName?: unknown } | undefined;
    const operation = typeof body?.operationName === 'string' ? body.operationName.slice(0, 100) : undefined;
    const span = tracer.startSpan(operation ? `graphql ${operation}` : 'graphql', { kind: SpanKind.SERVER }, parent);
    if (operation) span.setAttribute('graphql.operation.name', operation);
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

/**
 * Continues the client's `traceparent` (if any) for what the rest of the pipeline starts, without a span of its own:
 * for long-lived requests such as a Server-Sent Events stream, whose operations open their own spans.
 */
export function continueClientTrace(): RequestHandler {
  return (req, _res, next) => (tracingEnabled() ? context.with(contextFrom(req.headers), next) : next());
}
