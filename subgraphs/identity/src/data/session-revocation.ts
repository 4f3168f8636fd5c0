import { relevantSince, type Revocation } from '../domain/revocation.js';
import type { IdentityDb } from './client.js';

/**
 * Revoking sessions: every refresh token of the family stops working at once, and the family's id appears in
 * the revocation feed (`revokedSince`) the router polls, so its access tokens stop working within seconds.
 */

/** Revokes one session (a refresh-token family); returns how many of its refresh tokens were still live. */
export async function revokeSession(db: IdentityDb, sessionId: string, now = new Date()): Promise<number> {
  const { count } = await db.session.updateMany({ where: { familyId: sessionId, revokedAt: null }, data: { revokedAt: now } });
  return count;
}

/** Revokes every session of a user (signed out everywhere; e.g. a removed staff member). */
export async function revokeUserSessions(db: IdentityDb, userId: string, now = new Date()): Promise<number> {
  const { count } = await db.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
  return count;
}

/** Sessions revoked after `since` (at most one access-token lifetime ago), one entry per session. */
export async function revokedSince(db: IdentityDb, since: Date | undefined, now = new Date()): Promise<Revocation[]> {
  const rows = await db.session.groupBy({
    by: ['familyId'],
    where: { revokedAt: { gt: relevantSince(since, now) } },
    _max: { revokedAt: true },
  });
  const sessions = rows.flatMap((row) => (row._max.revokedAt ? [{ sessionId: row.familyId, revokedAt: row._max.revokedAt }] : []));
  // Revoked partner tokens, until they expire (their lifetime is the partner token TTL, not the session one).
  const partnerTokens = await db.partnerTokenRevocation.findMany({
    where: { expiresAt: { gt: now }, ...(since ? { revokedAt: { gt: since } } : {}) },
  });
  return [...sessions, ...partnerTokens.map((row) => ({ sessionId: row.tokenId, revokedAt: row.revokedAt, until: row.expiresAt }))];
}

/** Revokes one partner access token by its `sid`; revoking it again changes nothing. */
export async function revokePartnerToken(
  db: IdentityDb,
  revocation: { tokenId: string; clientId: string; expiresAt: Date },
): Promise<void> {
  await db.partnerTokenRevocation.upsert({ where: { tokenId: revocation.tokenId }, create: revocation, update: {} });
}
