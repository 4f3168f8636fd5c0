import type { ApolloServerPlugin } from '@apollo/server';
import { context, trace, type Span } from '@opentelemetry/api';
import { tracerFor, tracingEnabled } from '@commerce/kit';
import type { RouterContext } from './context.js';

/** The router's tracer: spans of the `router` service. */
export const routerTracer = () => tracerFor('router');

/**
 * Spans for the phases Apollo Server runs inside the request span (kit's `traceRequests`, mounted before
 * Apollo): parsing and validation here; planning in metrics/gateway.ts, each subgraph fetch in
 * subgraph-source.ts. Off, it costs one check per request.
 */
export function tracingPlugin(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      if (!tracingEnabled()) return;
      const phase = (name: string) => {
        const span = routerTracer().startSpan(name, {}, context.active());
        return async (error?: unknown) => endSpan(span, error);
      };
      return {
        async parsingDidStart() {
          return phase('graphql.parse');
        },
        async validationDidStart() {
          const end = phase('graphql.validate');
          return (errors) => end(errors?.[0]);
        },
        async didResolveOperation({ operationName, operation }) {
          const request = trace.getSpan(context.active());
          if (operation) request?.setAttribute('graphql.operation.type', operation.operation);
          if (operationName) request?.updateName(`graphql ${operationName.slice(0, 100)}`);
        },
      };
    },
  };
}

export function endSpan(span: Span, error?: unknown): void {
  if (error) {
    span.recordException(error as Error);
    span.setStatus({ code: 2, message: error instanceof Error ? error.message : String(error) }); // 2: SpanStatusCode.ERROR
  }
  span.end();
}
