import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { readInteger } from '../config.js';

/**
 * One service's database: embedded PGlite (a folder, or `memory://`) or a PostgreSQL server given by a
 * `postgres://` URL. PGlite and its Prisma adapter are development dependencies, imported only when an embedded
 * database is opened: production images (npm ci --omit=dev) do not contain them. Prisma talks to it through `adapter`; migrations and tests use `exec`/`query`.
 */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly adapter: SqlMigrationAwareDriverAdapterFactory;
  /** Runs one or more SQL statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
  /**
   * Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws.
   * Inside, query through `tx` only: on PGlite a query on the database itself waits for the transaction to end.
   */
  transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T>;
  /** Runs `work` with an exclusive session-level lock so that two processes never migrate at once. */
  withExclusiveLock<T>(work: () => Promise<T>): Promise<T>;
  /** The connection pool's state, for metrics (PostgreSQL only: PGlite has one in-process connection). */
  poolStats?(): PoolStats;
  close(): Promise<void>;
}

export interface PoolStats {
  /** Open connections, idle or in use. */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  max: number;
}

/** Queries inside one transaction (see `Database.transaction`). */
export interface SqlSession {
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export function isPostgresUrl(location: string): boolean {
  return location.startsWith('postgres://') || location.startsWith('postgresql://');
}

export interface OpenOptions {
  /** Told when the server ends a connection (restart, failover); the pool opens a new one on the next query. */
  onConnectionLost?: (error: Error) => void;
}

export async function openDatabase(location: string, options: OpenOptions = {}): Promise<Database> {
  return isPostgresUrl(location) ? openPostgres(location, options.onConnectionLost ?? warnConnectionLost) : openPglite(location);
}

/** PGlite and its Prisma adapter, loaded on the first embedded database; a clear error where they are not installed. */
async function loadEmbedded() {
  try {
    return await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter')]);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(
        'an embedded database (a folder or memory:// DATABASE_URL) needs PGlite, a development dependency that this installation lacks (npm ci --omit=dev): use a postgres:// URL',
        { cause: error },
      );
    }
    throw error;
  }
}

let template: Promise<Blob> | undefined;

/**
 * An empty, initialised data directory to clone new databases from. PGlite's initdb takes ~5 s of CPU;
 * cloning takes well under one, so four subgraphs start in a fraction of the time. Cached on disk per
 * PGlite version in the OS temp folder (PGLITE_CACHE_DIR).
 */
function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const manifest = join(entry.slice(0, entry.lastIndexOf('node_modules')), 'node_modules', '@electric-sql', 'pglite', 'package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    const cacheDir = process.env.PGLITE_CACHE_DIR ?? join(tmpdir(), 'commerce-supergraph-pglite');
    const file = join(cacheDir, `pglite-${version}-template.tar`);
    if (existsSync(file)) return new Blob([readFileSync(file)]);
    const [{ PGlite }] = await loadEmbedded();
    const fresh = await PGlite.create();
    const dump = await fresh.dumpDataDir('none');
    await fresh.close();
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file);
    return dump;
  })();
  return template;
}

async function openPglite(location: string): Promise<Database> {
  const inMemory = location === 'memory://';
  if (!inMemory) mkdirSync(location, { recursive: true });
  const initialised = !inMemory && existsSync(join(location, 'PG_VERSION'));
  const [{ PGlite }, { PrismaPGlite }] = await loadEmbedded();
  const client: PGlite = await PGlite.create({
    ...(inMemory ? {} : { dataDir: location }),
    ...(initialised ? {} : { loadDataDir: await pgliteTemplate() }),
  });
  return {
    kind: 'pglite',
    adapter: new PrismaPGlite(client),
    exec: async (sql) => {
      await client.exec(sql);
    },
    query: async <Row>(sql: string, params: unknown[] = []) => (await client.query<Row>(sql, params)).rows,
    transaction: (work) =>
      client.transaction((tx) =>
        work({ query: async <Row>(sql: string, params: unknown[] = []) => (await tx.query<Row>(sql, params)).rows }),
      ),
    // A PGlite database belongs to this one process, and PGlite serialises its queries.
    withExclusiveLock: (work) => work(),
    close: () => client.close(),
  };
}

const MIGRATION_LOCK_KEY = 7_240_631;

async function openPostgres(url: string, connectionLost: (error: Error) => void): Promise<Database> {
  const max = readInteger(process.env, 'DATABASE_POOL_SIZE', 10, 1, 500);
  const pool = new pg.Pool({ connectionString: url, max });
  // A connection that the server ends (restart, failover, a forced drop) must not crash the process: pg emits
  // 'error' on the client, and an 'error' event without a listener throws. The pool listens on idle clients and
  // discards them; the clients we check out listen below (`checkedOut`); Prisma's adapter does the same for its own.
  pool.on('error', connectionLost);
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  /** A client of the pool with an 'error' listener while checked out; `release()` discards it once it broke. */
  const checkedOut = async () => {
    const client = await pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken ??= error;
      connectionLost(error);
    };
    client.on('error', onError);
    return {
      client,
      markBroken: (error: Error) => {
        broken ??= error;
      },
      release: () => {
        client.removeListener('error', onError);
        client.release(broken);
      },
    };
  };
  return {
    kind: 'postgres',
    adapter: new PrismaPg(pool, { onConnectionError: connectionLost, onPoolError: connectionLost }),
    exec: async (sql) => {
      await pool.query(sql);
    },
    query: async <Row>(sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows as Row[],
    transaction: async (work) => {
      const { client, markBroken, release } = await checkedOut();
      try {
        await client.query('BEGIN');
        const result = await work({
          query: async <Row>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as Row[],
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // the connection is unusable when even ROLLBACK fails: the pool discards it on release
        await client.query('ROLLBACK').catch(markBroken);
        throw error;
      } finally {
        release();
      }
    },
    withExclusiveLock: async (work) => {
      const { client, markBroken, release } = await checkedOut();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        return await work();
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(markBroken);
        release();
      }
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }),
    close: () => pool.end(),
  };
}

/** Without a logger (tools, tests): a process warning. Services pass their logger's (see connectDatabase). */
function warnConnectionLost(error: Error): void {
  process.emitWarning(`PostgreSQL connection lost: ${error.message}`, 'DatabaseWarning');
}

/**
 * Interactive-transaction limits for every service's Prisma client. Prisma's defaults (wait 2 s for a connection,
 * 5 s per transaction) fail requests under load on an embedded database, where one connection serves the
 * requests and the event consumers of a service in turn.
 */
export const PRISMA_TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 15_000 } as const;

/**
 * The options every service's Prisma client is made with: the database's driver adapter, query events (counted in
 * tests, see db/query-counter.ts), the transaction limits above, and error messages that never quote argument
 * values into logs. `new PrismaClient(prismaClientOptions(db))` in each subgraph's data/client.ts.
 */
export function prismaClientOptions(db: Pick<Database, 'adapter'>) {
  return {
    adapter: db.adapter,
    log: [{ emit: 'event', level: 'query' }] as [{ emit: 'event'; level: 'query' }],
    transactionOptions: PRISMA_TRANSACTION_OPTIONS,
    errorFormat: 'minimal' as const,
  };
}
