import type { PersistedQueryOptions as ApolloPersistedQueryOptions } from '@apollo/server';
import { createClient } from 'redis';
import type { Logger } from '@commerce/kit';

/** Apollo Server's KeyValueCache (@apollo/utils.keyvaluecache), the type its `persistedQueries.cache` takes. */
export type KeyValueCache = NonNullable<ApolloPersistedQueryOptions['cache']>;

export interface RedisApqStoreOptions {
  url: string;
  /** Prepended to Apollo Server's own `apq:` prefix: keys are `<keyPrefix>apq:<sha256>`. */
  keyPrefix: string;
  /** A Redis call slower than this counts as a miss (get) or is dropped (set). */
  timeoutMs: number;
}

const WARN_INTERVAL_MS = 30_000;

/**
 * The APQ store in Redis, shared by every router instance using the same Redis and prefix. It never fails a
 * request: while Redis is down or slow, a lookup is a miss (the client gets PERSISTED_QUERY_NOT_FOUND and
 * resends the query, which is then served) and a registration is dropped, with a warning at most every 30 s.
 */
export class RedisApqStore implements KeyValueCache {
  private readonly client: ReturnType<typeof createClient>;
  private lastWarning = 0;

  constructor(
    private readonly options: RedisApqStoreOptions,
    private readonly log: Logger,
  ) {
    this.client = createClient({
      url: options.url,
      // Commands fail at once while disconnected instead of queueing (and holding the request).
      disableOfflineQueue: true,
      socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) },
    });
    this.client.on('error', (error: unknown) => this.warn(error, 'APQ Redis connection error'));
  }

  /** Connects, waiting at most a few timeouts: the router starts even when Redis is not there yet. */
  async connect(): Promise<void> {
    const connecting = this.client.connect().then(
      () => true,
      () => false,
    );
    const connected = await Promise.race([connecting, delay(this.options.timeoutMs * 4).then(() => false)]);
    if (!connected) this.log.warn('APQ Redis not reachable at start; APQ lookups miss until it is');
  }

  async close(): Promise<void> {
    try {
      if (this.client.isReady) await this.client.close();
      else this.client.destroy();
    } catch (error) {
      this.log.warn({ err: error }, 'closing APQ Redis client');
    }
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const value = await withTimeout(this.client.get(this.options.keyPrefix + key), this.options.timeoutMs);
      return typeof value === 'string' ? value : undefined;
    } catch (error) {
      this.warn(error, 'APQ lookup failed; treating it as a miss');
      return undefined;
    }
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const ttl = options?.ttl;
    try {
      await withTimeout(
        this.client.set(this.options.keyPrefix + key, value, ttl ? { expiration: { type: 'EX', value: Math.ceil(ttl) } } : undefined),
        this.options.timeoutMs,
      );
    } catch (error) {
      this.warn(error, 'APQ registration not stored');
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await withTimeout(this.client.del(this.options.keyPrefix + key), this.options.timeoutMs)) > 0;
    } catch (error) {
      this.warn(error, 'APQ delete failed');
      return false;
    }
  }

  private warn(error: unknown, message: string) {
    const now = Date.now();
    if (now - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = now;
    this.log.warn({ err: error }, message);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
