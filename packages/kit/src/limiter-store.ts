import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import type { Logger } from './log.js';

/**
 * Where rate-limiter-flexible counts: Redis when a URL is given (one atomic Lua call per count, shared by every
 * instance using the same Redis and key prefix), else this process's memory. While Redis is down a limiter either
 * counts in memory instead (`whileRedisDown: 'memory'`, the default: its insurance limiter, so a limit still holds
 * per instance; for limits that guard against abuse such as log-in attempts, where failing open would hand an
 * attacker unlimited tries) or fails at once (`'fail'`: the caller decides, e.g. the router's request rate limit
 * lets the request through rather than refuse everyone while Redis is away).
 */
export interface LimiterStore {
  readonly kind: 'redis' | 'memory';
  limiter(options: { points: number; duration: number; keyPrefix: string }): RateLimiterAbstract;
  close(): Promise<void>;
}

export interface LimiterStoreOptions {
  redisUrl?: string;
  logger: Logger;
  /** How long the start waits for Redis before it goes on connecting in the background (default 2 s). */
  connectTimeoutMs?: number;
  whileRedisDown?: 'memory' | 'fail';
  /** What the limits are for, in log lines (default "limiter"). */
  purpose?: string;
}

export async function openLimiterStore(options: LimiterStoreOptions): Promise<LimiterStore> {
  const { redisUrl, logger } = options;
  const purpose = options.purpose ?? 'limiter';
  const meanwhile = options.whileRedisDown === 'fail' ? 'not counting until it is back' : 'counting in memory until it is back';
  if (!redisUrl) return { kind: 'memory', limiter: (limits) => new RateLimiterMemory(limits), close: async () => {} };
  const client = createClient({
    url: redisUrl,
    // Commands fail at once while disconnected (-> the in-memory insurance) instead of queueing.
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) },
  });
  let down = false;
  client.on('error', (error: unknown) => {
    if (!down) logger.warn({ err: error }, `${purpose} Redis connection lost; ${meanwhile}`);
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info(`${purpose} Redis connection restored`);
    down = false;
  });
  // Do not hold the start on Redis: wait briefly, then keep connecting in the background.
  const connecting = client.connect().then(
    () => true,
    () => false,
  );
  const timeout = options.connectTimeoutMs ?? 2000;
  const connected = await Promise.race([connecting, new Promise<false>((resolve) => setTimeout(resolve, timeout, false).unref())]);
  if (!connected) logger.warn({ url: redactedUrl(redisUrl) }, `${purpose} Redis not reachable at start; ${meanwhile}`);
  return {
    kind: 'redis',
    limiter: (limits) =>
      new RateLimiterRedis({
        ...limits,
        storeClient: client,
        useRedisPackage: true,
        rejectIfRedisNotReady: true,
        ...(options.whileRedisDown === 'fail' ? {} : { insuranceLimiter: new RateLimiterMemory(limits) }),
      }),
    close: async () => {
      try {
        if (client.isReady) await client.close();
        else client.destroy();
      } catch (error) {
        logger.warn({ err: error }, `closing ${purpose} Redis client`);
      }
    },
  };
}

/** The URL without its password, for logs. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(unparsable URL)';
  }
}
