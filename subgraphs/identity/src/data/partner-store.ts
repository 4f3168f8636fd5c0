import type { StoredClient } from '../domain/oauth.js';
import type { ClientPageKey, PartnerClientRecord } from '../domain/partners.js';
import type { IdentityDb } from './client.js';

const publicFields = { id: true, clientId: true, name: true, scopes: true, createdAt: true, revokedAt: true } as const;

export async function createPartnerClient(
  db: IdentityDb,
  data: { clientId: string; name: string; scopes: string[]; secretHash: string; createdById: string },
): Promise<PartnerClientRecord> {
  return db.partnerClient.create({ data, select: publicFields });
}

/** Revokes once: a second call keeps the first revocation time. Undefined when there is no such client. */
export async function revokePartnerClient(db: IdentityDb, id: string, now = new Date()): Promise<PartnerClientRecord | undefined> {
  await db.partnerClient.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
  return (await db.partnerClient.findUnique({ where: { id }, select: publicFields })) ?? undefined;
}

export async function findClientForAuthentication(db: IdentityDb, clientId: string): Promise<StoredClient | undefined> {
  const row = await db.partnerClient.findUnique({ where: { clientId }, select: { ...publicFields, secretHash: true } });
  if (!row) return undefined;
  const { secretHash, ...client } = row;
  return { client, secretHash };
}

/** `first + 1` rows, newest first, after the cursor. */
export async function partnerClientsPage(db: IdentityDb, key: ClientPageKey): Promise<PartnerClientRecord[]> {
  const after = key.after;
  return db.partnerClient.findMany({
    where: after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : undefined,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: key.first + 1,
    select: publicFields,
  });
}
