import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@commerce/kit';
import { EVENT_TABLES_SQL, eventBusConfigFromEnv, pruneEventTables, RETENTION_DEFAULTS } from '../src/index.js';
import { DATABASE_MODE, openTestDatabase, type TestDatabase } from './support.js';

const DAY_MS = 24 * 3_600_000;

describe(`event table retention (${DATABASE_MODE})`, () => {
  let database: TestDatabase;
  before(async () => {
    database = await openTestDatabase();
    await database.db.exec(EVENT_TABLES_SQL);
  });
  after(() => database.drop());

  const now = new Date('2026-11-22T12:00:00Z');
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();

  it('deletes published outbox rows after 7 days and inbox rows after 30, never an unpublished row, in batches', async () => {
    const { db } = database;
    const outbox = [
      { id: '00000000-0000-4000-8000-000000000001', created: daysAgo(9), published: daysAgo(8) },
      { id: '00000000-0000-4000-8000-000000000002', created: daysAgo(2), published: daysAgo(1) },
      { id: '00000000-0000-4000-8000-000000000003', created: daysAgo(40), published: null },
    ];
    for (const row of outbox) {
      await db.query(
        `INSERT INTO outbox_events (id, stream, envelope, created_at, published_at) VALUES ($1::uuid, 'test', '{}'::jsonb, $2::timestamptz, $3::timestamptz)`,
        [row.id, row.created, row.published],
      );
    }
    // More old inbox rows than one statement deletes, and one recent row.
    await db.query(
      `INSERT INTO inbox_events (consumer, event_id, processed_at)
       SELECT 'orders', gen_random_uuid(), $1::timestamptz FROM generate_series(1, 5003)`,
      [daysAgo(31)],
    );
    await db.query(`INSERT INTO inbox_events (consumer, event_id, processed_at) VALUES ('orders', gen_random_uuid(), $1::timestamptz)`, [
      daysAgo(29),
    ]);

    const pruned = await pruneEventTables(db, RETENTION_DEFAULTS, now);
    assert.deepEqual(pruned, { outbox: 1, inbox: 5003 });
    const left = await db.query<{ id: string }>('SELECT id::text AS id FROM outbox_events ORDER BY id');
    assert.deepEqual(
      left.map((row) => row.id),
      [outbox[1]!.id, outbox[2]!.id],
      'recent and unpublished rows stay',
    );
    const [inbox] = await db.query<{ count: string }>('SELECT count(*)::text AS count FROM inbox_events');
    assert.equal(inbox!.count, '1');
    assert.deepEqual(await pruneEventTables(db, RETENTION_DEFAULTS, now), { outbox: 0, inbox: 0 }, 'a second run finds nothing');
  });

  it('reads the retention from the environment and refuses values out of range', () => {
    const config = eventBusConfigFromEnv({
      EVENTS_OUTBOX_RETENTION_HOURS: '24',
      EVENTS_INBOX_RETENTION_HOURS: '48',
      EVENTS_PRUNE_INTERVAL_MS: '0',
    });
    assert.deepEqual(config.retention, { outboxRetentionMs: DAY_MS, inboxRetentionMs: 2 * DAY_MS, intervalMs: 0 });
    assert.deepEqual(eventBusConfigFromEnv({}).retention, RETENTION_DEFAULTS);
    for (const [name, value] of [
      ['EVENTS_OUTBOX_RETENTION_HOURS', '0'],
      ['EVENTS_INBOX_RETENTION_HOURS', 'a week'],
      ['EVENTS_PRUNE_INTERVAL_MS', '-1'],
    ] as const) {
      assert.throws(
        () => eventBusConfigFromEnv({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(name),
      );
    }
  });
});
