import { ConfigError, readInteger, readOptional, readString, readUrl } from '../config.js';
import type { Logger } from '../log.js';
import { InProcessPubSub } from './in-process.js';
import { PUBSUB_DEFAULTS, type PubSub } from './pubsub.js';
import { RedisPubSub } from './redis.js';

export interface PubSubConfig {
  /** Set: Redis pub/sub shared by every process; unset: in this process only. */
  redisUrl?: string;
  prefix: string;
  bufferSize: number;
}

/** REDIS_URL, PUBSUB_CHANNEL_PREFIX and PUBSUB_BUFFER_SIZE, validated (a bad value stops the process). */
export function pubSubConfigFromEnv(env: Record<string, string | undefined>): PubSubConfig {
  const redisUrl = readOptional(env, 'REDIS_URL') === undefined ? undefined : readUrl(env, 'REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:$/.test(new URL(redisUrl).protocol)) {
    throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
  }
  return {
    redisUrl,
    prefix: readString(env, 'PUBSUB_CHANNEL_PREFIX', PUBSUB_DEFAULTS.prefix),
    bufferSize: readInteger(env, 'PUBSUB_BUFFER_SIZE', PUBSUB_DEFAULTS.bufferSize, 1, 100_000),
  };
}

export function createPubSub(config: PubSubConfig, logger: Logger): PubSub {
  const { redisUrl, prefix, bufferSize } = config;
  logger.info({ transport: redisUrl ? 'redis' : 'in-process', prefix }, 'pub/sub');
  return redisUrl ? new RedisPubSub({ url: redisUrl, prefix, bufferSize, logger }) : new InProcessPubSub({ prefix, bufferSize, logger });
}
