import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Database, SqlSession } from '@commerce/kit';
import { createClient } from 'redis';
import {
  appendToOutbox,
  consume,
  databaseTransactions,
  EVENT_TABLES_SQL,
  idempotentHandler,
  InProcessTransport,
  newEvent,
  OutboxRelay,
  RedisStreamsTransport,
  type ConsumerSettings,
  type Delivery,
  type EventEnvelope,
  type EventSubscription,
  type StreamsTransport,
} from '../src/index.js';
import {
  DATABASE_MODE,
  deleteRedisKeys,
  drain,
  openTestDatabase,
  REDIS_URL,
  silentLogger,
  uniquePrefix,
  waitFor,
  type TestDatabase,
} from './support.js';
import { requireTestRedis } from '@commerce/kit';

before(requireTestRedis); // fails at once, with one line, when Redis is not running

/** Short times, so that retries, dead letters and reclaims happen within a test. */
const SETTINGS: Partial<ConsumerSettings> = {
  maxAttempts: 3,
  retryBaseMs: 20,
  retryMaxMs: 100,
  claimIdleMs: 300,
  blockMs: 50,
  batchSize: 10,
};
const RELAY = { pollIntervalMs: 20, retryBaseMs: 20, retryMaxMs: 100 };

const TEST_TABLES = `
${EVENT_TABLES_SQL}
CREATE TABLE test_effects (event_id UUID NOT NULL, consumer TEXT NOT NULL, value INTEGER);`;

interface Pair {
  name: string;
  transport(): StreamsTransport;
  /** Appends a message with these fields to the stream, from outside the transport. */
  appendRaw(transport: StreamsTransport, stream: string, fields: Record<string, string>): Promise<void>;
  cleanUp(): Promise<void>;
}

const prefix = uniquePrefix();
const pairs: Pair[] = [
  {
    name: `${DATABASE_MODE} + in-process`,
    transport: () => new InProcessTransport({ logger: silentLogger(), prefix, consumer: SETTINGS }),
    appendRaw: async (transport, stream, fields) => {
      await transport.publishRaw(stream, fields);
    },
    cleanUp: async () => undefined,
  },
  {
    name: `${DATABASE_MODE} + redis-streams`,
    transport: () => new RedisStreamsTransport({ url: REDIS_URL, logger: silentLogger(), prefix, consumer: SETTINGS }),
    appendRaw: async (transport, stream, fields) => {
      const redis = createClient({ url: REDIS_URL });
      await redis.connect();
      await redis.xAdd(transport.keyOf(stream), '*', fields);
      await redis.close();
    },
    cleanUp: () => deleteRedisKeys(prefix),
  },
];

let database: TestDatabase;
before(async () => {
  database = await openTestDatabase();
  await database.db.exec(TEST_TABLES);
});
after(() => database.drop());

let counter = 0;
/** Stream and group names of their own per test. */
function names() {
  counter += 1;
  return { stream: `stream${counter}`, group: `group${counter}` };
}

function event(aggregateId: string, version: number, payload: Record<string, unknown> = {}): EventEnvelope {
  return newEvent({ type: 'test.thing-happened', aggregateType: 'Thing', aggregateId, version, payload });
}

async function commit(db: Database, stream: string, events: EventEnvelope[]): Promise<void> {
  await db.transaction((tx) => appendToOutbox(tx, stream, events));
}

/** The handler's effect: one row per run. */
async function applyEffect(tx: SqlSession, event: EventEnvelope, consumer: string): Promise<void> {
  await tx.query('INSERT INTO test_effects (event_id, consumer, value) VALUES ($1::uuid, $2::text, $3::int)', [
    event.id,
    consumer,
    event.version,
  ]);
}

async function effects(db: Database, consumer: string): Promise<string[]> {
  const rows = await db.query<{ event_id: string }>('SELECT event_id::text AS event_id FROM test_effects WHERE consumer = $1::text', [
    consumer,
  ]);
  return rows.map((row) => row.event_id);
}

