import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { httpServerMetrics, processMetricsRegistry } from '@commerce/kit';
import { FetchMetrics } from './fetch/metrics.js';

/**
 * The router's Prometheus metrics, served at `GET /metrics`: one RouterMetrics (and registry) per router,
 * so several routers in one process (tests, the bench) count apart. Node's process metrics are process-wide:
 * collected once (kit's processMetricsRegistry, shared with the subgraph servers of the embedded platform) and
 * served in every router's exposition.
 *
 * Label values are bounded: rejection codes come from REJECTION_CODES, operation and client names from
 * BoundedLabel (at most N distinct names per router, then `other`), operation types and outcomes from fixed
 * lists, subgraph names from the supergraph.
 */
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
  'SUBSCRIPTION_OVER_HTTP_NOT_SUPPORTED',
]);

/** `rejected`: a router policy refused the operation before it ran; `error`: it ran (or failed validation) with errors. */
export type OperationOutcome = 'success' | 'error' | 'rejected';
export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';
export type SubgraphOutcome = 'success' | 'error';
/** query_plan: the gateway's plan cache; apq: APQ lookups by hash; token: verified access tokens; document: parsed and validated operations. */
export const CACHES = ['query_plan', 'apq', 'token', 'document'] as const;
export type CacheName = (typeof CACHES)[number];

/** Label value for a missing name (anonymous operation, no client header). */
export const UNKNOWN = 'unknown';
/** Label value for names past the limit, or that do not look like names. */
export const OTHER = 'other';

export const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;
/** Client names are often `web-app` or `ios.store`: dashes and dots are allowed there. */
export const CLIENT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export interface MetricsLimits {
  /** Distinct operation names kept as label values (per router); later ones are `other`. */
  operationNames: number;
  /** Distinct `apollographql-client-name` values kept (per router). */
  clientNames: number;
}

export const METRICS_LIMITS: MetricsLimits = { operationNames: 200, clientNames: 50 };

/** Maps a client-chosen name to a label value, keeping at most `max` distinct values. */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly pattern: RegExp,
  ) {}

  value(raw: string | null | undefined): string {
    if (!raw) return UNKNOWN;
    if (this.seen.has(raw)) return raw; // the per-request path: one Set lookup
    if (this.seen.size >= this.max || !this.pattern.test(raw)) return OTHER;
    this.seen.add(raw);
    return raw;
  }
}

/** The router's routes, as OpenTelemetry `http_route` values (see kit's httpServerMetrics). */
export const ROUTER_ROUTES = [
  '/graphql',
  '/graphql/stream',
  '/explorer',
  '/explorer/assets/*',
  '/schema.graphql',
  '/oauth/token',
  '/health/live',
  '/health/ready',
  '/metrics',
] as const;

/**
 * OpenTelemetry's GraphQL `error.type` values (the GraphQL OTel working group's draft metrics), plus `_rejected`
 * for a router policy's refusal (router_rejections_total has its code). A success, and a partial answer whose
 * only errors are fields filtered by authorization, have none: they are no failure.
 */
