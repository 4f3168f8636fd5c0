import type { ApolloServerPlugin } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RouterContext } from './context.js';

/**
 * The router's Prometheus metrics, served at `GET /metrics`. One registry per process (several routers in
 * one process, as in the tests, add to the same series). Label values are bounded: only the codes in
 * REJECTION_CODES are counted.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const REJECTION_CODES = new Set([
  'UNAUTHENTICATED',
  'SERVICE_UNAVAILABLE',
  'UNAUTHORIZED_FIELD_OR_TYPE',
  'COST_ESTIMATED_TOO_EXPENSIVE',
  'MAX_DEPTH_LIMIT',
  'MAX_HEIGHT_LIMIT',
  'MAX_ALIASES_LIMIT',
  'MAX_ROOT_FIELDS_LIMIT',
  'PARSING_ERROR',
  'BATCH_LIMIT_EXCEEDED',
  'INTROSPECTION_DISABLED',
  'REQUEST_RATE_LIMITED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_IN_LIST',
  'PERSISTED_QUERY_ID_REQUIRED',
  'PERSISTED_QUERY_HASH_MISMATCH',
  'CANNOT_SEND_PQ_ID_AND_BODY',
]);

const rejections = new Counter({
  name: 'router_rejections_total',
  help: 'Requests (or fields, for UNAUTHORIZED_FIELD_OR_TYPE) refused by a router policy, by error code',
  labelNames: ['code'],
  registers: [registry],
});

const operationCost = new Histogram({
  name: 'router_operation_cost',
  help: 'Static cost of operations: the estimate before execution, and the actual cost of the response',
  labelNames: ['kind'],
  buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 50_000],
  registers: [registry],
});

/** Counts a policy rejection; codes that are not policy rejections (validation errors, ...) are ignored. */
export function recordRejection(code: string): void {
  if (REJECTION_CODES.has(code)) rejections.inc({ code });
}

const subscriptionSources = new Set<() => number>();
new Gauge({
  name: 'router_subscriptions_active',
  help: 'Client subscriptions open on this process (WebSocket and SSE)',
  registers: [registry],
  collect() {
    let active = 0;
    for (const source of subscriptionSources) active += source();
    this.set(active);
  },
});

/** Adds a router's active subscription count to the gauge; returns the function that removes it. */
export function trackSubscriptions(source: () => number): () => void {
  subscriptionSources.add(source);
  return () => subscriptionSources.delete(source);
}

export function recordCost(kind: 'estimated' | 'actual', cost: number): void {
  operationCost.observe({ kind }, cost);
}

/** Counts the policy rejections Apollo Server answers (each code once per response). */
export function rejectionMetrics(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;
          const codes = new Set((errors ?? []).map((error) => error.extensions?.code).filter((code): code is string => typeof code === 'string'));
          for (const code of codes) recordRejection(code);
        },
      };
    },
  };
}
