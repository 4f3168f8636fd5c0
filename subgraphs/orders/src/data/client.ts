import type { Database } from '@commerce/kit';
import { PrismaClient } from '../generated/prisma/client.js';

export function createClient(db: Database) {
  return new PrismaClient({ adapter: db.adapter, log: [{ emit: 'event', level: 'query' }] });
}

export type OrdersDb = ReturnType<typeof createClient>;
