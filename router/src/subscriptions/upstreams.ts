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

interface Upstream {
  listeners: Set<UpstreamListener>;
  dispose(): void;
}

export interface UpstreamOptions {
  /** Reconnection attempts after a subgraph's WebSocket closes, before subscribers get an error. */
  retryAttempts: number;
  /** Ping interval towards subgraphs, so a dead subgraph connection is noticed. */
  keepAliveMs: number;
}

export const UPSTREAM_DEFAULTS: UpstreamOptions = { retryAttempts: 8, keepAliveMs: 10_000 };

/**
 * Subscriptions from the router to subgraphs over graphql-ws: one WebSocket per subgraph, and one upstream
 * subscription per distinct (subgraph, operation, variables), however many clients need it. The last
 * listener to leave ends it. When a subgraph goes away, graphql-ws reconnects and subscribes again by
 * itself (clients notice nothing but the events they missed); after `retryAttempts` failed reconnections
 * every listener gets an error.
 */
export class UpstreamSubscriptions {
  private readonly clients = new Map<string, Client>();
  private readonly upstreams = new Map<string, Upstream>();

  constructor(
    private readonly logger: Logger,
    private readonly options: UpstreamOptions = UPSTREAM_DEFAULTS,
  ) {}

  get active(): number {
    return this.upstreams.size;
  }

  subscribe(url: string, query: string, variables: Record<string, unknown>, listener: UpstreamListener): () => void {
    const key = JSON.stringify([url, query, variables]);
    let upstream = this.upstreams.get(key);
    if (!upstream) {
      const listeners = new Set<UpstreamListener>();
      const ended = () => {
        if (this.upstreams.get(key) === upstream) this.upstreams.delete(key);
      };
      const created: Upstream = { listeners, dispose: () => {} };
      upstream = created;
      this.upstreams.set(key, created);
      created.dispose = this.client(url).subscribe<Record<string, unknown>>(
        { query, variables },
        {
          next: (result) => {
            for (const each of [...listeners]) each.next(result as FormattedExecutionResult);
          },
          error: (error) => {
            ended();
            const errors = toErrors(error);
            this.logger.warn({ url, errors }, 'upstream subscription failed');
            for (const each of [...listeners]) each.error(errors);
          },
          complete: () => {
            ended();
            for (const each of [...listeners]) each.complete();
          },
        },
      );
    }
    const joined = upstream;
    joined.listeners.add(listener);
    return () => {
      joined.listeners.delete(listener);
      if (joined.listeners.size === 0 && this.upstreams.get(key) === joined) {
        this.upstreams.delete(key);
        joined.dispose();
      }
    };
  }

  async close(): Promise<void> {
    for (const upstream of this.upstreams.values()) upstream.dispose();
    this.upstreams.clear();
    await Promise.all([...this.clients.values()].map((client) => client.dispose()));
    this.clients.clear();
  }

  private client(httpUrl: string): Client {
    const url = httpUrl.replace(/^http/, 'ws');
    let client = this.clients.get(url);
    if (!client) {
      client = createClient({
        url,
        webSocketImpl: WebSocket,
        lazy: true,
        lazyCloseTimeout: 2000,
        keepAlive: this.options.keepAliveMs,
        retryAttempts: this.options.retryAttempts,
        // Every closure is worth a retry: a subgraph restarting closes abnormally or with 1001.
        shouldRetry: () => true,
        retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** retries, 3000) + Math.random() * 200)),
        on: {
          connected: () => this.logger.debug({ url }, 'subgraph WebSocket connected'),
          closed: (event) => this.logger.debug({ url, code: (event as { code?: number }).code }, 'subgraph WebSocket closed'),
        },
      });
      this.clients.set(url, client);
    }
    return client;
  }
}

/** The subgraph's own GraphQL errors pass through; a lost connection becomes SUBGRAPH_UNAVAILABLE. */
function toErrors(error: unknown): GraphQLFormattedError[] {
  if (Array.isArray(error)) return error as GraphQLFormattedError[];
  const close = error as { code?: number; reason?: string };
  const detail = typeof close?.code === 'number' ? `closed with ${close.code}` : error instanceof Error ? error.message : 'failed';
  return [{ message: `The subgraph connection was lost (${detail}); the subscription ended`, extensions: { code: 'SUBGRAPH_UNAVAILABLE' } }];
}
