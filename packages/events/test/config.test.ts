import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@commerce/kit';
import {
  CONSUMER_DEFAULTS,
  createEventTransport,
  eventBusConfigFromEnv,
  InProcessTransport,
  RedisStreamsTransport,
  resolveConsumerSettings,
  retryDelay,
  RETENTION_DEFAULTS,
} from '../src/index.js';
import { REDIS_URL, silentLogger, uniquePrefix } from './support.js';

describe('event bus configuration', () => {
  it('defaults to the in-process bus', () => {
    const config = eventBusConfigFromEnv({});
    assert.deepEqual(config, {
      redisUrl: undefined,
      prefix: 'events:',
      maxLength: 1_000_000,
      consumer: CONSUMER_DEFAULTS,
      relay: { pollIntervalMs: 500, batchSize: 100 },
      retention: RETENTION_DEFAULTS,
    });
  });

  it('reads every EVENTS_* variable', () => {
    const config = eventBusConfigFromEnv({
      REDIS_URL: 'redis://cache:6379/2',
      EVENTS_STREAM_PREFIX: 'prod:events:',
      EVENTS_STREAM_MAX_LENGTH: '0',
      EVENTS_MAX_ATTEMPTS: '8',
      EVENTS_RETRY_BASE_MS: '100',
      EVENTS_RETRY_MAX_MS: '10000',
      EVENTS_CLAIM_IDLE_MS: '20000',
      EVENTS_BLOCK_MS: '1000',
      EVENTS_BATCH_SIZE: '50',
      EVENTS_CONSUMER_CONCURRENCY: '16',
      EVENTS_RELAY_POLL_MS: '200',
      EVENTS_RELAY_BATCH_SIZE: '500',
      EVENTS_OUTBOX_RETENTION_HOURS: '24',
      EVENTS_INBOX_RETENTION_HOURS: '240',
      EVENTS_PRUNE_INTERVAL_MS: '60000',
    });
    assert.deepEqual(config, {
      redisUrl: 'redis://cache:6379/2',
      prefix: 'prod:events:',
      maxLength: 0,
      consumer: {
        maxAttempts: 8,
        retryBaseMs: 100,
        retryMaxMs: 10_000,
        claimIdleMs: 20_000,
        blockMs: 1000,
        batchSize: 50,
        concurrency: 16,
      },
      relay: { pollIntervalMs: 200, batchSize: 500 },
      retention: { outboxRetentionMs: 24 * 3_600_000, inboxRetentionMs: 240 * 3_600_000, intervalMs: 60_000 },
    });
  });

  it('refuses bad values with a clear message', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ REDIS_URL: 'http://localhost' }, /REDIS_URL/],
      [{ REDIS_URL: 'not a url' }, /REDIS_URL/],
      [{ EVENTS_MAX_ATTEMPTS: '0' }, /EVENTS_MAX_ATTEMPTS/],
      [{ EVENTS_MAX_ATTEMPTS: 'five' }, /EVENTS_MAX_ATTEMPTS/],
      [{ EVENTS_STREAM_PREFIX: 'has space' }, /EVENTS_STREAM_PREFIX/],
      [{ EVENTS_RETRY_BASE_MS: '5000', EVENTS_RETRY_MAX_MS: '1000' }, /retryMaxMs/],
      [{ EVENTS_CLAIM_IDLE_MS: '1000' }, /claimIdleMs/],
      [{ EVENTS_RELAY_POLL_MS: '-1' }, /EVENTS_RELAY_POLL_MS/],
      [{ EVENTS_CONSUMER_CONCURRENCY: '0' }, /EVENTS_CONSUMER_CONCURRENCY must be a whole number from 1 to 256, got "0"/],
      [{ EVENTS_CONSUMER_CONCURRENCY: 'x' }, /EVENTS_CONSUMER_CONCURRENCY must be a whole number from 1 to 256, got "x"/],
      [{ EVENTS_CONSUMER_CONCURRENCY: '257' }, /EVENTS_CONSUMER_CONCURRENCY/],
      [{ EVENTS_CONSUMER_CONCURRENCY: '2.5' }, /EVENTS_CONSUMER_CONCURRENCY/],
    ];
    for (const [env, message] of bad)
      assert.throws(
        () => eventBusConfigFromEnv(env),
        (error: Error) => error instanceof ConfigError && message.test(error.message),
      );
  });

  it('picks Redis Streams when REDIS_URL is set, else the in-process bus', async () => {
    const logger = silentLogger();
    const memory = createEventTransport(eventBusConfigFromEnv({}), logger);
    const redis = createEventTransport(eventBusConfigFromEnv({ REDIS_URL, EVENTS_STREAM_PREFIX: uniquePrefix() }), logger);
    assert.ok(memory instanceof InProcessTransport);
    assert.equal(memory.kind, 'in-process');
    assert.ok(redis instanceof RedisStreamsTransport);
    assert.equal(redis.kind, 'redis-streams');
    await Promise.all([memory.close(), redis.close()]);
  });

  it('backs off exponentially up to the maximum', () => {
    const settings = resolveConsumerSettings({ retryBaseMs: 100, retryMaxMs: 1000, claimIdleMs: 1000 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 50].map((failures) => retryDelay(settings, failures)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.throws(() => resolveConsumerSettings({ batchSize: 0 }), /batchSize/);
    assert.throws(() => resolveConsumerSettings({ concurrency: 0 }), /concurrency must be a whole number from 1 to 256, got 0/);
    assert.throws(() => resolveConsumerSettings({ concurrency: 257 }), /concurrency/);
    assert.equal(CONSUMER_DEFAULTS.concurrency, 8);
    assert.ok(CONSUMER_DEFAULTS.batchSize >= CONSUMER_DEFAULTS.concurrency, 'a default read can fill every handler slot');
  });
});
