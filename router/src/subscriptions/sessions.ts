import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import type { Logger, Principal } from '@commerce/kit';
import type { RouterMetrics } from '../metrics.js';
import { declaredOperation } from '../metrics/operations.js';
import type { TokenCheck, VerifiedToken } from '../policies/authentication.js';
import { suggestionsMasker, type IntrospectionMode } from '../policies/introspection.js';
import type { ResolvedOperation } from '../policies/persisted-queries/policy.js';
import type { RateLimiter } from '../policies/rate-limit.js';
import type { FederatedSubscriptions } from './executor.js';
import { guarded } from './guarded.js';
import { ObservedOperation } from './observed.js';
import { prepareSubscription, type IncomingOperation, type PrepareOptions } from './prepare.js';

export interface SessionLimits {
  /** Active subscriptions on one WebSocket connection. */
  perConnection: number;
  /** Active subscriptions of one principal (user, else client IP) on this router, over all connections. */
  perPrincipal: number;
}

export const SESSION_LIMIT_DEFAULTS: SessionLimits = { perConnection: 100, perPrincipal: 500 };

export interface SessionOptions {
  verify(header: string): Promise<TokenCheck>;
  prepare: PrepareOptions;
  subscriptions: FederatedSubscriptions;
  /** Persisted queries: an id (or a free-form query the client's mode forbids) becomes the query or a refusal. */
  resolveQuery(incoming: IncomingOperation, clientName: string | undefined): ResolvedOperation;
  /** Runs a query or mutation that arrived over a subscription transport, with every HTTP policy (the rate limit too). */
  executeOperation(incoming: IncomingOperation, caller: OperationCaller): Promise<FormattedExecutionResult>;
  /** Charges a subscription its estimated cost as it starts (the rate limit). */
  rateLimit: RateLimiter['charge'];
  limits: SessionLimits;
  /** Who may introspect: the others get errors without field suggestions, as over HTTP. */
  introspection: IntrospectionMode;
  /** Whether a token's session was signed out (session-revocations.ts); see endSessions. */
  isRevoked(token: VerifiedToken): boolean;
  /** Where subscriptions are counted (their refusals too); queries and mutations count in Apollo Server. */
  metrics: RouterMetrics;
  logger: Logger;
}

/** Who is on the other end of a WebSocket connection or an SSE request. */
export interface Caller {
  token?: VerifiedToken;
  /** Rate-limit key of anonymous callers. */
  address: string;
  /** The `apollographql-client-name` the client declared (persisted-query modes). */
  clientName?: string;
}

/** Who runs a query or mutation sent over a subscription transport. */
export interface OperationCaller {
  principal?: Principal;
  address: string;
  clientName?: string;
}

export type Started =
  /** `query`: what runs, after a persisted-query id was resolved. */
  | { kind: 'stream'; query: string; stream: AsyncIterableIterator<FormattedExecutionResult> }
  | { kind: 'result'; query: string; result: FormattedExecutionResult }
  | { kind: 'refused'; errors: GraphQLFormattedError[] };

/**
 * What both subscription transports (graphql-ws, graphql-sse) share: limits on active subscriptions,
 * token expiry, the policies, and the federated execution.
 */
export class SubscriptionSessions {
  private readonly perPrincipal = new Map<string, number>();
  /** Active streams by the identity session of their token, to end them when it is signed out. */
  private readonly bySession = new Map<string, Set<AbortController>>();
  private active = 0;

  constructor(private readonly options: SessionOptions) {}

  get activeSubscriptions(): number {
    return this.active;
  }

  /**
   * Starts one operation for a caller. `connectionActive` is the number of subscriptions the caller's
   * connection already has (0 for SSE, where each request is its own connection); `onEnd` runs when a
   * started stream ends. Its span and its count in the router's metrics: see observed.ts.
   */
  async start(caller: Caller, incoming: IncomingOperation, connectionActive: number, onEnd: () => void): Promise<Started> {
    const observed = new ObservedOperation(this.options.metrics, caller.clientName, incoming);
    const started = await observed.run(() => this.run(observed, caller, incoming, connectionActive, onEnd));
    const mask = suggestionsMasker(this.options.introspection, caller.token?.principal);
    return mask ? masked(started, mask) : started;
  }

  /** Ends the active subscriptions of these (signed out) sessions, each with one UNAUTHENTICATED error. */
  endSessions(sessionIds: readonly string[]): void {
    for (const sessionId of sessionIds) {
      for (const controller of this.bySession.get(sessionId) ?? []) controller.abort();
    }
  }

  /** An operation its transport refused before start() (no supergraph yet; a bad token, already counted, on SSE). */
  refused(caller: Pick<Caller, 'clientName'>, incoming: IncomingOperation, errors: GraphQLFormattedError[], recorded = false): void {
    new ObservedOperation(this.options.metrics, caller.clientName, incoming).refused(errors, recorded);
  }

