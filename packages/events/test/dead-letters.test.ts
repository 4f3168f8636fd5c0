import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SqlSession } from '@commerce/kit';
import { deadLettersCommand } from '../src/cli/dead-letters.js';
import {
  consume,
  databaseTransactions,
  EVENT_TABLES_SQL,
  InProcessTransport,
  newEvent,
  RedisStreamsTransport,
  type ConsumerSettings,
  type EventEnvelope,
  type EventSubscription,
  type StreamsTransport,
} from '../src/index.js';
import {
  DATABASE_MODE,
  deleteRedisKeys,
  openTestDatabase,
  REDIS_URL,
  silentLogger,
  uniquePrefix,
  waitFor,
  type TestDatabase,
} from './support.js';
import { requireTestRedis } from '@commerce/kit';

before(requireTestRedis); // fails at once, with one line, when Redis is not running

const SETTINGS: Partial<ConsumerSettings> = {
  maxAttempts: 2,
  retryBaseMs: 20,
  retryMaxMs: 50,
  claimIdleMs: 300,
  blockMs: 50,
  batchSize: 10,
};
const prefix = uniquePrefix();
const transports: { name: string; open(): StreamsTransport }[] = [
  { name: 'in-process', open: () => new InProcessTransport({ logger: silentLogger(), prefix, consumer: SETTINGS }) },
  { name: 'redis-streams', open: () => new RedisStreamsTransport({ url: REDIS_URL, logger: silentLogger(), prefix, consumer: SETTINGS }) },
];

let database: TestDatabase;
before(async () => {
  database = await openTestDatabase();
  await database.db.exec(`${EVENT_TABLES_SQL}\nCREATE TABLE dead_letter_effects (event_id UUID NOT NULL, consumer TEXT NOT NULL);`);
});
after(async () => {
  await database.drop();
  await deleteRedisKeys(prefix);
});

function thing(aggregateId: string): EventEnvelope {
  return newEvent({ type: 'test.thing-happened', aggregateType: 'Thing', aggregateId, version: 1, payload: {} });
}

async function effects(consumer: string): Promise<string[]> {
  const rows = await database.db.query<{ event_id: string }>(
    'SELECT event_id::text AS event_id FROM dead_letter_effects WHERE consumer = $1::text ORDER BY event_id',
    [consumer],
  );
  return rows.map((row) => row.event_id);
}

