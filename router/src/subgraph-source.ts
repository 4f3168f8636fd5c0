import { performance } from 'node:perf_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { clientAddressHeaders, currentTraceContext, principalHeaders, tracingEnabled, type Logger } from '@commerce/kit';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { GraphQLError } from 'graphql';
import type { RouterContext } from './context.js';
import type { SubgraphOutcome } from './metrics.js';
import { LogThrottle } from './policies/persisted-queries/log-throttle.js';
import { classifyFetchFailure, retrySafe, SubgraphHttpError, subgraphFetchError } from './subgraph-errors.js';
import { endSpan, routerTracer } from './tracing.js';

const signedPrincipals = new WeakMap<RouterContext, { headers: Record<string, string>; signedAt: number }>();
/**
 * A signature is reused within a request, but subgraphs refuse one older than 5 minutes, and a subscription's
 * context outlives that (its events fetch entities with it): re-signed after a minute.
 */
const RESIGN_AFTER_MS = 60_000;
/** Requests (by context) with a mutation fetch that may have reached a subgraph: retrying them is not safe. */
const mutationsSent = new WeakSet<RouterContext>();

export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 30_000;

export interface SubgraphSourceOptions {
  url: string;
  /** The subgraph's name: in errors (`extensions.service`), spans and logs. */
  name: string;
  routerSecret: string;
  /** Longest wait for a subgraph's complete answer (headers and body), default DEFAULT_SUBGRAPH_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Times each fetch of an operation (health checks are not timed). */
  observe?: (outcome: SubgraphOutcome, seconds: number) => void;
  logger: Logger;
}

/**
 * How the router calls a subgraph: the verified principal and the client's address travel as HMAC-signed
 * headers (identity throttles log-ins per address). Nothing from
 * the client's request is forwarded (the gateway builds a fresh request), in particular not its token.
 * A fetch that fails (unreachable, timed out, non-2xx, not GraphQL) becomes an error with a code the client
 * can act on (see subgraph-errors.ts); the gateway keeps what the other fetches returned.
 */
export class SubgraphSource extends RemoteGraphQLDataSource<RouterContext> {
  private readonly name: string;
  private readonly routerSecret: string;
  private readonly timeoutMs: number;
  private readonly observe?: (outcome: SubgraphOutcome, seconds: number) => void;
  private readonly logger: Logger;
  // A subgraph that is down fails every request: one log line per code per interval, with the count held back.
  private readonly failureLogs = new LogThrottle(10_000, 10);

  constructor(options: SubgraphSourceOptions) {
    super({ url: options.url });
    this.name = options.name;
    this.routerSecret = options.routerSecret;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS;
    this.observe = options.observe;
    this.logger = options.logger;
    const fetcher = this.fetcher;
    // The signal also bounds reading the body: a subgraph that sends headers and then freezes times out too.
    this.fetcher = (url, init) => fetcher(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
  }

  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    if (!tracingEnabled()) return this.timed(options);
    // a client span per fetch; willSendRequest puts its traceparent on the request
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

  /** A non-2xx answer: its status only (the body is the subgraph's business, and drained so the socket is reused). */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]): Promise<GraphQLError> {
    await response.text().catch(() => undefined);
    return new SubgraphHttpError(response.status, response.statusText);
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
    const requestContext = options.context;
    const mutation = /^\s*mutation\b/.test(options.request.query ?? '');
    try {
      const response = await super.process(options);
      if (mutation) mutationsSent.add(requestContext);
      return response;
    } catch (error) {
      const failure = classifyFetchFailure(error, this.timeoutMs);
      if (!failure) throw error;
      const operation = 'incomingRequestContext' in options ? options.incomingRequestContext.operation?.operation : undefined;
      const safe = retrySafe(operation, failure, mutationsSent.has(requestContext));
      if (mutation && failure.mayHaveReached) mutationsSent.add(requestContext);
      const held = this.failureLogs.take(failure.code);
      if (held !== undefined)
        this.logger.warn({ subgraph: this.name, code: failure.code, reason: failure.reason, held }, 'subgraph fetch failed');
      throw subgraphFetchError(this.name, failure, safe);
    }
  }

  override willSendRequest({ request, context: requestContext }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    if (tracingEnabled()) for (const [name, value] of Object.entries(currentTraceContext())) headers.set(name, value);
    const context = requestContext;
    if (!context.principal && !context.clientAddress) return;
    // Signed once per request, however many subgraph fetches it makes.
    const now = Date.now();
    let signed = signedPrincipals.get(context);
    if (!signed || now - signed.signedAt > RESIGN_AFTER_MS) {
      const headers = {
        ...(context.principal ? principalHeaders(context.principal, this.routerSecret, now) : {}),
        // identity throttles log-ins per client address (the subgraph would otherwise see only the router's)
        ...(context.clientAddress ? clientAddressHeaders(context.clientAddress, this.routerSecret) : {}),
      };
      signed = { headers, signedAt: now };
      signedPrincipals.set(context, signed);
    }
    for (const [name, value] of Object.entries(signed.headers)) headers.set(name, value);
  }
}