export type GraphqlErrorType = '_parse_error' | '_validation_error' | '_execution_error' | '_rejected';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const PLANNING_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class RouterMetrics {
  /** What `GET /metrics` serves: this router's series and the process metrics. */
  readonly registry: Registry;
  readonly operationNames: BoundedLabel;
  readonly clientNames: BoundedLabel;
  private readonly rejections: Counter<'code'>;
  private readonly cost: Histogram<'kind'>;
  private readonly operations: Counter<'operation_name' | 'operation_type' | 'client_name' | 'outcome'>;
  private readonly operationSeconds: Histogram<'operation_type' | 'outcome'>;
  private readonly subgraphSeconds: Histogram<'subgraph' | 'outcome'>;
  private readonly planningSeconds: Histogram;
  private readonly graphqlPlanSeconds: Histogram;
  private readonly cacheHits: Record<CacheName, Counter.Internal>;
  private readonly cacheMisses: Record<CacheName, Counter.Internal>;
  private readonly subscriptionSources = new Set<() => number>();
  private readonly filtered: Counter;
  private readonly graphqlSeconds: Histogram<'graphql_operation_type' | 'graphql_operation_name' | 'error_type'>;
  /** Times every HTTP request (OpenTelemetry's http_server_request_duration_seconds); mount it first. */
  readonly http: RequestHandler;
  /** The subgraph fetch layer's attempts, retries, shared fetches and circuit states (fetch/metrics.ts). */
  readonly fetches: FetchMetrics;

  constructor(limits: MetricsLimits = METRICS_LIMITS) {
    const own = new Registry();
    const registers = [own];
    this.operationNames = new BoundedLabel(limits.operationNames, OPERATION_NAME);
    this.clientNames = new BoundedLabel(limits.clientNames, CLIENT_NAME);
    this.rejections = new Counter({
      name: 'router_rejections_total',
      help: 'Requests (or fields, for UNAUTHORIZED_FIELD_OR_TYPE) refused by a router policy, by error code',
      labelNames: ['code'],
      registers,
    });
    this.cost = new Histogram({
      name: 'router_operation_cost',
      help: 'Static cost of operations: the estimate before execution, and the actual cost of the response',
      labelNames: ['kind'],
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 50_000],
      registers,
    });
    this.operations = new Counter({
      name: 'router_operations_total',
      help: 'GraphQL operations (HTTP, WebSocket, SSE; a subscription once it ends), by operation name, type, client name and outcome',
      labelNames: ['operation_name', 'operation_type', 'client_name', 'outcome'],
      registers,
    });
    this.operationSeconds = new Histogram({
      name: 'router_operation_duration_seconds',
      help: 'Time from the request reaching the router to the response, per operation (HTTP only: subscriptions are not timed)',
      labelNames: ['operation_type', 'outcome'],
      buckets: SECONDS,
      registers,
    });
    this.subgraphSeconds = new Histogram({
      name: 'router_subgraph_request_duration_seconds',
      help: 'Time of each fetch from a subgraph; outcome error: HTTP failure or GraphQL errors in the response',
      labelNames: ['subgraph', 'outcome'],
      buckets: SECONDS,
      registers,
    });
    this.planningSeconds = new Histogram({
      name: 'router_query_planning_duration_seconds',
      help: 'Time the gateway spent building a query plan (cache misses only)',
      buckets: PLANNING_SECONDS,
      registers,
    });
    const hits = new Counter({
      name: 'router_cache_hits_total',
      help: 'Cache lookups that found an entry',
      labelNames: ['cache'],
      registers,
    });
    const misses = new Counter({
      name: 'router_cache_misses_total',
      help: 'Cache lookups that found nothing',
      labelNames: ['cache'],
      registers,
    });
    for (const cache of CACHES) {
      hits.inc({ cache }, 0); // every cache's series exists from the start, so rate() works before the first lookup
      misses.inc({ cache }, 0);
    }
    this.cacheHits = Object.fromEntries(CACHES.map((cache) => [cache, hits.labels({ cache })])) as Record<CacheName, Counter.Internal>;
    this.cacheMisses = Object.fromEntries(CACHES.map((cache) => [cache, misses.labels({ cache })])) as Record<CacheName, Counter.Internal>;
    const sources = this.subscriptionSources;
    new Gauge({
      name: 'router_subscriptions_active',
      help: 'Client subscriptions open on this router (WebSocket and SSE)',
      registers,
      collect() {
        let active = 0;
        for (const source of sources) active += source();
        this.set(active);
      },
    });
    this.filtered = new Counter({
      name: 'router_operations_filtered_total',
      help: 'Operations answered with data whose only errors are fields filtered by authorization (filter mode); router_operations_total counts them as outcome error',
      registers,
    });
    this.filtered.inc(0); // exists from the start: the error-rate alert subtracts it
    this.graphqlSeconds = new Histogram({
      name: 'graphql_server_request_duration_seconds',
      help: 'Duration of GraphQL operations over HTTP (OpenTelemetry graphql.server.request.duration, GraphQL OTel WG draft)',
      labelNames: ['graphql_operation_type', 'graphql_operation_name', 'error_type'],
      buckets: SECONDS,
      registers,
    });
    this.graphqlPlanSeconds = new Histogram({
      name: 'graphql_server_request_plan_duration_seconds',
      help: 'Time building query plans (OpenTelemetry graphql.server.request.plan.duration, GraphQL OTel WG draft)',
      buckets: PLANNING_SECONDS,
      registers,
    });
    this.http = httpServerMetrics(registers, ROUTER_ROUTES);
    this.fetches = new FetchMetrics(registers);
    this.registry = Registry.merge([processMetricsRegistry(), own]);
    live.add(this);
  }

  /** Counts a policy rejection; codes that are not policy rejections (validation errors, ...) are ignored. */
  rejection(code: string): void {
    if (REJECTION_CODES.has(code)) this.rejections.inc({ code });
  }

  operationCost(kind: 'estimated' | 'actual', cost: number): void {
    this.cost.observe({ kind }, cost);
  }

  /**
   * `operationName` and `clientName` must come from `operationNames.value()` and `clientNames.value()`. Without
   * `seconds` the operation is counted but not timed (operations of the subscription transports: a subscription's
   * lifetime is no latency).
   */
  operation(
    operationName: string,
    operationType: OperationType,
    clientName: string,
    outcome: OperationOutcome,
    seconds?: number,
    errorType?: GraphqlErrorType | null,
  ): void {
    this.operations.inc({ operation_name: operationName, operation_type: operationType, client_name: clientName, outcome });
    if (seconds === undefined) return;
    this.operationSeconds.observe({ operation_type: operationType, outcome }, seconds);
    const labels: Record<string, string> = { graphql_operation_name: operationName };
    // OTel leaves out what is not known: the type of an operation that did not parse, the error type of a success.
    if (operationType !== 'unknown') labels.graphql_operation_type = operationType;
    const error = errorType === undefined ? defaultErrorType(outcome) : errorType; // null: none
    if (error) labels.error_type = error;
    this.graphqlSeconds.observe(labels, seconds);
  }

  /** An operation answered with data whose only errors are fields authorization filtered out (filter mode). */
  filteredAnswer(): void {
    this.filtered.inc();
  }

  /** The timer of one subgraph's fetches, its label values bound once. */
  subgraphTimer(subgraph: string): (outcome: SubgraphOutcome, seconds: number) => void {
    const success = this.subgraphSeconds.labels({ subgraph, outcome: 'success' });
    const error = this.subgraphSeconds.labels({ subgraph, outcome: 'error' });
    return (outcome, seconds) => (outcome === 'success' ? success : error).observe(seconds);
  }

  queryPlanning(seconds: number): void {
    this.planningSeconds.observe(seconds);
    this.graphqlPlanSeconds.observe(seconds); // the planner does not know the operation's type: no label
  }

  cacheLookup(cache: CacheName, hit: boolean): void {
    (hit ? this.cacheHits : this.cacheMisses)[cache].inc();
  }

  /** Adds a count of active subscriptions to the gauge; returns the function that removes it. */
  trackSubscriptions(source: () => number): () => void {
    this.subscriptionSources.add(source);
    return () => this.subscriptionSources.delete(source);
  }

  /** Runs `fn` with these as the current metrics (see metricsScope). */
  run<T>(fn: () => T): T {
    return live.size > 1 ? metricsScope.run(this, fn) : fn();
  }

  /** Makes these the current metrics for the rest of the calling async flow (see metricsScope). */
  enter(): void {
    if (live.size > 1) metricsScope.enterWith(this);
  }

  close(): void {
    live.delete(this);
  }
}

function defaultErrorType(outcome: OperationOutcome): GraphqlErrorType | undefined {
  if (outcome === 'success') return undefined;
  return outcome === 'rejected' ? '_rejected' : '_execution_error';
}

/**
 * Which router's metrics a policy module records into: they call recordRejection() & co. without a handle.
 * With one router in the process (production) that is the one. With several (tests, the bench), each HTTP
 * request runs in its router's scope (run(), the first middleware), and the WebSocket transport's callbacks
 * into the router enter it (their events come from sockets, outside any request); outside any scope the
 * oldest router counts it. The scope is only used then: AsyncLocalStorage hooks every promise of the process.
 */
const metricsScope = new AsyncLocalStorage<RouterMetrics>();
const live = new Set<RouterMetrics>();

function current(): RouterMetrics | undefined {
  return metricsScope.getStore() ?? live.values().next().value;
}

export function recordRejection(code: string): void {
  current()?.rejection(code);
}

export function recordCost(kind: 'estimated' | 'actual', cost: number): void {
  current()?.operationCost(kind, cost);
}

export function recordCacheLookup(cache: CacheName, hit: boolean): void {
  current()?.cacheLookup(cache, hit);
}