for (const { name, open } of transports) {
  describe(`dead letters (${DATABASE_MODE} + ${name})`, () => {
    it('replays a dead letter once its cause is fixed: the failed group applies it once, the other group absorbs the duplicate', async () => {
      const transport = open();
      const stream = `dl-replay-${name}`;
      const subscriptions: EventSubscription[] = [];
      let broken = true;
      const handlerOf = (group: string, fails: () => boolean) => async (event: EventEnvelope, tx: SqlSession) => {
        if (fails()) throw new Error('the handler is broken');
        await tx.query('INSERT INTO dead_letter_effects (event_id, consumer) VALUES ($1::uuid, $2::text)', [event.id, group]);
      };
      try {
        const transactions = databaseTransactions(database.db);
        const good = consume(transport, {
          group: `good-${name}`,
          streams: [stream],
          transactions,
          handler: handlerOf(`good-${name}`, () => false),
        });
        const picky = consume(transport, {
          group: `picky-${name}`,
          streams: [stream],
          transactions,
          handler: handlerOf(`picky-${name}`, () => broken),
        });
        subscriptions.push(good, picky);
        await Promise.all([good.ready, picky.ready]);
        const [first, second] = [thing('a'), thing('b')];
        await transport.publish(stream, [first!, second!]);
        await transport.publishRaw(stream, { envelope: 'not json' });
        await waitFor('two dead letters per group failure', async () => (await transport.deadLetterCount(stream)) === 4);
        const dead = await transport.deadLetters(stream);
        const valid = dead.filter((letter) => letter.group === `picky-${name}` && letter.fields.id);
        assert.deepEqual(valid.map((letter) => letter.fields.id).sort(), [first!.id, second!.id].sort());
        assert.ok(valid.every((letter) => letter.attempts === 2 && letter.error.includes('the handler is broken')));
        const malformed = dead.filter((letter) => !letter.fields.id);
        assert.equal(malformed.length, 2, 'the malformed message, dead-lettered by both groups');
        assert.deepEqual(await effects(`picky-${name}`), []);

        broken = false;
        const firstLetter = valid.find((letter) => letter.fields.id === first!.id)!;
        const outcomes = await transport.replayDeadLetters(stream, [firstLetter.id, malformed[0]!.id, '1-1', 'nonsense']);
        assert.deepEqual(
          outcomes.map(({ id, outcome }) => ({ id, outcome })),
          [
            { id: firstLetter.id, outcome: 'replayed' },
            { id: malformed[0]!.id, outcome: 'malformed' },
            { id: '1-1', outcome: 'not-found' },
            { id: 'nonsense', outcome: 'not-found' },
          ],
        );
        await waitFor('the replayed event applied', async () => (await effects(`picky-${name}`)).length === 1);
        await waitFor('the duplicate absorbed', () => good.stats().duplicates === 1);
        assert.deepEqual(await effects(`picky-${name}`), [first!.id]);
        assert.deepEqual((await effects(`good-${name}`)).sort(), [first!.id, second!.id].sort(), 'the other group applied each event once');
        assert.equal(await transport.deadLetterCount(stream), 3, 'the replayed letter left the dead-letter stream; the rest stayed');

        // Replaying the same letter again does nothing: it is gone from the dead-letter stream.
        assert.deepEqual(
          (await transport.replayDeadLetters(stream, [firstLetter.id])).map((o) => o.outcome),
          ['not-found'],
        );
        const discarded = await transport.discardDeadLetters(
          stream,
          malformed.map((letter) => letter.id),
        );
        assert.deepEqual(
          discarded.map((o) => o.outcome),
          ['discarded', 'discarded'],
        );
        assert.equal(await transport.deadLetterCount(stream), 1);
      } finally {
        await Promise.all(subscriptions.map((subscription) => subscription.stop()));
        await transport.close();
      }
    });

    it('an event whose handler fails only because the database is unreachable waits past maxAttempts and is handled once it is back, not dead-lettered', async () => {
      const transport = open();
      const stream = `dl-outage-${name}`;
      const group = `outage-${name}`;
      let outageDeliveries = 0;
      const subscription = consume(transport, {
        group,
        streams: [stream],
        transactions: databaseTransactions(database.db),
        handler: async (event, tx) => {
          // What pg throws while the server is down; maxAttempts is 2, the outage lasts 4 deliveries.
          if (outageDeliveries < 4) {
            outageDeliveries += 1;
            throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
          }
          await tx.query('INSERT INTO dead_letter_effects (event_id, consumer) VALUES ($1::uuid, $2::text)', [event.id, group]);
        },
      });
      try {
        await subscription.ready;
        const event = thing('outage');
        await transport.publish(stream, [event]);
        await waitFor('the event handled after the outage', async () => (await effects(group)).length === 1);
        assert.deepEqual(await effects(group), [event.id]);
        assert.equal(outageDeliveries, 4);
        assert.equal(await transport.deadLetterCount(stream), 0, 'nothing dead-lettered');
      } finally {
        await subscription.stop();
        await transport.close();
      }
    });

    it('the dead-letters command lists, replays all and discards, with exit codes', async () => {
      const transport = open();
      const stream = `dl-cli-${name}`;
      const handled: string[] = [];
      let broken = true;
      const subscription = transport.subscribe({
        group: 'cli',
        streams: [stream],
        handler: async (event) => {
          if (broken) throw new Error('not yet');
          handled.push(event.id);
        },
      });
      try {
        await subscription.ready;
        const events = [thing('x'), thing('y')];
        await transport.publish(stream, events);
        await waitFor('both dead-lettered', async () => (await transport.deadLetterCount(stream)) === 2);
        const run = async (...args: string[]) => {
          const lines: string[] = [];
          const code = await deadLettersCommand(args, transport, (line) => lines.push(line));
          return { code, lines };
        };
        const listed = await run('list', stream);
        assert.equal(listed.code, 0);
        assert.deepEqual(
          listed.lines.map((line) => (JSON.parse(line) as { eventId: string }).eventId),
          events.map((e) => e.id),
        );
        assert.equal((JSON.parse(listed.lines[0]!) as { type: string }).type, 'test.thing-happened');

        assert.equal((await run('list', stream, '--limit', '0')).code, 2);
        assert.equal((await run('replay', stream)).code, 2);
        assert.equal((await run('purge', stream)).code, 2);
        assert.equal(await transport.deadLetterCount(stream), 2, 'refused commands change nothing');
        const missing = await run('discard', stream, '1-1');
        assert.equal(missing.code, 1);
        assert.equal(await transport.deadLetterCount(stream), 2);

        broken = false;
        const replayed = await run('replay', stream, '--all');
        assert.equal(replayed.code, 0);
        assert.equal(replayed.lines.at(-1), `${stream}: 2 of 2 replayed`);
        await waitFor('both handled', () => handled.length === 2);
        assert.deepEqual(
          handled,
          events.map((e) => e.id),
        );
        assert.equal(await transport.deadLetterCount(stream), 0);
      } finally {
        await subscription.stop();
        await transport.close();
      }
    });
  });
}
