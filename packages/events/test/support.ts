import { randomBytes } from 'node:crypto';
import { createLogger, openDatabase, type Database, type Logger } from '@commerce/kit';
import pg from 'pg';
import { createClient } from 'redis';

/** Helpers shared by the test files (not a test file itself). */

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_MODE = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'pglite';

export function silentLogger(): Logger {
  return createLogger('events-test', process.env.TEST_LOG_LEVEL ?? 'silent');
}

/** A prefix of its own per run, so that parallel runs (and leftovers of old ones) on one Redis never meet. */
export function uniquePrefix(): string {
  return `test:events:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`;
}

export interface TestDatabase {
  mode: 'pglite' | 'postgres';
  db: Database;
  /** Another handle on the same database, as a second instance of the service would have (PGlite: the same one). */
  openAnother(): Promise<Database>;
  /** Closes every handle and drops the scratch database. */
  drop(): Promise<void>;
}

/**
 * The database a test file uses: PGlite in memory, or with TEST_DATABASE=postgres a fresh database on
 * TEST_POSTGRES_URL (as packages/platform's createPostgresDatabases does), dropped by `drop()`.
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  if (DATABASE_MODE === 'pglite') {
    const db = await openDatabase('memory://');
    return { mode: 'pglite', db, openAnother: async () => db, drop: () => db.close() };
  }
  const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `commerce_t${Date.now().toString(36)}${randomBytes(3).toString('hex')}_events`;
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handles: Database[] = [];
  const open = async () => {
    const db = await openDatabase(url.toString());
    handles.push(db);
    return db;
  };
  const db = await open();
  return {
    mode: 'postgres',
    db,
    openAnother: open,
    drop: async () => {
      await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
      await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Deletes every Redis key under `prefix` (after a run). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  try {
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch.map(String));
    if (keys.length > 0) await redis.del(keys);
  } finally {
    await redis.close();
  }
}

/** Resolves once `check` returns true; fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
