import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import type { Logger, Principal } from '@commerce/kit';
import { recordRejection } from '../metrics.js';
import type { TokenCheck, VerifiedToken } from '../policies/authentication.js';
import type { FederatedSubscriptions } from './executor.js';
import { guarded } from './guarded.js';
import type { ResolvedOperation } from '../policies/persisted-queries/policy.js';
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
  /** Runs a query or mutation that arrived over a subscription transport, with every HTTP policy. */
  executeOperation(incoming: IncomingOperation, principal: Principal | undefined): Promise<FormattedExecutionResult>;
  limits: SessionLimits;
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
  private active = 0;

  constructor(private readonly options: SessionOptions) {}

  get activeSubscriptions(): number {
    return this.active;
  }

  /**
   * Starts one operation for a caller. `connectionActive` is the number of subscriptions the caller's
   * connection already has (0 for SSE, where each request is its own connection); `onEnd` runs when a
   * started stream ends.
   */
  async start(caller: Caller, incoming: IncomingOperation, connectionActive: number, onEnd: () => void): Promise<Started> {
    const principal = caller.token?.principal;
    if (caller.token && caller.token.expiresAt <= Date.now()) {
      return refused('The access token expired; connect again with a new one', 'UNAUTHENTICATED');
    }
    const resolved = this.options.resolveQuery(incoming, caller.clientName);
    if (!resolved.ok) {
      recordRejection(resolved.code);
      return refused(resolved.message, resolved.code);
    }
    const operation = { ...incoming, query: resolved.query };
    const prepared = await prepareSubscription(this.options.prepare, operation, principal);
    if (prepared.kind === 'refused') return prepared;
    if (prepared.kind === 'operation') {
      return { kind: 'result', query: operation.query, result: await this.options.executeOperation(operation, principal) };
    }

    const key = principal ? `user:${principal.userId}` : `ip:${caller.address}`;
    const held = this.perPrincipal.get(key) ?? 0;
    if (connectionActive >= this.options.limits.perConnection || held >= this.options.limits.perPrincipal) {
      recordRejection('REQUEST_RATE_LIMITED');
      this.options.logger.info({ key, connectionActive, held }, 'subscription refused: too many active subscriptions');
      return refused('Too many active subscriptions; end some before starting more', 'REQUEST_RATE_LIMITED');
    }
    const started = this.options.subscriptions.subscribe(prepared.subscription);
    if (!(Symbol.asyncIterator in started)) return { kind: 'result', query: operation.query, result: started };

    this.perPrincipal.set(key, held + 1);
    this.active += 1;
    const stream = guarded(started, {
      expiresAt: caller.token?.expiresAt ?? Infinity,
      onEnd: () => {
        this.active -= 1;
        const left = (this.perPrincipal.get(key) ?? 1) - 1;
        if (left > 0) this.perPrincipal.set(key, left);
        else this.perPrincipal.delete(key);
        onEnd();
      },
    });
    return { kind: 'stream', query: operation.query, stream };
  }

  /** Verifies an Authorization header; none means anonymous. */
  async authenticate(header: string | undefined): Promise<{ ok: true; token?: VerifiedToken } | Extract<TokenCheck, { ok: false }>> {
    if (header === undefined || header === '') return { ok: true };
    const check = await this.options.verify(header);
    return check.ok ? { ok: true, token: check.token } : check;
  }
}

function refused(message: string, code: string): Started {
  return { kind: 'refused', errors: [{ message, extensions: { code } }] };
}
