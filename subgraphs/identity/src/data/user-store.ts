import { Prisma } from '../generated/prisma/client.js';
import type { UserRecord } from '../domain/accounts.js';
import type { IdentityDb } from './client.js';

const publicFields = { id: true, email: true, name: true, role: true, tenantId: true, createdAt: true } as const;

function toRecord(row: Prisma.UserGetPayload<{ select: typeof publicFields }>): UserRecord {
  return { ...row, role: row.role as UserRecord['role'] };
}

export async function usersByIds(db: IdentityDb, ids: readonly string[]): Promise<UserRecord[]> {
  return (await db.user.findMany({ where: { id: { in: [...ids] } }, select: publicFields })).map(toRecord);
}

export async function findCredentials(db: IdentityDb, email: string) {
  const row = await db.user.findUnique({ where: { email }, select: { ...publicFields, passwordHash: true } });
  return row ? { user: toRecord(row), passwordHash: row.passwordHash } : undefined;
}

/** Creates a customer; undefined when the email is taken (the unique index decides under concurrency). */
export async function createCustomer(
  db: IdentityDb,
  input: { email: string; name: string; passwordHash: string },
): Promise<UserRecord | undefined> {
  try {
    return toRecord(await db.user.create({ data: { ...input, role: 'customer' }, select: publicFields }));
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return undefined;
    throw error;
  }
}