for (const pair of pairs) {
  describe(`event bus (${pair.name})`, () => {
    let transport: StreamsTransport;
    const cleanups: (() => Promise<unknown>)[] = [];
    const subscribed = <S extends EventSubscription>(subscription: S): S => {
      cleanups.push(() => subscription.stop());
      return subscription;
    };
    const relayOn = (db: Database, options: { batchSize?: number } = {}) => {
      const relay = new OutboxRelay({ db, transport, logger: silentLogger(), ...RELAY, ...options });
      cleanups.push(() => relay.stop());
      return relay;
    };

    before(() => {
      transport = pair.transport();
    });
    beforeEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
      await database.db.exec('TRUNCATE outbox_events, inbox_events, test_effects');
    });
    after(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
      await transport.close();
      await pair.cleanUp();
    });

    it('publishes committed events exactly once and in order, and never one whose transaction rolled back', async () => {
      const { db } = database;
      const { stream, group } = names();
      const [first, second, third, fourth] = [event('a', 1), event('a', 2), event('b', 1), event('a', 3)];
      const rolledBack = event('a', 99);
      await assert.rejects(
        db.transaction(async (tx) => {
          await appendToOutbox(tx, stream, [rolledBack]);
          throw new Error('the state change failed');
        }),
        /the state change failed/,
      );
      await commit(db, stream, [first, second]);
      await commit(db, stream, [third]);
      await commit(db, stream, [fourth]);
      const relay = relayOn(db);
      const lag = await relay.lag();
      assert.equal(lag.unpublished, 4);
      assert.ok(lag.oldestAgeMs !== null && lag.oldestAgeMs >= 0);

      const received: string[] = [];
      // One message at a time: the handler sees the stream's order (concurrent ones keep only each aggregate's).
      const subscription = subscribed(
        transport.subscribe({ group, streams: [stream], settings: { concurrency: 1 }, handler: async (e) => void received.push(e.id) }),
      );
      await subscription.ready;
      relay.start();
      await waitFor('4 events', () => received.length >= 4);
      await drain({ transport, streams: [stream], group, subscriptions: [subscription], relays: [relay] }); // anything more is handled now
      assert.deepEqual(
        received,
        [first, second, third, fourth].map((e) => e.id),
      );
      assert.deepEqual(await relay.lag(), { unpublished: 0, oldestAgeMs: null });
      assert.equal(relay.stats().published, 4);
      const rows = await db.query<{ published: boolean }>('SELECT published_at IS NOT NULL AS published FROM outbox_events');
      assert.equal(rows.length, 4);
      assert.ok(rows.every((row) => row.published));
      await waitFor('no pending message', async () => (await transport.groupLag(stream, group)).pending === 0);
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 0 });
    });

    it('nudge() publishes at once instead of at the next poll', async () => {
      const { db } = database;
      const { stream, group } = names();
      const relay = new OutboxRelay({ db, transport, logger: silentLogger(), pollIntervalMs: 60_000 });
      cleanups.push(() => relay.stop());
      const received: string[] = [];
      const subscription = subscribed(transport.subscribe({ group, streams: [stream], handler: async (e) => void received.push(e.id) }));
      await subscription.ready;
      relay.start();
      await waitFor('the first round (it finds nothing; the next poll is a minute away)', () => relay.stats().rounds === 1);
      const e = event('n', 1);
      await commit(db, stream, [e]);
      relay.nudge();
      await waitFor('the nudged event', () => received.length === 1, 2000);
      assert.deepEqual(received, [e.id]);

      await relay.stop();
      await commit(db, stream, [event('n', 2)]);
      relay.nudge();
      // the outbox keeps the row: drain what could have reached the stream
      await drain({ transport, streams: [stream], group, subscriptions: [subscription], relays: [relay], outbox: false });
      assert.equal(received.length, 1, 'a stopped relay publishes nothing');
      assert.equal((await relay.lag()).unpublished, 1);
    });

    it('delivers every event to every group, and within a group to one consumer', async () => {
      const { stream, group } = names();
      const seen: Record<string, string[]> = { a1: [], a2: [], b: [] };
      const handler = (who: string) => async (e: EventEnvelope) => void seen[who]?.push(e.id);
      const subscriptions = [
        subscribed(transport.subscribe({ group: `${group}-a`, consumer: 'a1', streams: [stream], handler: handler('a1') })),
        subscribed(transport.subscribe({ group: `${group}-a`, consumer: 'a2', streams: [stream], handler: handler('a2') })),
        subscribed(transport.subscribe({ group: `${group}-b`, consumer: 'b', streams: [stream], handler: handler('b') })),
      ];
      await Promise.all(subscriptions.map((subscription) => subscription.ready));
      const events = Array.from({ length: 20 }, (_, i) => event('g', i + 1));
      for (const e of events) await transport.publish(stream, [e]);
      await waitFor('both groups', () => (seen.a1?.length ?? 0) + (seen.a2?.length ?? 0) === 20 && seen.b?.length === 20);
      assert.deepEqual([...(seen.a1 ?? []), ...(seen.a2 ?? [])].sort(), events.map((e) => e.id).sort());
      assert.deepEqual(
        seen.b,
        events.map((e) => e.id),
      );
    });

    it('applies the effect of an event delivered twice only once', async () => {
      const { db } = database;
      const { stream, group } = names();
      const e = event('dup', 1);
      const subscription = subscribed(
        consume(transport, {
          group,
          streams: [stream],
          transactions: databaseTransactions(db),
          handler: (ev, tx) => applyEffect(tx, ev, group),
        }),
      );
      await subscription.ready;
      await transport.publish(stream, [e]);
      await transport.publish(stream, [e]); // e.g. a relay that crashed between publishing and marking the row
      await waitFor('both deliveries', () => subscription.stats().handled === 2);
      assert.deepEqual(await effects(db, group), [e.id]);
      assert.equal(subscription.stats().duplicates, 1);
      const inbox = await db.query<{ consumer: string; event_id: string }>('SELECT consumer, event_id::text AS event_id FROM inbox_events');
      assert.deepEqual(inbox, [{ consumer: group, event_id: e.id }]);
    });

    it('applies the effect once when a consumer crashes after its commit and before the ack', async () => {
      const { db } = database;
      const { stream, group } = names();
      const transactions = databaseTransactions(db);
      const inner = idempotentHandler(group, transactions, (ev, tx) => applyEffect(tx, ev, group));
      let crashed: EventSubscription | undefined;
      const crashing: EventSubscription = transport.subscribe({
        group,
        consumer: 'crashes',
        streams: [stream],
        handler: async (ev, delivery) => {
          await inner.handler(ev, delivery); // committed: the effect and the inbox row
          crashed = crashing;
          await crashing.abort(); // the process dies before XACK
        },
      });
      await crashing.ready;
      const e = event('crash', 1);
      await transport.publish(stream, [e]);
      await waitFor('the crash', () => crashed !== undefined);
      assert.deepEqual(await effects(db, group), [e.id]);
      assert.equal((await transport.groupLag(stream, group)).pending, 1, 'not acknowledged');

      const survivor = subscribed(
        consume(transport, {
          group,
          consumer: 'survives',
          streams: [stream],
          transactions,
          handler: (ev, tx) => applyEffect(tx, ev, group),
        }),
      );
      await waitFor('the reclaim', () => survivor.stats().duplicates === 1, 3000);
      await waitFor('the ack', async () => (await transport.groupLag(stream, group)).pending === 0);
      assert.deepEqual(await effects(db, group), [e.id], 'the effect once');
      assert.equal(survivor.stats().reclaimed, 1);
    });

    it('retries a failing handler with exponential backoff until it succeeds', async () => {
      const { db } = database;
      const { stream, group } = names();
      const attempts: { attempt: number; at: number }[] = [];
      const subscription = subscribed(
        consume(transport, {
          group,
          streams: [stream],
          transactions: databaseTransactions(db),
          settings: { maxAttempts: 4, retryBaseMs: 40, retryMaxMs: 200 },
          handler: async (ev, tx, delivery) => {
            attempts.push({ attempt: delivery.attempt, at: Date.now() });
            await applyEffect(tx, ev, group); // rolled back with the inbox row when this attempt fails
            if (delivery.attempt < 3) throw new Error(`flaky ${delivery.attempt}`);
          },
        }),
      );
      await subscription.ready;
      const e = event('flaky', 1);
      await transport.publish(stream, [e]);
      await waitFor('the third attempt to succeed', () => subscription.stats().handled === 1, 3000);
      assert.deepEqual(
        attempts.map((a) => a.attempt),
        [1, 2, 3],
      );
      const [a1, a2, a3] = attempts.map((a) => a.at) as [number, number, number];
      assert.ok(a2 - a1 >= 40, `first retry after the base delay (${a2 - a1} ms)`);
      assert.ok(a3 - a2 >= 80, `second retry after twice the delay (${a3 - a2} ms)`);
      assert.deepEqual(await effects(db, group), [e.id], 'failed attempts left nothing behind');
      assert.equal(subscription.stats().failed, 2);
      assert.equal(await transport.deadLetterCount(stream), 0);
    });

    it('moves an event whose handler always fails to the dead-letter stream after maxAttempts, and stops delivering it', async () => {
      const { db } = database;
      const { stream, group } = names();
      const attempts: number[] = [];
      const subscription = subscribed(
        consume(transport, {
          group,
          streams: [stream],
          transactions: databaseTransactions(db),
          handler: async (_ev, _tx, delivery: Delivery) => {
            attempts.push(delivery.attempt);
            throw new Error('payment provider said no');
          },
        }),
      );
      await subscription.ready;
      const [poison, fine] = [event('poison', 1), event('fine', 1)];
      await transport.publish(stream, [poison]);
      await waitFor('the dead letter', async () => (await transport.deadLetterCount(stream)) === 1, 3000);
      await drain({ transport, streams: [stream], group, subscriptions: [subscription] }); // nothing left pending to deliver again
      assert.deepEqual(attempts, [1, 2, 3]);
      const [dead] = await transport.deadLetters(stream);
      assert.ok(dead);
      assert.equal(dead.group, group);
      assert.equal(dead.attempts, 3);
      assert.match(dead.error, /payment provider said no/);
      assert.equal(JSON.parse(dead.fields.envelope ?? '{}').id, poison.id);
      assert.equal(subscription.stats().deadLettered, 1);
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 0 });
      assert.deepEqual(await db.query('SELECT * FROM inbox_events'), [], 'no inbox row: every attempt rolled back');

      // The consumer goes on with the next event.
      attempts.length = 0;
      await transport.publish(stream, [fine]);
      await waitFor('the next event', () => attempts.length >= 1);
    });

    it('lets another consumer of the group reclaim and handle what a dead consumer left pending', async () => {
      const { db } = database;
      const { stream, group } = names();
      let release = () => {};
      const stuck = new Promise<void>((resolve) => {
        release = resolve;
      });
      cleanups.push(async () => release());
      const dying = transport.subscribe({ group, consumer: 'dying', streams: [stream], handler: () => stuck });
      await dying.ready;
      const events = [event('r', 1), event('r', 2), event('r', 3)];
      await transport.publish(stream, events);
      await waitFor('all three read by the dying consumer', async () => (await transport.groupLag(stream, group)).pending === 3);
      await dying.abort(); // read, never acknowledged: the process is gone

      const deliveries: Delivery[] = [];
      const heir = subscribed(
        consume(transport, {
          group,
          consumer: 'heir',
          streams: [stream],
          transactions: databaseTransactions(db),
          handler: async (ev, tx, delivery) => {
            deliveries.push(delivery);
            await applyEffect(tx, ev, group);
          },
        }),
      );
      await heir.ready;
      await waitFor('the reclaimed events', () => heir.stats().handled === 3, 3000);
      assert.deepEqual((await effects(db, group)).sort(), events.map((e) => e.id).sort());
      assert.ok(
        deliveries.every((d) => d.consumer === 'heir' && d.attempt === 2),
        JSON.stringify(deliveries),
      );
      assert.equal(heir.stats().reclaimed, 3);
      await waitFor('the acks', async () => (await transport.groupLag(stream, group)).pending === 0);
    });

    it('publishes each event once with two relays on one outbox', async () => {
      const { db } = database;
      const { stream, group } = names();
      const events = Array.from({ length: 60 }, (_, i) => event(`agg${i % 4}`, Math.floor(i / 4) + 1));
      for (let i = 0; i < events.length; i += 6) await commit(db, stream, events.slice(i, i + 6));
      const received: string[] = [];
      const subscription = subscribed(
        transport.subscribe({ group, streams: [stream], settings: { concurrency: 1 }, handler: async (e) => void received.push(e.id) }),
      );
      await subscription.ready;
      const relays = [relayOn(db, { batchSize: 7 }), relayOn(await database.openAnother(), { batchSize: 7 })];
      for (const relay of relays) relay.start();
      await waitFor('60 events', () => received.length >= 60);
      await drain({ transport, streams: [stream], group, subscriptions: [subscription], relays });
      assert.equal(received.length, 60, 'no event twice');
      assert.deepEqual(
        received,
        events.map((e) => e.id),
        'in outbox order',
      );
      assert.equal(
        relays.reduce((sum, relay) => sum + relay.stats().published, 0),
        60,
      );
    });

    it('keeps a row whose publish failed, backs off, and publishes it once the transport is back', async () => {
      const { db } = database;
      const { stream, group } = names();
      let failing = true;
      const flaky = {
        publish: (name: string, events: readonly EventEnvelope[]) =>
          failing ? Promise.reject(new Error('Redis is down')) : transport.publish(name, events),
      };
      const relay = new OutboxRelay({ db, transport: flaky, logger: silentLogger(), ...RELAY });
      cleanups.push(() => relay.stop());
      const received: string[] = [];
      const subscription = subscribed(transport.subscribe({ group, streams: [stream], handler: async (e) => void received.push(e.id) }));
      await subscription.ready;
      const e = event('retry', 1);
      await commit(db, stream, [e]);
      relay.start();
      await waitFor('two failed rounds', () => relay.stats().failedRounds >= 2);
      const [row] = await db.query<{ attempts: number; last_error: string | null; published: boolean }>(
        'SELECT attempts, last_error, published_at IS NOT NULL AS published FROM outbox_events',
      );
      assert.ok(row && row.attempts >= 2 && row.last_error === 'Redis is down' && !row.published, JSON.stringify(row));
      assert.equal((await relay.lag()).unpublished, 1);
      failing = false;
      await waitFor('the event', () => received.length === 1, 3000);
      await waitFor('the round to commit', () => relay.stats().consecutiveFailures === 0);
      assert.deepEqual(await relay.lag(), { unpublished: 0, oldestAgeMs: null });
      await drain({ transport, streams: [stream], group, subscriptions: [subscription], relays: [relay] });
      assert.deepEqual(received, [e.id], 'published once');
    });

    it('moves malformed messages to the dead-letter stream and goes on', async () => {
      const { stream, group } = names();
      const handled: string[] = [];
      const subscription = subscribed(transport.subscribe({ group, streams: [stream], handler: async (e) => void handled.push(e.id) }));
      await subscription.ready;
      await pair.appendRaw(transport, stream, { hello: 'world' });
      await pair.appendRaw(transport, stream, { envelope: '{not json' });
      await pair.appendRaw(transport, stream, { envelope: JSON.stringify({ ...event('m', 1), id: 'not-a-uuid' }) });
      const valid = event('m', 2);
      await transport.publish(stream, [valid]);
      await waitFor('the valid event', () => handled.length === 1);
      await waitFor('3 dead letters', async () => (await transport.deadLetterCount(stream)) === 3);
      assert.deepEqual(handled, [valid.id]);
      const dead = await transport.deadLetters(stream);
      assert.deepEqual(
        dead.map((letter) => letter.error),
        [
          'malformed message: the message has no "envelope" field',
          `malformed message: the envelope is not JSON (${jsonError('{not json')})`,
          'malformed message: id must be a UUID',
        ],
      );
      assert.deepEqual(dead[0]?.fields, { hello: 'world' });
      assert.equal(subscription.stats().malformed, 3);
      await waitFor('no pending message', async () => (await transport.groupLag(stream, group)).pending === 0);
    });

    it('stop() finishes the event in hand, acknowledges it, and stops reading', async () => {
      const { stream, group } = names();
      let finish = () => {};
      const started: string[] = [];
      const subscription = transport.subscribe({
        group,
        streams: [stream],
        settings: { batchSize: 1, concurrency: 1 },
        handler: async (e) => {
          started.push(e.id);
          await new Promise<void>((resolve) => {
            finish = resolve;
          });
        },
      });
      await subscription.ready;
      await transport.publish(stream, [event('s', 1), event('s', 2)]);
      await waitFor('the first event', () => started.length === 1);
      const stopping = subscription.stop();
      finish();
      await stopping;
      assert.equal(subscription.stats().handled, 1);
      assert.equal(started.length, 1, 'nothing read after stop()');
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 1 });
    });
  });
}

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}
