import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { SCOPES_BY_ROLE, type UserRecord } from './accounts.js';
import { CLIENT_SUBJECT_PREFIX } from './partners.js';

/** Short-lived EdDSA access tokens the router verifies with our JWKS, and opaque rotating refresh tokens. */
export const ISSUER = 'commerce-identity';
export const AUDIENCE = 'commerce-supergraph';
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600_000;

export interface SigningKeyRecord {
  kid: string;
  privatePem: string;
}

/** `sessionId` becomes the `sid` claim: the router refuses the token once that session is revoked. */
export async function signAccessToken(user: UserRecord, key: SigningKeyRecord, sessionId: string): Promise<string> {
  const claims = {
    role: user.role,
    scope: SCOPES_BY_ROLE[user.role].join(' '),
    sid: sessionId,
    ...(user.tenantId ? { vendor: user.tenantId } : {}),
  };
  return sign(claims, user.id, ACCESS_TOKEN_TTL_SECONDS, key);
}

/** A partner's token (RFC 9068 shape): role `partner`, the granted scopes, the client as subject and `client_id`. */
export async function signPartnerToken(
  client: { clientId: string },
  scopes: readonly string[],
  ttlSeconds: number,
  key: SigningKeyRecord,
  tokenId: string = randomUUID(),
): Promise<string> {
  // Its own `sid`: revoking the token (RFC 7009, or by retiring its secret) lists it in the revocation feed the router polls.
  const claims = { role: 'partner', scope: scopes.join(' '), client_id: client.clientId, sid: tokenId };
  return sign(claims, `${CLIENT_SUBJECT_PREFIX}${client.clientId}`, ttlSeconds, key);
}

async function sign(claims: Record<string, string>, subject: string, ttlSeconds: number, key: SigningKeyRecord): Promise<string> {
  const privateKey = await importPKCS8(key.privatePem, 'EdDSA');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
    .setSubject(subject)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .setJti(randomBytes(12).toString('base64url'))
    .sign(privateKey);
}

export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
