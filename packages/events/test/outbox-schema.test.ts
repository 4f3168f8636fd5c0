import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { EVENT_TABLES_PRISMA, EVENT_TABLES_SQL } from '../src/index.js';
import { openTestDatabase, type TestDatabase } from './support.js';

/** kit's schema-engine module (not exported from its index, which would load the WebAssembly engine everywhere). */
type SchemaEngine = { pendingSchemaChanges(schemaPath: string, migrationsDir: string): Promise<string> };

async function loadSchemaEngine(): Promise<SchemaEngine> {
  const kitIndex = createRequire(import.meta.url).resolve('@commerce/kit');
  return (await import(pathToFileURL(join(dirname(kitIndex), 'db', 'schema-engine.js')).href)) as SchemaEngine;
}

/** Statements without comments and blank lines, for comparing SQL texts. */
function statements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('--'))
    .join('\n')
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '' && !statement.startsWith('CREATE SCHEMA'))
    .sort();
}

describe('outbox and inbox tables', () => {
  let database: TestDatabase;
  before(async () => {
    database = await openTestDatabase();
  });
  after(() => database.drop());

  it('EVENT_TABLES_SQL is exactly the migration Prisma writes for EVENT_TABLES_PRISMA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-schema-'));
    try {
      const schemaPath = join(dir, 'schema.prisma');
      writeFileSync(schemaPath, `datasource db {\n  provider = "postgresql"\n}\n\n${EVENT_TABLES_PRISMA}`);
      mkdirSync(join(dir, 'migrations'));
      const { pendingSchemaChanges } = await loadSchemaEngine();
      const migration = await pendingSchemaChanges(schemaPath, join(dir, 'migrations'));
      assert.deepEqual(statements(EVENT_TABLES_SQL), statements(migration));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies to the database, with types Prisma can read (no "char" columns)', async () => {
    const { db } = database;
    await db.exec(EVENT_TABLES_SQL);
    const columns = await db.query<{ table_name: string; column_name: string; data_type: string }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_name IN ('outbox_events', 'inbox_events') ORDER BY table_name, ordinal_position`,
    );
    assert.deepEqual(
      columns.map((column) => `${column.table_name}.${column.column_name}: ${column.data_type}`),
      [
        'inbox_events.consumer: text',
        'inbox_events.event_id: uuid',
        'inbox_events.processed_at: timestamp with time zone',
        'outbox_events.id: uuid',
        'outbox_events.seq: bigint',
        'outbox_events.stream: text',
        'outbox_events.envelope: jsonb',
        'outbox_events.created_at: timestamp with time zone',
        'outbox_events.published_at: timestamp with time zone',
        'outbox_events.attempts: integer',
        'outbox_events.last_error: text',
      ],
    );
  });
});
