import { context, SpanKind, trace, type Context, type Span } from '@opentelemetry/api';
import type { GraphQLFormattedError } from 'graphql';
import { currentTraceContext, tracingEnabled } from '@commerce/kit';
import { REJECTION_CODES, type OperationOutcome, type RouterMetrics } from '../metrics.js';
import { countRejections, declaredOperation, type OperationLabels } from '../metrics/operations.js';
import { endSpan, routerTracer } from '../tracing.js';
import type { Established } from './upstreams.js';

export type TraceContext = ReturnType<typeof currentTraceContext>;

/**
 * The telemetry of one operation started over a subscription transport (WebSocket, SSE), which the Apollo Server
 * plugins do not see unless it is a query or mutation:
 * - a `graphql.subscribe` server span from the start until the subscription reaches its subgraph (its subscribe
 *   message goes out on an acknowledged connection, see upstreams.ts) or is refused, with the operation's name and
 *   type. Planning and policy lookups are its children; its traceparent goes upstream with the subscription. A
 *   query or mutation sent over the socket keeps the span as its request span (`graphql <name>`, as over HTTP).
 * - one count in router_operations_total when the subscription ends (success: completed, or stopped by the
 *   client; error: an error ended it) or is refused (rejected for a policy's code, else error, as over HTTP),
 *   and each refusal code once in router_rejections_total. Counted, not timed (see RouterMetrics.operation).
 *   Queries and mutations are counted by Apollo Server's plugins.
 */
export class ObservedOperation {
  private readonly span: Span | undefined;
  private readonly active: Context;
  private labels: OperationLabels;
  private spanOpen: boolean;
  private awaitingUpstream = false;
  private counted = false;

  constructor(
    private readonly metrics: RouterMetrics,
    private readonly clientName: string | undefined,
    incoming: { query: string; operationName?: string | null },
  ) {
    const parent = context.active();
    this.span = tracingEnabled() ? routerTracer().startSpan('graphql.subscribe', { kind: SpanKind.SERVER }, parent) : undefined;
    this.active = this.span ? trace.setSpan(parent, this.span) : parent;
    this.spanOpen = this.span !== undefined;
    this.labels = declaredOperation(incoming.query, incoming.operationName);
    this.describe(this.labels);
  }

  /** Runs the start in the span; the span ends with it unless the start subscribed (see subscribed()). */
  async run<T>(start: () => Promise<T>): Promise<T> {
    try {
      const started = await (this.span ? context.with(this.active, start) : start());
      if (!this.awaitingUpstream) this.endSpan();
      return started;
    } catch (error) {
      this.count('error');
      this.endSpan(error);
      throw error;
    }
  }

  /** What is known of the operation now: declared, then resolved from a persisted-query id, then parsed. */
  describe(labels: OperationLabels): void {
    this.labels = labels;
    if (labels.name) this.span?.setAttribute('graphql.operation.name', labels.name.slice(0, 100));
    if (labels.type !== 'unknown') this.span?.setAttribute('graphql.operation.type', labels.type);
  }

  /** The W3C headers to send upstream with the subscription; empty when tracing is off. */
  traceContext(): TraceContext {
    return this.span ? currentTraceContext(this.active) : {};
  }

  /**
   * Refused before it was subscribed, or it could not be: counted now. `recorded`: its codes are already in
   * router_rejections_total (the token check counts its own).
   */
  refused(errors: readonly GraphQLFormattedError[], recorded = false): void {
    const codes = errors.map((error) => error.extensions?.code);
    const refused = recorded
      ? codes.some((code) => typeof code === 'string' && REJECTION_CODES.has(code))
      : countRejections(this.metrics, errors).refused;
    this.count(refused ? 'rejected' : 'error');
    this.endSpan(errors[0]?.message ?? 'refused');
  }

  /** A query or mutation: Apollo Server runs and counts it, and names the span after it (anonymous: `graphql`). */
  executing(): void {
    this.counted = true;
    this.span?.updateName('graphql');
  }

  /** Subscribed: the span lasts until the upstream subscription is established, or failed first. */
  subscribed(established: Established, joined: boolean): void {
    this.span?.setAttribute('graphql.subscription.joined', joined);
    this.awaitingUpstream = true;
    void established.then((errors) => this.endSpan(errors?.[0]?.message));
  }

  /** The subscription ended; `failed`: an error ended it. */
  ended(failed: boolean): void {
    this.count(failed ? 'error' : 'success');
    this.endSpan(); // the subscriber left before its upstream was established
  }

  private count(outcome: OperationOutcome): void {
    if (this.counted) return;
    this.counted = true;
    const { metrics, labels } = this;
    metrics.operation(metrics.operationNames.value(labels.name), labels.type, metrics.clientNames.value(this.clientName), outcome);
  }

  private endSpan(error?: unknown): void {
    if (!this.span || !this.spanOpen) return;
    this.spanOpen = false;
    endSpan(this.span, error);
  }
}
