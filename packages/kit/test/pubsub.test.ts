import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createClient } from 'redis';
import { ConfigError } from '../src/config.js';
import type { Logger } from '../src/log.js';
import { createPubSub, pubSubConfigFromEnv } from '../src/pubsub/from-env.js';
import { InProcessPubSub } from '../src/pubsub/in-process.js';
import type { PubSub, PubSubOptions, PubSubSubscription } from '../src/pubsub/pubsub.js';
import { RedisPubSub } from '../src/pubsub/redis.js';
import { requireTestRedis } from '../src/testing/redis-keys.js';

before(requireTestRedis); // fails at once, with one line, when Redis is not running

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A logger whose JSON lines the test can read. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

/** The next message, or a failure after `ms`. */
async function nextWithin(subscription: PubSubSubscription, ms = 2000): Promise<IteratorResult<unknown>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      subscription.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no message within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when nothing arrives within `ms`. */
async function nothingWithin(subscription: PubSubSubscription, ms = 150): Promise<boolean> {
  const pending = subscription.next();
  const outcome = await Promise.race([pending.then(() => 'message'), new Promise((resolve) => setTimeout(() => resolve('quiet'), ms))]);
  return outcome === 'quiet';
}

/**
 * What every adapter promises. `connect(options)` gives a PubSub on a shared transport: with Redis, each call
 * is another "process".
 */
function contract(name: string, connect: (options: PubSubOptions) => PubSub) {
  describe(`pub/sub contract (${name})`, () => {
    const opened: PubSub[] = [];
    const open = (options: Partial<PubSubOptions> = {}) => {
      const pubsub = connect({ logger: capturingLogger().logger, ...options });
      opened.push(pubsub);
      return pubsub;
    };
    after(() => Promise.all(opened.map((pubsub) => pubsub.close())));

    it('delivers a JSON copy to every subscriber of the topic, and nothing of other topics', async () => {
      const pubsub = open();
      const [first, second, other] = [pubsub.subscribe('stock'), pubsub.subscribe('stock'), pubsub.subscribe('orders')];
      await Promise.all([first.ready, second.ready, other.ready]);
      assert.equal(pubsub.subscriberCount('stock'), 2);
      const sent = { productId: 'p1', available: 3, at: new Date(0) };
      await pubsub.publish('stock', sent);
      const expected = { productId: 'p1', available: 3, at: '1970-01-01T00:00:00.000Z' }; // through JSON, as over Redis
      const [a, b] = [await nextWithin(first), await nextWithin(second)];
      assert.deepEqual(a, { value: expected, done: false });
      assert.deepEqual(b, { value: expected, done: false });
      assert.notEqual(a.value, b.value, 'each subscriber gets its own copy');
      assert.ok(await nothingWithin(other));
      await Promise.all([first.return(), second.return(), other.return()]);
    });

    it('keeps order, and return() unsubscribes: the iterator ends and later messages are not kept', async () => {
      const pubsub = open();
      const subscription = pubsub.subscribe('order');
      await subscription.ready;
      for (const n of [1, 2, 3]) await pubsub.publish('order', { n });
      const received: unknown[] = [];
      for (let i = 0; i < 3; i += 1) received.push((await nextWithin(subscription)).value);
      assert.deepEqual(received, [{ n: 1 }, { n: 2 }, { n: 3 }]);
      const pending = subscription.next();
      await subscription.return();
      assert.deepEqual(await pending, { value: undefined, done: true }, 'a waiting reader is released');
      assert.equal(pubsub.subscriberCount('order'), 0);
      await pubsub.publish('order', { n: 4 });
      assert.deepEqual(await subscription.next(), { value: undefined, done: true });
    });

    it('filters before buffering', async () => {
      const pubsub = open({ bufferSize: 2 });
      const subscription = pubsub.subscribe('filtered', { filter: (payload) => (payload as { keep?: boolean }).keep === true });
      await subscription.ready;
      for (let i = 0; i < 5; i += 1) await pubsub.publish('filtered', { keep: false, i });
      await pubsub.publish('filtered', { keep: true, i: 5 });
      assert.deepEqual((await nextWithin(subscription)).value, { keep: true, i: 5 });
      await subscription.return();
    });

    it('bounds what a slow subscriber buffers: the oldest are dropped, with a warning', async () => {
      const { logger, lines } = capturingLogger();
      const pubsub = open({ bufferSize: 3, logger });
      const subscription = pubsub.subscribe('slow');
      const fast = pubsub.subscribe('slow'); // read as it comes: once it has the last one, so has the slow one
      await Promise.all([subscription.ready, fast.ready]);
      const readFast = (async () => {
        while (((await nextWithin(fast)).value as { n: unknown }).n !== 'last');
      })();
      for (let n = 1; n <= 10; n += 1) await pubsub.publish('slow', { n });
      await pubsub.publish('slow', { n: 'last' });
      await readFast;
      await fast.return();
      const drained: unknown[] = [];
      for (let i = 0; i < 3; i += 1) drained.push((await nextWithin(subscription)).value);
      assert.deepEqual(drained, [{ n: 9 }, { n: 10 }, { n: 'last' }]);
      const warning = lines.find((line) => line.msg === 'slow subscriber: dropped its oldest buffered messages');
      assert.ok(warning, 'a dropped message is logged');
      assert.equal(warning.topic, 'slow');
      // 8 dropped, yet at most one warning per subscriber (in process, even the fast reader may fall behind)
      assert.ok(lines.filter((line) => line.msg === warning.msg).length <= 2, 'warnings are rate-limited');
      await subscription.return();
    });

    it('close() ends every subscription and refuses new work', async () => {
      const pubsub = connect({ logger: capturingLogger().logger });
      const subscription = pubsub.subscribe('closing');
      await subscription.ready;
      const pending = subscription.next();
      await pubsub.close();
      assert.deepEqual(await pending, { value: undefined, done: true });
      await assert.rejects(pubsub.publish('closing', {}), /closed/);
      assert.throws(() => pubsub.subscribe('closing'), /closed/);
    });
  });
}

