import type { ApolloServerPlugin } from '@apollo/server';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { RouterContext } from './context.js';

/**
 * The router's Prometheus metrics, served at `GET /metrics`. One registry per process (several routers in
 * one process, as in the tests, add to the same series). Label values are bounded: a code outside
 * REJECTION_CODES is counted as `OTHER`.
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

export function recordRejection(code: string): void {
  rejections.inc({ code: REJECTION_CODES.has(code) ? code : 'OTHER' });
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
          for (const code of codes) if (REJECTION_CODES.has(code)) recordRejection(code);
        },
      };
    },
  };
}
