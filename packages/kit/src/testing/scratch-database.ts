import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '../db/database.js';

export interface ScratchDatabase {
  mode: 'pglite' | 'postgres';
  db: Database;
  /** Another handle on the same database, as a second instance of the service would have (PGlite: the same one). */
  openAnother(): Promise<Database>;
  /** Closes every handle and drops the database. */
  drop(): Promise<void>;
}

/**
 * A database for one test file: PGlite in memory, or with TEST_DATABASE=postgres a fresh database on
 * TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres), dropped by `drop()`.
 */
export async function openScratchDatabase(label: string): Promise<ScratchDatabase> {
  if (process.env.TEST_DATABASE !== 'postgres') {
    const db = await openDatabase('memory://');
    return { mode: 'pglite', db, openAnother: async () => db, drop: () => db.close() };
  }
  const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `commerce_t${Date.now().toString(36)}${randomBytes(3).toString('hex')}_${label.replace(/\W/g, '_').slice(0, 30)}`;
  const admin = await openDatabase(adminUrl);
  try {
    await admin.exec(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.close();
  }
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
      const dropper = await openDatabase(adminUrl);
      try {
        await dropper.exec(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await dropper.close();
      }
    },
  };
}
