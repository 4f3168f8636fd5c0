import { PRISMA_TRANSACTION_OPTIONS, type Database } from '@commerce/kit';
import { PrismaClient } from '../generated/prisma/client.js';

export function createClient(db: Database) {
  return new PrismaClient({
    adapter: db.adapter,
    log: [{ emit: 'event', level: 'query' }],
    transactionOptions: PRISMA_TRANSACTION_OPTIONS,
    errorFormat: 'minimal', // Prisma's messages would otherwise quote argument values into logs
  });
}

export type OrdersDb = ReturnType<typeof createClient>;
/** An interactive transaction's client (what `db.$transaction(async (tx) => ...)` hands over). */
export type OrdersTx = Parameters<Parameters<OrdersDb['$transaction']>[0]>[0];
