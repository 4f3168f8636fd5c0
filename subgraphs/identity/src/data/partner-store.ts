import { isUuid } from '@commerce/kit';
import type { ClientSecretRecord } from '../domain/client-secrets.js';
import type { StoredClient } from '../domain/oauth.js';
import type { ClientPageKey, PartnerClientRecord } from '../domain/partners.js';
import type { IdentityDb } from './client.js';

const publicFields = { id: true, clientId: true, name: true, scopes: true, createdAt: true, revokedAt: true } as const;
const secretFields = { id: true, hint: true, createdAt: true, expiresAt: true, retiredAt: true } as const;

export interface NewSecret {
  id: string;
  secretHash: string;
  hint: string;
  createdAt: Date;
}

export async function createPartnerClient(
  db: IdentityDb,
  data: { clientId: string; name: string; scopes: string[]; createdById: string | null; secret: NewSecret },
): Promise<PartnerClientRecord> {
  const { secret, ...client } = data;
  return db.partnerClient.create({
    // secret_hash (legacy) mirrors the first secret, for the previous release while a rollout runs
    data: { ...client, secretHash: secret.secretHash, secrets: { create: secret } },
    select: publicFields,
  });
}

/** A client by its `id` (UUID) or its public `clientId`. */
export async function findPartnerClient(db: IdentityDb, idOrClientId: string): Promise<PartnerClientRecord | undefined> {
  const where = isUuid(idOrClientId) ? { id: idOrClientId } : { clientId: idOrClientId };
  return (await db.partnerClient.findUnique({ where, select: publicFields })) ?? undefined;
}

export async function findClientForAuthentication(db: IdentityDb, clientId: string): Promise<StoredClient | undefined> {
  const row = await db.partnerClient.findUnique({
    where: { clientId },
    select: { ...publicFields, secrets: { select: { id: true, secretHash: true, expiresAt: true, retiredAt: true } } },
  });
  if (!row) return undefined;
  const { secrets, ...client } = row;
  return { client, secrets };
}

/** Every secret of these clients (never the hashes), oldest first. */
export async function secretsOfClients(
  db: IdentityDb,
  clientIds: readonly string[],
): Promise<(ClientSecretRecord & { partnerClientId: string })[]> {
  return db.partnerClientSecret.findMany({
    where: { partnerClientId: { in: [...clientIds] } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { ...secretFields, partnerClientId: true },
  });
}

/** What a change to a client's secrets writes, in one transaction. */
export interface SecretChange {
  add?: NewSecret;
  /** New expiry times of secrets still active. */
  expire?: { id: string; expiresAt: Date }[];
  /** Retires the secret and revokes the live tokens it obtained. */
  retire?: { id: string; at: Date };
  /** Revokes the client (unless it already is: the first time stays) and every live token of its secrets. */
  revokeClient?: { at: Date };
}

/**
 * Changes a client's secrets with its row locked, so two concurrent rotations never both see one active secret:
 * `decide` gets the client and its secrets and returns its outcome and what to write (`change`; none: nothing).
 * Undefined when there is no such client. `revokedTokens`: how many live tokens a retirement or the client's
 * revocation revoked.
 */
export async function changeClientSecrets<Outcome>(
  db: IdentityDb,
  id: string,
  decide: (client: PartnerClientRecord, secrets: ClientSecretRecord[]) => { outcome: Outcome; change?: SecretChange },
): Promise<{ outcome: Outcome; revokedTokens: number } | undefined> {
  if (!isUuid(id)) return undefined;
  return db.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM partner_clients WHERE id = ${id}::uuid FOR UPDATE`;
    if (locked.length === 0) return undefined;
    const client = await tx.partnerClient.findUniqueOrThrow({ where: { id }, select: publicFields });
    const secrets = await tx.partnerClientSecret.findMany({
      where: { partnerClientId: id },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      select: secretFields,
    });
    const { outcome, change } = decide(client, secrets);
    let revokedTokens = 0;
    if (!change) return { outcome, revokedTokens };
    for (const { id: secretId, expiresAt } of change.expire ?? []) {
      await tx.partnerClientSecret.update({ where: { id: secretId }, data: { expiresAt } });
    }
    if (change.add) {
      await tx.partnerClientSecret.create({ data: { ...change.add, partnerClientId: id } });
      // The legacy column stops holding a secret: an instance of the previous release refuses the client rather
      // than accept a secret this one may retire.
      await tx.partnerClient.update({ where: { id }, data: { secretHash: null } });
      // The client's expired tokens are forgotten (real time: tokens expire by it, not by the secrets' clock).
      await tx.partnerToken.deleteMany({ where: { secret: { partnerClientId: id }, expiresAt: { lt: new Date() } } });
    }
    if (change.retire) {
      const { id: secretId, at } = change.retire;
      await tx.partnerClientSecret.update({ where: { id: secretId }, data: { retiredAt: at } });
      revokedTokens += await revokeLiveTokens(tx, client.clientId, { secretId });
    }
    if (change.revokeClient) {
      await tx.partnerClient.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: change.revokeClient.at } });
      revokedTokens += await revokeLiveTokens(tx, client.clientId, { secret: { partnerClientId: id } });
    }
    return { outcome, revokedTokens };
  });
}

type Transaction = Parameters<Parameters<IdentityDb['$transaction']>[0]>[0];

/**
 * Lists the live tokens matching `where` in the revocation feed the router polls (revoked_at: the database's clock,
 * as the feed's) and forgets the record of them all: listed as revoked until they expire, they need no record.
 * How many were newly listed.
 */
async function revokeLiveTokens(
  tx: Transaction,
  clientId: string,
  where: { secretId: string } | { secret: { partnerClientId: string } },
): Promise<number> {
  const live = await tx.partnerToken.findMany({ where: { ...where, expiresAt: { gt: new Date() } } });
  const { count } = await tx.partnerTokenRevocation.createMany({
    data: live.map((token) => ({ tokenId: token.tokenId, clientId, expiresAt: token.expiresAt })),
    skipDuplicates: true,
  });
  await tx.partnerToken.deleteMany({ where });
  return count;
}

/**
 * Records a token obtained with a secret, so retiring that secret or revoking its client revokes it, and forgets
 * the secret's expired tokens (the table holds live tokens only). False, recording nothing, when the secret was
 * retired or the client revoked since they were checked: the token must not be handed out. (The client's row, then
 * the secret's, are share-locked, in the order `changeClientSecrets` locks them: a retirement or revocation running
 * at the same time either finds this token and revokes it, or commits first and is seen here.)
 */
export async function recordPartnerToken(db: IdentityDb, token: { tokenId: string; secretId: string; expiresAt: Date }): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const [client] = await tx.$queryRaw<{ revoked_at: Date | null }[]>`
      SELECT revoked_at FROM partner_clients
      WHERE id = (SELECT partner_client_id FROM partner_client_secrets WHERE id = ${token.secretId}::uuid) FOR SHARE`;
    if (!client || client.revoked_at) return false;
    const [secret] = await tx.$queryRaw<{ retired_at: Date | null }[]>`
      SELECT retired_at FROM partner_client_secrets WHERE id = ${token.secretId}::uuid FOR SHARE`;
    if (!secret || secret.retired_at) return false;
    await tx.partnerToken.deleteMany({ where: { secretId: token.secretId, expiresAt: { lt: new Date() } } });
    await tx.partnerToken.create({ data: token });
    return true;
  });
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
