import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { Counter, Histogram, type Registry } from 'prom-client';

export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';
/** `rejected`: refused before execution (principal not from the router, malformed body, parse or validation error). */
export type RequestOutcome = 'success' | 'error' | 'rejected';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Error codes are ours or Apollo's (SCREAMING_SNAKE_CASE); anything else, or past the limit, counts as `other`. */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const MAX_ERROR_CODES = 50;

/** HTTP GraphQL requests and resolver errors of one subgraph (subscriptions over WebSocket are not counted). */
export class RequestMetrics {
  private readonly requests: Counter<'operation_type' | 'outcome'>;
  private readonly seconds: Histogram<'operation_type' | 'outcome'>;
  private readonly errors: Counter<'code'>;
  private readonly codes = new Set<string>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'subgraph_requests_total',
      help: 'GraphQL requests over HTTP, by operation type and outcome (rejected: refused before execution)',
      labelNames: ['operation_type', 'outcome'],
      registers,
    });
    this.seconds = new Histogram({
      name: 'subgraph_request_duration_seconds',
      help: 'Time from the request reaching the subgraph to the end of the response',
      labelNames: ['operation_type', 'outcome'],
      buckets: SECONDS,
      registers,
    });
    this.errors = new Counter({
      name: 'subgraph_resolver_errors_total',
      help: 'Errors raised while executing an operation (with a path), by extensions.code',
      labelNames: ['code'],
      registers,
    });
  }

  observe(operationType: OperationType, outcome: RequestOutcome, seconds: number): void {
    const labels = { operation_type: operationType, outcome };
    this.requests.inc(labels);
    this.seconds.observe(labels, seconds);
  }

  countErrors(errors: readonly GraphQLError[]): void {
    for (const error of errors) {
      if (error.path) this.errors.inc({ code: this.codeLabel(error.extensions?.code) });
    }
  }

  /** Counts resolver errors (the requests themselves are counted by the HTTP request scope). */
  plugin(): ApolloServerPlugin {
    return {
      requestDidStart: async () => ({
        didEncounterErrors: async ({ errors }) => this.countErrors(errors),
      }),
    };
  }

  private codeLabel(code: unknown): string {
    // A thrown Error without a code becomes INTERNAL_SERVER_ERROR in the response (see hideInternalErrors).
    const value = code === undefined ? 'INTERNAL_SERVER_ERROR' : code;
    if (typeof value !== 'string' || !ERROR_CODE.test(value)) return 'other';
    if (this.codes.has(value)) return value;
    if (this.codes.size >= MAX_ERROR_CODES) return 'other';
    this.codes.add(value);
    return value;
  }
}
