import { performance } from 'node:perf_hooks';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { clientAddressHeaders, currentTraceContext, principalHeaders, tracingEnabled, type Logger } from '@commerce/kit';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { RouterContext } from './context.js';
import { SubgraphFetchError } from './fetch/errors.js';
import { graphqlFetcher, isMutation } from './fetch/graphql.js';
import { SubgraphFetchLayer } from './fetch/layer.js';
import type { SubgraphOutcome } from './metrics.js';
import { LogThrottle } from './policies/persisted-queries/log-throttle.js';
import { retrySafe, subgraphFetchError } from './subgraph-errors.js';
import { endSpan, routerTracer } from './tracing.js';

const signedPrincipals = new WeakMap<RouterContext, { headers: Record<string, string>; signedAt: number; shareKey: string }>();
/**
 * A signature is reused within a request, but subgraphs refuse one older than 5 minutes, and a subscription's
 * context outlives that (its events fetch entities with it): re-signed after a minute.
 */
const RESIGN_AFTER_MS = 60_000;
/** Requests (by context) with a mutation fetch that may have reached a subgraph: retrying them is not safe. */
const mutationsSent = new WeakSet<RouterContext>();
/** Who an anonymous request is, for sharing fetches (fetch/layer.ts): everyone without a principal alike. */
const ANONYMOUS = 'anonymous';

export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 30_000;

export interface SubgraphSourceOptions {
  url: string;
  /** The subgraph's name: in errors (`extensions.service`), spans and logs. */
  name: string;
  routerSecret: string;
  /** Longest wait for a subgraph's complete answer (headers and body), default DEFAULT_SUBGRAPH_TIMEOUT_MS. */
  timeoutMs?: number;
  /**
   * The router's HTTP client for subgraphs (pools, retries, breakers, de-duplication): the subgraph is registered
   * with it under `name`. Default: one of the source's own, with FETCH_DEFAULTS.
   */
  fetchLayer?: SubgraphFetchLayer;
  /** Times each fetch of an operation (health checks are not timed). */
  observe?: (outcome: SubgraphOutcome, seconds: number) => void;
  logger: Logger;
}

/**
 * How the gateway calls a subgraph: every fetch of an operation (root fields, mutations, entity fetches) goes
 * through the router's fetch layer (fetch/layer.ts), with the client request's deadline (RouterContext.deadline).
 * The verified principal and the client's address travel as HMAC-signed headers (identity throttles log-ins per
 * address). Nothing from the client's request is forwarded, in particular not its token.
 * A fetch that fails (unreachable, circuit open, timed out, non-2xx, not GraphQL) becomes an error with a code
 * the client can act on and whether resending the operation is safe (see subgraph-errors.ts); the gateway keeps
 * what the other fetches returned.
 */
export class SubgraphSource implements GraphQLDataSource<RouterContext> {
  private readonly name: string;
  private readonly routerSecret: string;
  private readonly timeoutMs: number;
  private readonly layer: SubgraphFetchLayer;
  private readonly observe?: (outcome: SubgraphOutcome, seconds: number) => void;
  private readonly logger: Logger;
  // A subgraph that is down fails every request: one log line per code per interval, with the count held back.
  private readonly failureLogs = new LogThrottle(10_000, 10);

  constructor(options: SubgraphSourceOptions) {
    this.name = options.name;
    this.routerSecret = options.routerSecret;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS;
    this.observe = options.observe;
    this.logger = options.logger;
    this.layer = options.fetchLayer ?? new SubgraphFetchLayer();
    this.layer.register(this.name, { url: options.url, timeoutMs: this.timeoutMs });
  }

  async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    if (!tracingEnabled()) return this.timed(options);
    // a client span per fetch; its traceparent goes on the request
    const parent = context.active();
    const span = routerTracer().startSpan(
      `fetch ${this.name}`,
      { kind: SpanKind.CLIENT, attributes: { 'graphql.subgraph': this.name } },
      parent,
    );
    try {
      const response = await context.with(trace.setSpan(parent, span), () => this.timed(options));
      endSpan(span, response.errors?.[0]?.message);
      return response;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  private async timed(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    if (!this.observe || !('incomingRequestContext' in options)) return this.fetch(options);
    const started = performance.now();
    let outcome: SubgraphOutcome = 'error'; // unless it answers without errors; a failed fetch throws
    try {
      const response = await this.fetch(options);
      if (!response.errors?.length) outcome = 'success';
      return response;
    } finally {
      this.observe(outcome, (performance.now() - started) / 1000);
    }
  }

  private async fetch(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    const { http: _http, ...request } = options.request;
    const mutation = isMutation(request.query ?? '');
    // Health checks and schema loads carry no client request: no principal, no deadline.
    const requestContext = 'incomingRequestContext' in options ? options.context : undefined;
    const signed = requestContext ? this.signed(requestContext) : undefined;
    const headers = tracingEnabled() ? { ...signed?.headers, ...currentTraceContext() } : signed?.headers;
    try {
      const scope = { headers, shareKey: signed?.shareKey ?? ANONYMOUS, deadline: requestContext?.deadline };
      const response = await graphqlFetcher(this.layer, scope).fetch(this.name, { ...request, query: request.query ?? '' });
      if (mutation && requestContext) mutationsSent.add(requestContext);
      return response;
    } catch (error) {
      if (!(error instanceof SubgraphFetchError)) throw error;
      const { failure } = error;
      if (mutation && failure.mayHaveReached && requestContext) mutationsSent.add(requestContext);
      const operation = 'incomingRequestContext' in options ? options.incomingRequestContext.operation?.operation : undefined;
      const safe = retrySafe(operation, failure, requestContext !== undefined && mutationsSent.has(requestContext));
      const held = this.failureLogs.take(failure.code);
      if (held !== undefined)
        this.logger.warn({ subgraph: this.name, code: failure.code, reason: failure.reason, held }, 'subgraph fetch failed');
      throw subgraphFetchError(this.name, failure, safe);
    }
  }

  /** Puts the signed principal, client address and trace context on a request's headers (anything with `set`). */
  willSendRequest({ request, context: requestContext }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    if (tracingEnabled()) for (const [name, value] of Object.entries(currentTraceContext())) headers.set(name, value);
    for (const [name, value] of Object.entries(this.signed(requestContext).headers)) headers.set(name, value);
  }

  /** The request's signed headers, signed once per request however many subgraph fetches it makes. */
  private signed(context: RouterContext): { headers: Record<string, string>; shareKey: string } {
    const now = Date.now();
    let signed = signedPrincipals.get(context);
    if (!signed || now - signed.signedAt > RESIGN_AFTER_MS) {
      const headers = {
        ...(context.principal ? principalHeaders(context.principal, this.routerSecret, now) : {}),
        // identity throttles log-ins per client address (the subgraph would otherwise see only the router's)
        ...(context.clientAddress ? clientAddressHeaders(context.clientAddress, this.routerSecret) : {}),
      };
      // Queries share a fetch only between requests of the same principal (its identity, not its signature).
      const shareKey = context.principal ? JSON.stringify(context.principal) : ANONYMOUS;
      signed = { headers, signedAt: now, shareKey };
      signedPrincipals.set(context, signed);
    }
    return signed;
  }
}
