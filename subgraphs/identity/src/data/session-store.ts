import { randomUUID } from 'node:crypto';
import { hashRefreshToken, newRefreshToken, REFRESH_TOKEN_TTL_MS } from '../domain/tokens.js';
import type { IdentityDb } from './client.js';
import { revokeSession } from './session-revocation.js';

/** A session: its id (the family's, the access tokens' `sid`) and its current refresh token. */
export interface SessionTokens {
  sessionId: string;
  refreshToken: string;
}

/** Starts a session family and returns its first refresh token. */
export async function startSession(db: IdentityDb, userId: string, now = new Date()): Promise<SessionTokens> {
  const { token, hash } = newRefreshToken();
  const familyId = randomUUID();
  await db.session.create({
    data: { userId, familyId, tokenHash: hash, expiresAt: new Date(now.getTime() + REFRESH_TOKEN_TTL_MS) },
  });
  return { sessionId: familyId, refreshToken: token };
}

export type RotateResult = ({ userId: string } & SessionTokens) | { rejected: 'INVALID' | 'REUSED' };

/**
 * Swaps a refresh token for a new one in the same family. A token presented twice means it leaked:
 * the whole family is revoked, so neither the thief nor the owner can go on with it.
 */
export async function rotateSession(db: IdentityDb, token: string, now = new Date()): Promise<RotateResult> {
  const session = await db.session.findUnique({ where: { tokenHash: hashRefreshToken(token) } });
  if (!session || session.revokedAt || session.expiresAt <= now) return { rejected: 'INVALID' };
  const claimed = await db.session.updateMany({ where: { id: session.id, usedAt: null }, data: { usedAt: now } });
  if (claimed.count === 0) {
    await revokeSession(db, session.familyId, now);
    return { rejected: 'REUSED' };
  }
  const next = newRefreshToken();
  await db.session.create({
    data: {
      userId: session.userId,
      familyId: session.familyId,
      tokenHash: next.hash,
      expiresAt: new Date(now.getTime() + REFRESH_TOKEN_TTL_MS),
    },
  });
  return { userId: session.userId, sessionId: session.familyId, refreshToken: next.token };
}
