import { randomUUID } from 'node:crypto';
import { hashRefreshToken, newRefreshToken, REFRESH_TOKEN_TTL_MS } from '../domain/tokens.js';
import type { IdentityDb } from './client.js';

/** Starts a session family and returns its first refresh token. */
export async function startSession(db: IdentityDb, userId: string, now = new Date()): Promise<string> {
  const { token, hash } = newRefreshToken();
  await db.session.create({
    data: { userId, familyId: randomUUID(), tokenHash: hash, expiresAt: new Date(now.getTime() + REFRESH_TOKEN_TTL_MS) },
  });
  return token;
}

export type RotateResult = { userId: string; refreshToken: string } | { rejected: 'INVALID' | 'REUSED' };

/**
 * Swaps a refresh token for a new one in the same family. A token presented twice means it leaked:
 * the whole family is revoked, so neither the thief nor the owner can go on with it.
 */
export async function rotateSession(db: IdentityDb, token: string, now = new Date()): Promise<RotateResult> {
  const session = await db.session.findUnique({ where: { tokenHash: hashRefreshToken(token) } });
  if (!session || session.revokedAt || session.expiresAt <= now) return { rejected: 'INVALID' };
  const claimed = await db.session.updateMany({ where: { id: session.id, usedAt: null }, data: { usedAt: now } });
  if (claimed.count === 0) {
    await db.session.updateMany({ where: { familyId: session.familyId, revokedAt: null }, data: { revokedAt: now } });
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
  return { userId: session.userId, refreshToken: next.token };
}