contract('in-process', (options) => new InProcessPubSub(options));

describe('in-process pub/sub', () => {
  it('is one bus per instance: another instance does not hear it', async () => {
    const [a, b] = [new InProcessPubSub({ logger: capturingLogger().logger }), new InProcessPubSub({ logger: capturingLogger().logger })];
    const subscription = b.subscribe('t');
    await a.publish('t', 1);
    assert.ok(await nothingWithin(subscription));
    await Promise.all([a.close(), b.close()]);
  });
});

// Every run gets its own prefix, so parallel runs on one Redis never see each other's messages.
const prefix = `test:${randomBytes(4).toString('hex')}:`;
contract('redis', (options) => new RedisPubSub({ url: REDIS_URL, prefix, ...options }));

describe('redis pub/sub across processes', () => {
  const opened: PubSub[] = [];
  const open = (options: Partial<PubSubOptions> & { url?: string; timeoutMs?: number } = {}) => {
    const pubsub = new RedisPubSub({ url: REDIS_URL, prefix, logger: capturingLogger().logger, ...options });
    opened.push(pubsub);
    return pubsub;
  };
  after(() => Promise.all(opened.map((pubsub) => pubsub.close())));

  it('delivers what one process publishes to the subscribers of another', async () => {
    const [publisher, subscriber] = [open(), open()];
    const subscription = subscriber.subscribe('inventory.stock-changed');
    await subscription.ready;
    await publisher.publish('inventory.stock-changed', { productId: 'p1', available: 12 });
    assert.deepEqual((await nextWithin(subscription)).value, { productId: 'p1', available: 12 });
    await subscription.return();
  });

  it('keeps deployments with different prefixes apart', async () => {
    const [mine, theirs] = [open(), open({ prefix: `${prefix}other:` })];
    const subscription = mine.subscribe('shared-name');
    await subscription.ready;
    await theirs.publish('shared-name', { from: 'them' });
    assert.ok(await nothingWithin(subscription, 300));
    await subscription.return();
  });

  it('unsubscribes from Redis when the last local subscriber of a topic leaves', async () => {
    const pubsub = open();
    const channel = `${prefix}leaving`;
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    try {
      const [first, second] = [pubsub.subscribe('leaving'), pubsub.subscribe('leaving')];
      await Promise.all([first.ready, second.ready]);
      assert.deepEqual(await redis.pubSubNumSub(channel), { [channel]: 1 }, 'one Redis subscription per process and topic');
      await first.return();
      assert.equal(pubsub.subscriberCount('leaving'), 1);
      await second.return();
      let count = 1;
      for (let waited = 0; waited < 2000 && count > 0; waited += 20) {
        count = Number((await redis.pubSubNumSub(channel))[channel] ?? 0);
        if (count > 0) await delay(20);
      }
      assert.equal(count, 0);
    } finally {
      await redis.close();
    }
  });

  it('fails fast, without crashing, when Redis is not reachable', async () => {
    const pubsub = open({ url: 'redis://127.0.0.1:1', timeoutMs: 300 });
    await assert.rejects(pubsub.publish('t', {}), /not reachable/);
    const subscription = pubsub.subscribe('t');
    await assert.rejects(subscription.ready, /not reachable/);
    assert.deepEqual(await subscription.next(), { value: undefined, done: true }, 'a failed subscription has ended');
    assert.equal(pubsub.subscriberCount('t'), 0);
  });
});

describe('pub/sub from the environment', () => {
  it('uses Redis when REDIS_URL is set, else this process', async () => {
    const { logger } = capturingLogger();
    const memory = createPubSub(pubSubConfigFromEnv({}), logger);
    const redis = createPubSub(pubSubConfigFromEnv({ REDIS_URL, PUBSUB_CHANNEL_PREFIX: prefix, PUBSUB_BUFFER_SIZE: '5' }), logger);
    assert.ok(memory instanceof InProcessPubSub);
    assert.ok(redis instanceof RedisPubSub);
    await Promise.all([memory.close(), redis.close()]);
    assert.deepEqual(pubSubConfigFromEnv({}), { redisUrl: undefined, prefix: 'ps:', bufferSize: 100 });
  });

  it('refuses bad values with a clear message', () => {
    assert.throws(() => pubSubConfigFromEnv({ REDIS_URL: 'http://localhost' }), ConfigError);
    assert.throws(() => pubSubConfigFromEnv({ REDIS_URL: 'not a url' }), ConfigError);
    assert.throws(() => pubSubConfigFromEnv({ PUBSUB_BUFFER_SIZE: '0' }), /PUBSUB_BUFFER_SIZE/);
  });
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
