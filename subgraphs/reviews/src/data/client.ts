import { prismaClientOptions, type Database } from '@commerce/kit';
import { PrismaClient } from '../generated/prisma/client.js';

export function createClient(db: Database) {
  return new PrismaClient(prismaClientOptions(db));
}

export type ReviewsDb = ReturnType<typeof createClient>;
