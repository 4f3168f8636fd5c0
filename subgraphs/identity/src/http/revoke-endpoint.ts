import type { IncomingMessage } from 'node:http';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { IdentityDb } from '../data/client.js';
import type { SigningKeys } from '../data/key-store.js';
import { findClientForAuthentication } from '../data/partner-store.js';
import { revokePartnerToken } from '../data/session-revocation.js';
import { authenticateClient, OAuthError, parseRevokeRequest, type ClientAuthThrottle } from '../domain/oauth.js';
import { AUDIENCE, ISSUER } from '../domain/tokens.js';
import { addressOf, readParams, type HttpAnswer, type TokenEndpointDeps } from './token-endpoint.js';

/** `POST /oauth/revoke` (RFC 7009): a partner revokes one of its own access tokens. */
export const REVOKE_PATH = '/oauth/revoke';

export function revokeEndpoint(deps: {
  db: IdentityDb;
  logger: TokenEndpointDeps['logger'];
  throttle: ClientAuthThrottle;
  signingKeys: SigningKeys;
  clientAddress: TokenEndpointDeps['clientAddress'];
  clock: TokenEndpointDeps['clock'];
}): (req: IncomingMessage) => Promise<HttpAnswer> {
  const { db, logger, throttle, signingKeys, clientAddress, clock } = deps;
  const findClient = (clientId: string) => findClientForAuthentication(db, clientId);
  return async (req) => {
    const headers: Record<string, string> = { 'cache-control': 'no-store', pragma: 'no-cache' };
    const address = addressOf(req, clientAddress);
    const body = address instanceof OAuthError ? address : await readParams(req);
    const request = body instanceof OAuthError ? body : parseRevokeRequest(req.headers.authorization, body);
    const client =
      request instanceof OAuthError ? request : await authenticateClient(request, address as string, { findClient, throttle, clock });
    if (client instanceof OAuthError) {
      if (client.status === 401) headers['www-authenticate'] = 'Basic realm="commerce-identity"';
      if (client.retryAfterSeconds !== undefined) headers['retry-after'] = String(client.retryAfterSeconds);
      return { status: client.status, headers, body: { error: client.code, error_description: client.description } };
    }
    // §2.2: an invalid, expired or foreign token is answered like a revoked one; only the client's own are recorded.
    const token = await ownToken((request as { token: string }).token, client.client.clientId, signingKeys);
    if (token) {
      await revokePartnerToken(db, { tokenId: token.sid, clientId: client.client.clientId, expiresAt: new Date(token.exp * 1000) });
      logger.info({ clientId: client.client.clientId, sid: token.sid }, 'partner token revoked');
    }
    return { status: 200, headers, body: {} };
  };
}

async function ownToken(token: string, clientId: string, signingKeys: SigningKeys): Promise<{ sid: string; exp: number } | undefined> {
  try {
    const keys = createLocalJWKSet({ keys: await signingKeys.publicKeys() });
    const { payload } = await jwtVerify(token, keys, { issuer: ISSUER, audience: AUDIENCE });
    const { sid, exp } = payload;
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    if (payload.client_id !== clientId || typeof sid !== 'string' || !uuid.test(sid) || typeof exp !== 'number') return undefined;
    return { sid, exp };
  } catch {
    return undefined; // not one of ours, or expired: nothing to revoke
  }
}
