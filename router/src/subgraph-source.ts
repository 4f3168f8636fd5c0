import { performance } from 'node:perf_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { clientAddressHeaders, currentTraceContext, principalHeaders, tracingEnabled } from '@commerce/kit';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { RouterContext } from './context.js';
import type { SubgraphOutcome } from './metrics.js';
import { endSpan, routerTracer } from './tracing.js';

const signedHeaders = new WeakMap<RouterContext, Record<string, string>>();

/**
 * How the router calls a subgraph: the verified principal and the client's address travel as HMAC-signed
 * headers. Nothing from the client's request is forwarded (the gateway builds a fresh request), in particular
 * not its token.
 */
export class SubgraphSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    url: string,
    private readonly routerSecret: string,
    /** Times each fetch of an operation (health checks are not timed). */
    private readonly observe?: (outcome: SubgraphOutcome, seconds: number) => void,
    /** The subgraph's name, for spans. */
    private readonly name = 'subgraph',
  ) {
    super({ url });
  }

  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    if (!tracingEnabled()) return this.timed(options);
    // a client span per fetch; willSendRequest puts its traceparent on the request
    const parent = context.active();
    const span = routerTracer().startSpan(`fetch ${this.name}`, { kind: SpanKind.CLIENT, attributes: { 'graphql.subgraph': this.name } }, parent);
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
    if (!this.observe || !('incomingRequestContext' in options)) return super.process(options);
    const started = performance.now();
    let outcome: SubgraphOutcome = 'error'; // unless it answers without errors; a failed fetch throws
    try {
      const response = await super.process(options);
      if (!response.errors?.length) outcome = 'success';
      return response;
    } finally {
      this.observe(outcome, (performance.now() - started) / 1000);
    }
  }

  override willSendRequest({ request, context: requestContext }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    if (tracingEnabled()) for (const [name, value] of Object.entries(currentTraceContext())) headers.set(name, value);
    const context = requestContext;
    if (!context.principal && !context.clientAddress) return;
    // Signed once per request, however many subgraph fetches it makes.
    let signed = signedHeaders.get(context);
    if (!signed) {
      signed = {
        ...(context.principal ? principalHeaders(context.principal, this.routerSecret) : {}),
        // identity throttles log-ins per client address (the subgraph would otherwise see only the router's)
        ...(context.clientAddress ? clientAddressHeaders(context.clientAddress, this.routerSecret) : {}),
      };
      signedHeaders.set(context, signed);
    }
    for (const [name, value] of Object.entries(signed)) headers.set(name, value);
  }
}
