import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ClientAddressHeaderError, readInteger, type Logger } from '@commerce/kit';
import type { IdentityDb } from '../data/client.js';
import type { SigningKeys } from '../data/key-store.js';
import { findClientForAuthentication, recordPartnerToken } from '../data/partner-store.js';
import {
  clientCredentialsGrant,
  OAuthError,
  parseTokenRequest,
  type ClientAuthThrottle,
  type ClientCredentialsDeps,
} from '../domain/oauth.js';
import { CLIENT_ID_PATTERN } from '../domain/partners.js';
import { signPartnerToken } from '../domain/tokens.js';

/** `POST /oauth/token`: the OAuth2 token endpoint for partner clients (client credentials grant only). */
export const TOKEN_PATH = '/oauth/token';
const MAX_BODY_BYTES = 8 * 1024;

export interface PartnerTokenConfig {
  tokenTtlSeconds: number;
}

export function partnerTokenConfigFromEnv(env: Record<string, string | undefined>): PartnerTokenConfig {
  return { tokenTtlSeconds: readInteger(env, 'PARTNER_TOKEN_TTL_SECONDS', 3600, 60, 86_400) };
}

export interface TokenEndpointDeps {
  db: IdentityDb;
  logger: Logger;
  config: PartnerTokenConfig;
  throttle: ClientAuthThrottle;
  signingKeys: SigningKeys;
  /** The client's address (the router's signed one); throws ClientAddressHeaderError when forged. */
  clientAddress(req: IncomingMessage): string;
  /** Decides which client secrets are active. */
  clock(): Date;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: object;
}

/** Returns the handler: request in, status + headers + JSON body out (the caller writes it). */
export function tokenEndpoint({
  db,
  logger,
  config,
  throttle,
  signingKeys,
  clientAddress,
  clock,
}: TokenEndpointDeps): (req: IncomingMessage) => Promise<HttpAnswer> {
  const deps: ClientCredentialsDeps = {
    findClient: (clientId) => findClientForAuthentication(db, clientId),
    signToken: async ({ client, secretId }, scopes) => {
      const tokenId = randomUUID();
      const token = await signPartnerToken(client, scopes, config.tokenTtlSeconds, await signingKeys.active(), tokenId);
      // Recorded with its secret before it is handed out: retiring the secret revokes it (its expiry is the token's own).
      const expiresAt = new Date(Date.now() + config.tokenTtlSeconds * 1000);
      return (await recordPartnerToken(db, { tokenId, secretId, expiresAt })) ? token : undefined;
    },
    throttle,
    tokenTtlSeconds: config.tokenTtlSeconds,
    clock,
  };
  return async (req) => {
    const address = addressOf(req, clientAddress);
    const body = address instanceof OAuthError ? address : await readParams(req);
    const request = body instanceof OAuthError ? body : parseTokenRequest(req.headers.authorization, body);
    const result = request instanceof OAuthError ? request : await clientCredentialsGrant(request, address as string, deps);
    // Never log the secret or the token. The client id is public, but only one shaped like ours is logged:
    // a caller who swapped id and secret would otherwise put the secret in the log.
    const clientId = request instanceof OAuthError || !CLIENT_ID_PATTERN.test(request.clientId) ? undefined : request.clientId;
    // RFC 6749 §5.1: token responses must not be cached.
    const headers: Record<string, string> = { 'cache-control': 'no-store', pragma: 'no-cache' };
    if (!(result instanceof OAuthError)) {
      logger.info({ clientId, scope: result.scope }, 'partner token issued');
      return { status: 200, headers, body: result };
    }
    logger.info({ clientId, error: result.code }, 'partner token refused');
    if (result.status === 401) headers['www-authenticate'] = 'Basic realm="commerce-identity"';
    if (result.retryAfterSeconds !== undefined) headers['retry-after'] = String(result.retryAfterSeconds);
    return { status: result.status, headers, body: { error: result.code, error_description: result.description } };
  };
}

export function addressOf(req: IncomingMessage, clientAddress: (req: IncomingMessage) => string): string | OAuthError {
  try {
    return clientAddress(req);
  } catch (error) {
    if (error instanceof ClientAddressHeaderError) return new OAuthError('invalid_request', 'The request did not come from the router');
    throw error;
  }
}

/** The body as parameters: form-encoded (RFC 6749) or JSON. A repeated form parameter becomes an array. */
export async function readParams(req: IncomingMessage): Promise<unknown> {
  const tooLarge = new OAuthError('invalid_request', 'The request body is too large');
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return tooLarge; // a chunked body without a length: leaving the loop drops the connection
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = ((req.headers['content-type'] ?? '').split(';')[0] ?? '').trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const params: Record<string, string | string[]> = {};
    for (const [name, value] of new URLSearchParams(text)) {
      const seen = params[name];
      params[name] = seen === undefined ? value : [seen, value].flat();
    }
    return params;
  }
  if (type === 'application/json') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return new OAuthError('invalid_request', 'The body is not valid JSON');
    }
  }
  return new OAuthError('invalid_request', 'Send the parameters as application/x-www-form-urlencoded');
}
