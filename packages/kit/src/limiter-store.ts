import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import type { Logger } from './log.js';

/**
 * Where rate-limiter-flexible counts: Redis when a URL is given (one atomic Lua call per count, shared by every
 * instance using the same Redis and key prefix), else this process's memory. While Redis is down each limiter
 * counts in memory instead (its insurance limiter), so a limit still holds per instance: this store is for
 * limits that guard against abuse (log-in attempts), where failing open would hand an attacker unlimited tries.
 */
export interface LimiterStore {
  readonly kind: 'redis' | 'memory';
  limiter(options: { points: number; duration: number; keyPrefix: string }): RateLimiterAbstract;
  close(): Promise<void>;
}

export async function openLimiterStore(options: { redisUrl?: string; logger: Logger; connectTimeoutMs?: number }): Promise<LimiterStore> {
  const { redisUrl, logger } = options;
  if (!redisUrl) return { kind: 'memory', limiter: (limits) => new RateLimiterMemory(limits), close: async () => {} };
  const client = createClient({
    url: redisUrl,
    // Commands fail at once while disconnected (-> the in-memory insurance) instead of queueing.
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) },
  });
  let down = false;
  client.on('error', (error: unknown) => {
    if (!down) logger.warn({ err: error }, 'limiter Redis connection lost; counting in memory until it is back');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info('limiter Redis connection restored');
    down = false;
  });
  // Do not hold the start on Redis: wait briefly, then keep connecting in the background.
  const connecting = client.connect().then(
    () => true,
    () => false,
  );
  const timeout = options.connectTimeoutMs ?? 2000;
  const connected = await Promise.race([connecting, new Promise<false>((resolve) => setTimeout(resolve, timeout, false).unref())]);
  if (!connected) logger.warn('limiter Redis not reachable at start; counting in memory until it is');
  return {
    kind: 'redis',
    limiter: (limits) =>
      new RateLimiterRedis({
        ...limits,
        storeClient: client,
        useRedisPackage: true,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(limits),
      }),
    close: async () => {
      try {
        if (client.isReady) await client.close();
        else client.destroy();
      } catch (error) {
        logger.warn({ err: error }, 'closing limiter Redis client');
      }
    },
  };
}
