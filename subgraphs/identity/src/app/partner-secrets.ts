import { userError, type UserError } from '@commerce/kit';
import type { IdentityDb } from '../data/client.js';
import { changeClientSecrets, findPartnerClient } from '../data/partner-store.js';
import { checkRetirement, newClientSecret, planRotation, validateGracePeriod, type ClientSecretRecord } from '../domain/client-secrets.js';
import { hashClientSecret, type PartnerClientRecord } from '../domain/partners.js';

/** Use cases of partner client secrets: rotation (a second secret, the first expiring after a grace period) and retirement. */
export interface SecretDeps {
  db: IdentityDb;
  clock(): Date;
}

export type RotationResult =
  | { client: PartnerClientRecord; clientSecret: string; secret: ClientSecretRecord; userErrors: [] }
  | { userErrors: UserError[] };

export type RetirementResult =
  | { client: PartnerClientRecord; secret: ClientSecretRecord; revokedTokens: number; userErrors: [] }
  | { userErrors: UserError[] };

type Refused = { userErrors: UserError[] };

const notFound = () => ({ userErrors: [userError('PARTNER_CLIENT_NOT_FOUND', 'No such partner client', ['clientId'])] });

/** A new secret (returned once) beside the current one, which then expires after `gracePeriodHours`. */
export async function rotateClientSecret(deps: SecretDeps, clientKey: string, gracePeriodHours: number): Promise<RotationResult> {
  const invalid = validateGracePeriod(gracePeriodHours); // planRotation checks it too; this spares a hash and a lock
  if (invalid.length) return { userErrors: invalid };
  const client = await findPartnerClient(deps.db, clientKey);
  if (!client) return notFound();
  const { id, secret, hint } = newClientSecret();
  const secretHash = await hashClientSecret(secret); // before the lock: it keeps the transaction short
  const changed = await changeClientSecrets<Refused | { created: ClientSecretRecord }>(deps.db, client.id, (locked, secrets) => {
    const now = deps.clock();
    const plan = planRotation(locked, secrets, gracePeriodHours, now);
    if ('userErrors' in plan) return { outcome: plan };
    const created: ClientSecretRecord = { id, hint, createdAt: now, expiresAt: null, retiredAt: null };
    return { outcome: { created }, change: { add: { id, hint, secretHash, createdAt: now }, expire: plan.expire } };
  });
  if (!changed) return notFound();
  const { outcome } = changed;
  if ('userErrors' in outcome) return { userErrors: outcome.userErrors };
  return { client, clientSecret: secret, secret: outcome.created, userErrors: [] };
}

/** Retires a secret at once; the tokens it obtained that are still alive are revoked. */
export async function retireClientSecret(deps: SecretDeps, clientKey: string, secretId: string): Promise<RetirementResult> {
  const client = await findPartnerClient(deps.db, clientKey);
  if (!client) return notFound();
  const changed = await changeClientSecrets<Refused | { secret: ClientSecretRecord }>(deps.db, client.id, (locked, secrets) => {
    const now = deps.clock();
    const check = checkRetirement(locked, secrets, secretId, now);
    if ('userErrors' in check) return { outcome: check };
    const { secret } = check;
    if (!check.retire) return { outcome: { secret } };
    return { outcome: { secret: { ...secret, retiredAt: now } }, change: { retire: { id: secretId, at: now } } };
  });
  if (!changed) return notFound();
  const { outcome, revokedTokens } = changed;
  if ('userErrors' in outcome) return { userErrors: outcome.userErrors };
  return { client, secret: outcome.secret, revokedTokens, userErrors: [] };
}
