import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Logger } from '@commerce/kit';

export interface UpstreamListener {
  next(result: FormattedExecutionResult): void;
  /** The upstream ended in failure: the subgraph refused the operation, or stayed away through every retry. */
  error(errors: GraphQLFormattedError[]): void;
  complete(): void;
}

/** Settles when the subscription reached its subgraph, or failed (its errors) before it did. */
export type Established = Promise<GraphQLFormattedError[] | undefined>;

export interface UpstreamSubscription {
  unsubscribe(): void;
  established: Established;
}

interface Upstream {
  listeners: Set<UpstreamListener>;
  established: Established;
  dispose(): void;
}

/** One subgraph's graphql-ws client, and the upstreams waiting for its connection to be acknowledged. */
interface SubgraphConnection {
  client: Client;
  acknowledged: boolean;
  waiting: Set<() => void>;
}

export interface UpstreamOptions {
  /** Reconnection attempts after a subgraph's WebSocket closes, before subscribers get an error. */
  retryAttempts: number;
  /** Ping interval towards subgraphs, so a dead subgraph connection is noticed. */
  keepAliveMs: number;
  /** The connection_init payload of each (re)connection: the router's signed principal. */
  connectionParams?: () => Record<string, unknown>;
}

export const UPSTREAM_DEFAULTS: UpstreamOptions = { retryAttempts: 8, keepAliveMs: 10_000 };

/**
 * Subscriptions from the router to subgraphs over graphql-ws: one WebSocket per subgraph, and one upstream
 * subscription per distinct (subgraph, operation, variables), however many clients need it. The last
 * listener to leave ends it. When a subgraph goes away, graphql-ws reconnects and subscribes again by
 * itself (clients notice nothing but the events they missed); after `retryAttempts` failed reconnections
 * every listener gets an error.
 *
 * A subscription is established once its subscribe message goes out on an acknowledged connection (the
 * protocol has no acknowledgement of its own). `traceContext` (the W3C headers of the subscriber that opens
 * the upstream) travels in the subscribe message's `extensions`. The sockets are opened outside any trace
 * context: they outlive the subscription that opened them, and their events must not run in its span.
 */
export class UpstreamSubscriptions {
  private readonly connections = new Map<string, SubgraphConnection>();
  private readonly upstreams = new Map<string, Upstream>();

  constructor(
    private readonly logger: Logger,
    private readonly options: UpstreamOptions = UPSTREAM_DEFAULTS,
  ) {}

  get active(): number {
    return this.upstreams.size;
  }

  subscribe(
    url: string,
    query: string,
    variables: Record<string, unknown>,
    listener: UpstreamListener,
    traceContext: Record<string, string> = {},
  ): UpstreamSubscription {
    const key = JSON.stringify([url, query, variables]);
    let upstream = this.upstreams.get(key);
    if (!upstream) {
      const listeners = new Set<UpstreamListener>();
      const ended = () => {
        if (this.upstreams.get(key) === upstream) this.upstreams.delete(key);
      };
      const connection = this.connection(url);
      let settle!: (errors?: GraphQLFormattedError[]) => void;
      const established: Established = new Promise((resolve) => {
        settle = (errors) => {
          connection.waiting.delete(onAcknowledged);
          resolve(errors);
        };
      });
      const onAcknowledged = () => settle();
      if (connection.acknowledged) settle();
      else connection.waiting.add(onAcknowledged);
      const created: Upstream = { listeners, established, dispose: () => {} };
      upstream = created;
      this.upstreams.set(key, created);
      const payload = Object.keys(traceContext).length ? { query, variables, extensions: traceContext } : { query, variables };
      const unsubscribe = context.with(ROOT_CONTEXT, () =>
        connection.client.subscribe<Record<string, unknown>>(payload, {
          next: (result) => {
            for (const each of [...listeners]) each.next(result as FormattedExecutionResult);
          },
          error: (error) => {
            ended();
            const errors = toErrors(error);
            settle(errors);
            this.logger.warn({ url, errors }, 'upstream subscription failed');
            for (const each of [...listeners]) each.error(errors);
          },
          complete: () => {
            ended();
            settle();
            for (const each of [...listeners]) each.complete();
          },
        }),
      );
      created.dispose = () => {
        settle();
        unsubscribe();
      };
    }
    const joined = upstream;
    joined.listeners.add(listener);
    return {
      established: joined.established,
      unsubscribe: () => {
        joined.listeners.delete(listener);
        if (joined.listeners.size === 0 && this.upstreams.get(key) === joined) {
          this.upstreams.delete(key);
          joined.dispose();
        }
      },
    };
  }

  async close(): Promise<void> {
    for (const upstream of this.upstreams.values()) upstream.dispose();
    this.upstreams.clear();
    await Promise.all([...this.connections.values()].map((connection) => connection.client.dispose()));
    this.connections.clear();
  }

  private connection(httpUrl: string): SubgraphConnection {
    const url = httpUrl.replace(/^http/, 'ws');
    let connection = this.connections.get(url);
    if (!connection) {
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        lazy: true,
        lazyCloseTimeout: 2000,
        keepAlive: this.options.keepAliveMs,
        connectionParams: this.options.connectionParams,
        retryAttempts: this.options.retryAttempts,
        // Every closure is worth a retry: a subgraph restarting closes abnormally or with 1001.
        shouldRetry: () => true,
        retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** retries, 3000) + Math.random() * 200)),
        on: {
          connected: () => {
            this.logger.debug({ url }, 'subgraph WebSocket connected');
            const connected = this.connections.get(url);
            if (!connected) return;
            connected.acknowledged = true; // the waiting subscribe messages go out right after this event
            for (const acknowledged of [...connected.waiting]) acknowledged();
          },
          closed: (event) => {
            const closed = this.connections.get(url);
            if (closed) closed.acknowledged = false;
            this.logger.debug({ url, code: (event as { code?: number }).code }, 'subgraph WebSocket closed');
          },
        },
      });
      connection = { client, acknowledged: false, waiting: new Set() };
      this.connections.set(url, connection);
    }
    return connection;
  }
}

/** The subgraph's own GraphQL errors pass through; a lost connection becomes SUBGRAPH_UNAVAILABLE. */
function toErrors(error: unknown): GraphQLFormattedError[] {
  if (Array.isArray(error)) return error as GraphQLFormattedError[];
  const close = error as { code?: number; reason?: string };
  const detail = typeof close?.code === 'number' ? `closed with ${close.code}` : error instanceof Error ? error.message : 'failed';
  return [
    { message: `The subgraph connection was lost (${detail}); the subscription ended`, extensions: { code: 'SUBGRAPH_UNAVAILABLE' } },
  ];
}
