import type { Database, SqlSession } from '@commerce/kit';

/**
 * What the event bus needs to run SQL: kit's `Database` and its transaction handle (`SqlSession`) have this shape,
 * and `prismaSql(tx)` gives it to a Prisma interactive transaction. Every statement casts its parameters
 * (`$1::uuid`, `$2::jsonb`), so plain strings work on every driver.
 */
export type SqlExecutor = SqlSession;

/** A database the outbox relay can use: queries, and transactions with a handle to pass around. */
export type TransactionalDatabase = Pick<Database, 'query' | 'transaction'>;

/**
 * How a consumer opens the transaction its handler runs in. `Tx` is what the handler receives: kit's SqlSession
 * (`databaseTransactions`) or a Prisma transaction client (`prismaTransactions`).
 */
export interface Transactions<Tx> {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** The same transaction as plain SQL (the inbox row is written through it). */
  sql(tx: Tx): SqlExecutor;
}

export function databaseTransactions(db: Pick<Database, 'transaction'>): Transactions<SqlSession> {
  return { run: (work) => db.transaction(work), sql: (tx) => tx };
}

/** The part of a Prisma client (or interactive transaction client) the event bus uses. */
export interface PrismaRawSql {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
}

/** A Prisma client: interactive transactions. */
export interface PrismaTransactional<Tx extends PrismaRawSql> {
  $transaction<R>(work: (tx: Tx) => Promise<R>, options?: { maxWait?: number; timeout?: number }): PromiseLike<R>;
}

/** A Prisma transaction client as plain SQL, e.g. `appendToOutbox(prismaSql(tx), 'inventory', events)`. */
export function prismaSql(tx: PrismaRawSql): SqlExecutor {
  return { query: async <Row>(sql: string, params: unknown[] = []) => tx.$queryRawUnsafe<Row[]>(sql, ...params) };
}

/**
 * Handlers that use Prisma: each runs in `client.$transaction`. `timeoutMs` is Prisma's interactive transaction
 * timeout (Prisma's default, 5 s, is short for a handler that calls out).
 */
export function prismaTransactions<Tx extends PrismaRawSql>(
  client: PrismaTransactional<Tx>,
  options: { timeoutMs?: number; maxWaitMs?: number } = {},
): Transactions<Tx> {
  const settings = { timeout: options.timeoutMs ?? 15_000, maxWait: options.maxWaitMs ?? 15_000 };
  return {
    run: async (work) => client.$transaction(work, settings),
    sql: (tx) => prismaSql(tx),
  };
}
