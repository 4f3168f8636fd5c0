import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyMigrations, MigrationError } from '../src/db/migrations.js';
import { openDatabase } from '../src/db/database.js';
import { migrationDrift, pendingSchemaChanges } from '../src/db/schema-engine.js';

const root = mkdtempSync(join(tmpdir(), 'kit-migrations-'));
after(() => rmSync(root, { recursive: true, force: true }));

function migration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'migration.sql'), sql);
  writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
}

describe('migration runner', () => {
  it('applies pending migrations once, in order, and records them as Prisma does', async () => {
    const dir = join(root, 'ordered');
    migration(dir, '001_init', 'CREATE TABLE things (id int primary key);');
    migration(dir, '002_more', 'ALTER TABLE things ADD COLUMN name text;');
    const db = await openDatabase('memory://');
    try {
      assert.deepEqual(await applyMigrations(db, dir), ['001_init', '002_more']);
      assert.deepEqual(await applyMigrations(db, dir), []);
      const rows = await db.query<{ migration_name: string }>('SELECT migration_name FROM _prisma_migrations ORDER BY 1');
      assert.deepEqual(
        rows.map((row) => row.migration_name),
        ['001_init', '002_more'],
      );
    } finally {
      await db.close();
    }
  });

  it('rolls a failing migration back completely and reports which one failed', async () => {
    const dir = join(root, 'failing');
    migration(dir, '001_init', 'CREATE TABLE ok_table (id int);');
    migration(dir, '002_broken', 'CREATE TABLE half_done (id int); SELECT * FROM no_such_table;');
    const db = await openDatabase('memory://');
    try {
      await assert.rejects(applyMigrations(db, dir), (error: Error) => error instanceof MigrationError && /002_broken/.test(error.message));
      const tables = await db.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      );
      assert.deepEqual(
        tables.map((row) => row.table_name),
        ['_prisma_migrations', 'ok_table'],
      );
    } finally {
      await db.close();
    }
  });

  it('refuses to run when an applied migration was edited afterwards', async () => {
    const dir = join(root, 'edited');
    migration(dir, '001_init', 'CREATE TABLE things (id int);');
    const db = await openDatabase('memory://');
    try {
      await applyMigrations(db, dir);
      migration(dir, '001_init', 'CREATE TABLE things (id bigint);');
      await assert.rejects(applyMigrations(db, dir), /001_init was changed after it was applied/);
    } finally {
      await db.close();
    }
  });
});

describe('schema engine (WebAssembly, offline)', () => {
  it('writes the SQL a schema needs and reports drift once schema.prisma moves on', async () => {
    const dir = join(root, 'drift');
    const schemaFile = join(dir, 'schema.prisma');
    mkdirSync(join(dir, 'migrations'), { recursive: true });
    const model = 'datasource db {\n  provider = "postgresql"\n}\nmodel Thing {\n  id Int @id\n  name String\n}\n';
    writeFileSync(schemaFile, model);
    const sql = await pendingSchemaChanges(schemaFile, join(dir, 'migrations'));
    assert.match(sql, /CREATE TABLE "Thing"/);
    migration(join(dir, 'migrations'), '001_init', sql);
    assert.equal(await migrationDrift(schemaFile, join(dir, 'migrations')), undefined);

    writeFileSync(schemaFile, model.replace('name String', 'name String\n  price Int?'));
    const drift = await migrationDrift(schemaFile, join(dir, 'migrations'));
    assert.match(drift ?? '', /price/);
  });
});