  private async run(
    observed: ObservedOperation,
    caller: Caller,
    incoming: IncomingOperation,
    connectionActive: number,
    onEnd: () => void,
  ): Promise<Started> {
    const refuse = (errors: GraphQLFormattedError[]): Started => {
      observed.refused(errors);
      return { kind: 'refused', errors };
    };
    const principal = caller.token?.principal;
    if (caller.token && caller.token.expiresAt <= Date.now()) {
      return refuse(refusal('The access token expired; connect again with a new one', 'UNAUTHENTICATED'));
    }
    if (caller.token && this.options.isRevoked(caller.token)) {
      return refuse(refusal('The session was signed out; sign in again', 'UNAUTHENTICATED'));
    }
    const resolved = this.options.resolveQuery(incoming, caller.clientName);
    if (!resolved.ok) return refuse(refusal(resolved.message, resolved.code));
    const operation = { ...incoming, query: resolved.query };
    observed.describe(declaredOperation(operation.query, operation.operationName));
    const prepared = await prepareSubscription(this.options.prepare, operation, principal);
    if (prepared.kind === 'refused') {
      if (prepared.operation) observed.describe(prepared.operation);
      return refuse(prepared.errors);
    }
    if (prepared.kind === 'operation') {
      observed.executing();
      const result = await this.options.executeOperation(operation, { principal, address: caller.address, clientName: caller.clientName });
      return { kind: 'result', query: operation.query, result };
    }
    observed.describe(prepared.operation);

    // Charged once, as it starts: its estimated cost (at least 1), like a query's; given back if it does not start.
    const charge = await this.options.rateLimit(
      { principal, clientAddress: caller.address },
      Math.max(1, Math.ceil(prepared.estimatedCost ?? 1)),
    );
    if (!charge.ok) return refuse([charge.error]);
    // No await from here until the count is taken: concurrent starts must not both see room for one.
    const key = principal ? `user:${principal.userId}` : `ip:${caller.address}`;
    const held = this.perPrincipal.get(key) ?? 0;
    if (connectionActive >= this.options.limits.perConnection || held >= this.options.limits.perPrincipal) {
      this.options.logger.info({ key, connectionActive, held }, 'subscription refused: too many active subscriptions');
      void charge.refund();
      return refuse(refusal('Too many active subscriptions; end some before starting more', 'REQUEST_RATE_LIMITED'));
    }
    const started = this.options.subscriptions.subscribe(prepared.subscription, observed.traceContext());
    if (!('stream' in started)) {
      void charge.refund();
      observed.refused(started.errors ?? []); // not loaded yet, or it could not be planned
      return { kind: 'result', query: operation.query, result: started };
    }

    this.perPrincipal.set(key, held + 1);
    this.active += 1;
    const watched = caller.token?.sessionId === undefined ? undefined : this.watchSession(caller.token.sessionId);
    const stream = guarded(started.stream, {
      expiresAt: caller.token?.expiresAt ?? Infinity,
      revoked: watched?.signal,
      onEnd: (failed) => {
        watched?.release();
        this.active -= 1;
        const left = (this.perPrincipal.get(key) ?? 1) - 1;
        if (left > 0) this.perPrincipal.set(key, left);
        else this.perPrincipal.delete(key);
        observed.ended(failed);
        onEnd();
      },
    });
    observed.subscribed(started.established, started.joined);
    return { kind: 'stream', query: operation.query, stream };
  }

  /** A signal endSessions aborts for this session, until `release()`. */
  private watchSession(sessionId: string): { signal: AbortSignal; release(): void } {
    const controller = new AbortController();
    const streams = this.bySession.get(sessionId) ?? new Set<AbortController>();
    this.bySession.set(sessionId, streams.add(controller));
    return {
      signal: controller.signal,
      release: () => {
        streams.delete(controller);
        if (streams.size === 0 && this.bySession.get(sessionId) === streams) this.bySession.delete(sessionId);
      },
    };
  }

  /** Verifies an Authorization header; none means anonymous. */
  async authenticate(header: string | undefined): Promise<{ ok: true; token?: VerifiedToken } | Extract<TokenCheck, { ok: false }>> {
    if (header === undefined || header === '') return { ok: true };
    const check = await this.options.verify(header);
    return check.ok ? { ok: true, token: check.token } : check;
  }
}

type Mask = NonNullable<ReturnType<typeof suggestionsMasker>>;

/** Every error the caller gets, refusal, result or event, through `mask`. */
function masked(started: Started, mask: Mask): Started {
  const result = (value: FormattedExecutionResult): FormattedExecutionResult =>
    value.errors ? { ...value, errors: mask(value.errors) } : value;
  if (started.kind === 'refused') return { ...started, errors: [...mask(started.errors)] };
  if (started.kind === 'result') return { ...started, result: result(started.result) };
  const inner = started.stream;
  const stream: AsyncIterableIterator<FormattedExecutionResult> = {
    next: async () => {
      const next = await inner.next();
      return next.done ? next : { done: false, value: result(next.value) };
    },
    return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
    throw: async (error?: unknown) => (await inner.throw?.(error)) ?? { done: true, value: undefined },
    [Symbol.asyncIterator]: () => stream,
  };
  return { ...started, stream };
}

function refusal(message: string, code: string): GraphQLFormattedError[] {
  return [{ message, extensions: { code } }];
}
