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

export type CatalogDb = ReturnType<typeof createClient>;
