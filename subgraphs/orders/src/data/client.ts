import { prismaClientOptions, type Database } from '@commerce/kit';
import { PrismaClient } from '../generated/prisma/client.js';

export function createClient(db: Database) {
  return new PrismaClient(prismaClientOptions(db));
}

export type OrdersDb = ReturnType<typeof createClient>;
/** An interactive transaction's client (what `db.$transaction(async (tx) => ...)` hands over). */
export type OrdersTx = Parameters<Parameters<OrdersDb['$transaction']>[0]>[0];
