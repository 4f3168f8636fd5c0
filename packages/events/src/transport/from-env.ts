import { ConfigError, readInteger, readOptional, readString, readUrl, type Logger } from '@commerce/kit';
import { RELAY_DEFAULTS } from '../outbox/relay.js';
import { RETENTION_DEFAULTS, type RetentionSettings } from '../service/retention.js';
import { InProcessTransport } from './in-process.js';
import { RedisStreamsTransport } from './redis-streams.js';
import { resolveConsumerSettings } from './settings.js';
import { TRANSPORT_DEFAULTS } from './streams-transport.js';
import { CONSUMER_DEFAULTS, type ConsumerSettings, type EventTransport } from './transport.js';

const HOUR_MS = 3_600_000;

export interface EventBusConfig {
  /** Set: Redis Streams shared by every process; unset: in this process only. */
  redisUrl?: string;
  prefix: string;
  maxLength: number;
  consumer: ConsumerSettings;
  relay: { pollIntervalMs: number; batchSize: number };
  retention: RetentionSettings;
}

/**
 * REDIS_URL and EVENTS_* from the environment, validated: a bad value throws ConfigError (the process stops with a
 * clear message).
 */
export function eventBusConfigFromEnv(env: Record<string, string | undefined>): EventBusConfig {
  const redisUrl = readOptional(env, 'REDIS_URL') === undefined ? undefined : readUrl(env, 'REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:$/.test(new URL(redisUrl).protocol)) {
    throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
  }
  const prefix = readString(env, 'EVENTS_STREAM_PREFIX', TRANSPORT_DEFAULTS.prefix);
  if (!/^[A-Za-z0-9._:-]{1,50}$/.test(prefix)) {
    throw new ConfigError(`EVENTS_STREAM_PREFIX must be 1-50 letters, digits, ".", "_", ":" or "-", got "${prefix}"`);
  }
  const consumer = {
    maxAttempts: readInteger(env, 'EVENTS_MAX_ATTEMPTS', CONSUMER_DEFAULTS.maxAttempts, 1, 100),
    retryBaseMs: readInteger(env, 'EVENTS_RETRY_BASE_MS', CONSUMER_DEFAULTS.retryBaseMs, 1, 3_600_000),
    retryMaxMs: readInteger(env, 'EVENTS_RETRY_MAX_MS', CONSUMER_DEFAULTS.retryMaxMs, 1, 86_400_000),
    claimIdleMs: readInteger(env, 'EVENTS_CLAIM_IDLE_MS', CONSUMER_DEFAULTS.claimIdleMs, 1, 86_400_000),
    blockMs: readInteger(env, 'EVENTS_BLOCK_MS', CONSUMER_DEFAULTS.blockMs, 1, 60_000),
    batchSize: readInteger(env, 'EVENTS_BATCH_SIZE', CONSUMER_DEFAULTS.batchSize, 1, 1_000),
    concurrency: readInteger(env, 'EVENTS_CONSUMER_CONCURRENCY', CONSUMER_DEFAULTS.concurrency, 1, 256),
  };
  try {
    resolveConsumerSettings(consumer);
  } catch (error) {
    throw new ConfigError(`EVENTS_*: ${(error as Error).message}`);
  }
  return {
    redisUrl,
    prefix,
    maxLength: readInteger(env, 'EVENTS_STREAM_MAX_LENGTH', TRANSPORT_DEFAULTS.maxLength, 0, 1_000_000_000),
    consumer,
    relay: {
      pollIntervalMs: readInteger(env, 'EVENTS_RELAY_POLL_MS', RELAY_DEFAULTS.pollIntervalMs, 1, 60_000),
      batchSize: readInteger(env, 'EVENTS_RELAY_BATCH_SIZE', RELAY_DEFAULTS.batchSize, 1, 10_000),
    },
    retention: {
      outboxRetentionMs:
        readInteger(env, 'EVENTS_OUTBOX_RETENTION_HOURS', RETENTION_DEFAULTS.outboxRetentionMs / HOUR_MS, 1, 87_600) * HOUR_MS,
      inboxRetentionMs:
        readInteger(env, 'EVENTS_INBOX_RETENTION_HOURS', RETENTION_DEFAULTS.inboxRetentionMs / HOUR_MS, 1, 87_600) * HOUR_MS,
      intervalMs: readInteger(env, 'EVENTS_PRUNE_INTERVAL_MS', RETENTION_DEFAULTS.intervalMs, 0, 86_400_000),
    },
  };
}

/** Redis Streams when REDIS_URL is set, else the in-process bus (one per process: share it between subgraphs). */
export function createEventTransport(config: EventBusConfig, logger: Logger): EventTransport {
  const { redisUrl, prefix, maxLength, consumer } = config;
  logger.info({ transport: redisUrl ? 'redis-streams' : 'in-process', prefix }, 'event bus');
  return redisUrl
    ? new RedisStreamsTransport({ url: redisUrl, prefix, maxLength, consumer, logger })
    : new InProcessTransport({ prefix, maxLength, consumer, logger });
}
