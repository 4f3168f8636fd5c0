import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './database.js';

/**
 * Applies Prisma-format migrations (`migrations/<name>/migration.sql`) with our own runner, because Prisma's
 * migrate CLI cannot fetch its engine here. The bookkeeping table is Prisma's own, so `prisma migrate status`
 * reads it wherever the engine is available.
 */
export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(migrationsDir: string): Migration[] {
  if (!existsSync(migrationsDir)) return [];
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const BOOKKEEPING = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);`;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Applies the migrations not yet applied, each in its own transaction; returns the names applied. */
export async function applyMigrations(db: Database, migrationsDir: string): Promise<string[]> {
  const migrations = readMigrations(migrationsDir);
  return db.withExclusiveLock(async () => {
    await db.exec(BOOKKEEPING);
    const applied = await db.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const appliedByName = new Map(applied.map((row) => [row.migration_name, row.checksum]));
    const done: string[] = [];
    for (const migration of migrations) {
      const checksum = appliedByName.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new MigrationError(`migration ${migration.name} was changed after it was applied`);
        }
        continue;
      }
      const record =
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count) ` +
        `VALUES ('${randomUUID()}', '${migration.checksum}', '${migration.name.replaceAll("'", "''")}', now(), 1);`;
      try {
        await db.exec(`BEGIN;\n${migration.sql}\n;${record}\nCOMMIT;`);
      } catch (error) {
        await db.exec('ROLLBACK;').catch(() => undefined);
        throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`);
      }
      done.push(migration.name);
    }
    return done;
  });
}
