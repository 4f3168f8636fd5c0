import { userError, type UserError } from '@commerce/kit';
import { changeClientSecrets } from '../data/partner-store.js';
import type { PartnerClientRecord } from '../domain/partners.js';
import type { SecretDeps } from './partner-secrets.js';

export type ClientRevocationResult = { client: PartnerClientRecord; revokedTokens: number; userErrors: [] } | { userErrors: UserError[] };

/**
 * Revokes a client: it gets no more tokens, and every token it holds that is still alive is revoked, as a retired
 * secret's are. Revoking twice keeps the first time (and revokes nothing more: no token was issued since).
 */
export async function revokeClient(deps: SecretDeps, id: string): Promise<ClientRevocationResult> {
  const changed = await changeClientSecrets(deps.db, id, (client) => {
    const at = client.revokedAt ?? deps.clock();
    return { outcome: { ...client, revokedAt: at }, change: { revokeClient: { at } } };
  });
  if (!changed) return { userErrors: [userError('PARTNER_CLIENT_NOT_FOUND', 'No such partner client', ['id'])] };
  return { client: changed.outcome, revokedTokens: changed.revokedTokens, userErrors: [] };
}
