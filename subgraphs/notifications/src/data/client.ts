import { prismaClientOptions, type Database } from '@commerce/kit';
import { PrismaClient } from '../generated/prisma/client.js';

export function createClient(db: Database) {
  return new PrismaClient(prismaClientOptions(db));
}

export type NotificationsDb = ReturnType<typeof createClient>;
/** An interactive transaction's client (what `db.$transaction(async (tx) => ...)` hands over). */
export type NotificationsTx = Parameters<Parameters<NotificationsDb['$transaction']>[0]>[0];
