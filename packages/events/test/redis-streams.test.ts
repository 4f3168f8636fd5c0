import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { newEvent, RedisStreamsTransport, type EventEnvelope } from '../src/index.js';
import { deleteRedisKeys, REDIS_URL, silentLogger, uniquePrefix, waitFor } from './support.js';
import { letTimePass, requireTestRedis } from '@commerce/kit';

before(requireTestRedis); // fails at once, with one line, when Redis is not running

const prefix = uniquePrefix();
const SETTINGS = { maxAttempts: 3, retryBaseMs: 20, retryMaxMs: 100, claimIdleMs: 300, blockMs: 2000, batchSize: 10 };

function event(version: number): EventEnvelope {
  return newEvent({ type: 'test.thing-happened', aggregateType: 'Thing', aggregateId: 'x', version, payload: { version } });
}

describe('redis streams transport', () => {
  const transports: RedisStreamsTransport[] = [];
  const open = (options: { url?: string; prefix?: string; timeoutMs?: number } = {}) => {
    const transport = new RedisStreamsTransport({ url: REDIS_URL, prefix, logger: silentLogger(), consumer: SETTINGS, ...options });
    transports.push(transport);
    return transport;
  };
  after(async () => {
    await Promise.all(transports.map((transport) => transport.close()));
    await deleteRedisKeys(prefix);
  });

  it('writes events to <prefix><stream> with id, type and envelope fields', async () => {
    const transport = open();
    const e = event(1);
    const [id] = await transport.publish('layout', [e]);
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    try {
      const [message] = (await redis.xRange(`${prefix}layout`, '-', '+')) ?? [];
      assert.equal(message?.id, id);
      assert.deepEqual({ ...message?.message }, { id: e.id, type: e.type, envelope: JSON.stringify(e) });
    } finally {
      await redis.close();
    }
  });

  it('reclaims messages that a consumer read with XREADGROUP and never acknowledged', async () => {
    const transport = open();
    const stream = 'ghost';
    const group = 'ghost-group';
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    try {
      await redis.xGroupCreate(`${prefix}${stream}`, group, '0', { MKSTREAM: true });
      const events = [event(1), event(2)];
      await transport.publish(stream, events);
      const read = await redis.xReadGroup(group, 'ghost', [{ key: `${prefix}${stream}`, id: '>' }], { COUNT: 10 });
      assert.ok(read);
      await redis.close(); // the ghost is gone, its two messages pending
      const handled: { id: string; attempt: number }[] = [];
      const heir = transport.subscribe({
        group,
        consumer: 'heir',
        streams: [stream],
        handler: async (e, d) => void handled.push({ id: e.id, attempt: d.attempt }),
      });
      await heir.ready;
      await waitFor('the reclaimed messages', () => handled.length === 2, 3000);
      assert.deepEqual(
        handled,
        events.map((e) => ({ id: e.id, attempt: 2 })),
      );
      await heir.stop();
    } finally {
      if (redis.isOpen) await redis.close();
    }
  });

  it('blocking reads have their own connection: publishing is not held up, and stop() does not wait out the block', async () => {
    const transport = open();
    const received: string[] = [];
    const subscription = transport.subscribe({ group: 'blocking', streams: ['blocking'], handler: async (e) => void received.push(e.id) });
    await subscription.ready;
    await letTimePass(50, 'the consumer now waits in XREADGROUP ... BLOCK 2000');
    const started = Date.now();
    const e = event(1);
    await transport.publish('blocking', [e]);
    assert.ok(Date.now() - started < 500, 'publish did not wait for the blocked read');
    await waitFor('the event', () => received.length === 1);
    await letTimePass(50, 'the consumer waits in XREADGROUP ... BLOCK again');
    const stopping = Date.now();
    await subscription.stop();
    assert.ok(Date.now() - stopping < 1000, `stop() took ${Date.now() - stopping} ms`);
  });

  it('keeps deployments with different prefixes apart', async () => {
    const [mine, theirs] = [open(), open({ prefix: `${prefix}other:` })];
    const received: string[] = [];
    const subscription = mine.subscribe({ group: 'apart', streams: ['shared'], handler: async (e) => void received.push(e.id) });
    await subscription.ready;
    await theirs.publish('shared', [event(1)]);
    // a marker published after theirs: on one stream, theirs would be read first
    const marker = event(2);
    await mine.publish('shared', [marker]);
    await waitFor('the marker', () => received.length > 0);
    assert.deepEqual(received, [marker.id]);
    await subscription.stop();
  });

  it('fails fast, without crashing, when Redis is not reachable', async () => {
    const transport = open({ url: 'redis://127.0.0.1:1', timeoutMs: 300 });
    await assert.rejects(transport.publish('down', [event(1)]), /not reachable/);
    const subscription = transport.subscribe({ group: 'down', streams: ['down'], handler: async () => undefined });
    await assert.rejects(subscription.ready, /not reachable/);
    await subscription.stop();
    assert.equal(transport.subscriptionCount(), 0);
  });
});
