import { activeSecrets, type ClientSecretRecord, MAX_ACTIVE_SECRETS } from './client-secrets.js';
import { decoySecretHash, grantScopes, verifyClientSecret, type PartnerClientRecord } from './partners.js';

/** The OAuth2 client credentials grant (RFC 6749 §4.4) as rules: parse, authenticate, grant. No HTTP, no Prisma. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope';

/** An error response of RFC 6749 §5.2. `retryAfterSeconds` is set when failed authentications are throttled. */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
  }

  get status(): number {
    if (this.retryAfterSeconds !== undefined) return 429;
    return this.code === 'invalid_client' ? 401 : 400;
  }
}

export interface TokenRequest {
  clientId: string;
  clientSecret: string;
  scope?: string;
}

type Params = Record<string, unknown>;

/**
 * Reads a token request from the `Authorization` header and the body (form-encoded or JSON, already parsed).
 * The grant type is checked first: it is cheap, and a wrong one needs no secret verified.
 */
export function parseTokenRequest(authorization: string | undefined, body: unknown): TokenRequest | OAuthError {
  const params: Params = body && typeof body === 'object' && !Array.isArray(body) ? (body as Params) : {};
  for (const name of ['grant_type', 'scope', 'client_id', 'client_secret']) {
    // Repeated form parameters arrive as arrays (§3.2: parameters must not be included more than once).
    if (params[name] !== undefined && typeof params[name] !== 'string') {
      return new OAuthError('invalid_request', `${name} must be given once, as a string`);
    }
  }
  const { grant_type: grantType, scope, client_id: bodyId, client_secret: bodySecret } = params as Record<string, string | undefined>;
  if (!grantType) return new OAuthError('invalid_request', 'grant_type is required');
  if (grantType !== 'client_credentials') return new OAuthError('unsupported_grant_type', 'Only client_credentials is supported');

  const client = parseClientAuthentication(authorization, bodyId, bodySecret);
  return client instanceof OAuthError ? client : { ...client, scope };
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** RFC 6749 §2.3.1: HTTP Basic or client_id/client_secret in the body, one way only. */
function parseClientAuthentication(
  authorization: string | undefined,
  bodyId: string | undefined,
  bodySecret: string | undefined,
): ClientCredentials | OAuthError {
  if (authorization !== undefined) {
    const basic = parseBasic(authorization);
    if (!basic) return new OAuthError('invalid_client', 'Use HTTP Basic authentication with the client id and secret');
    if (bodySecret !== undefined || (bodyId !== undefined && bodyId !== basic.clientId)) {
      return new OAuthError('invalid_request', 'Authenticate the client one way only: HTTP Basic or client_id/client_secret');
    }
    return basic;
  }
  if (!bodyId || !bodySecret) return new OAuthError('invalid_client', 'Client authentication is required');
  return { clientId: bodyId, clientSecret: bodySecret };
}

export interface RevokeRequest extends ClientCredentials {
  token: string;
}

/** RFC 7009 §2.1: `token` and an optional `token_type_hint` (only access tokens exist for partners: the hint is not needed). */
export function parseRevokeRequest(authorization: string | undefined, body: unknown): RevokeRequest | OAuthError {
  const params: Params = body && typeof body === 'object' && !Array.isArray(body) ? (body as Params) : {};
  for (const name of ['token', 'token_type_hint', 'client_id', 'client_secret']) {
    if (params[name] !== undefined && typeof params[name] !== 'string') {
      return new OAuthError('invalid_request', `${name} must be given once, as a string`);
    }
  }
  const { token, client_id: bodyId, client_secret: bodySecret } = params as Record<string, string | undefined>;
  const client = parseClientAuthentication(authorization, bodyId, bodySecret);
  if (client instanceof OAuthError) return client;
  if (!token) return new OAuthError('invalid_request', 'token is required');
  return { ...client, token };
}

/** RFC 6749 §2.3.1: Basic credentials are the form-encoded client id and secret. */
function parseBasic(header: string): { clientId: string; clientSecret: string } | undefined {
  const encoded = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim())?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined; // malformed percent-encoding
  }
}

/**
 * Failed client authentications, counted per client id + address and per address (see app/client-auth-throttle.ts):
 * a flood of wrong secrets from one address never keeps the partner out from its own.
 */
export interface ClientAuthThrottle {
  /** Seconds before this client id may be tried from this address; 0: now. */
  retryAfterSeconds(clientId: string, address: string): Promise<number>;
  failed(clientId: string, address: string): Promise<void>;
  succeeded(clientId: string, address: string): Promise<void>;
}

export interface StoredClient {
  client: PartnerClientRecord;
  /** Every secret of the client, active or not. */
  secrets: (Pick<ClientSecretRecord, 'id' | 'expiresAt' | 'retiredAt'> & { secretHash: string })[];
}

/** An authenticated client, and which of its secrets it used. */
export interface AuthenticatedClient {
  client: PartnerClientRecord;
  secretId: string;
}

export interface ClientCredentialsDeps {
  findClient(clientId: string): Promise<StoredClient | undefined>;
  /** Undefined when the secret was retired since it was checked: nothing is issued. */
  signToken(authenticated: AuthenticatedClient, scopes: string[]): Promise<string | undefined>;
  throttle: ClientAuthThrottle;
  tokenTtlSeconds: number;
  /** Decides which secrets are still active. */
  clock(): Date;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** `address`: the client's (the router's signed one), for the throttle. */
export async function clientCredentialsGrant(
  request: TokenRequest,
  address: string,
  deps: ClientCredentialsDeps,
): Promise<TokenResponse | OAuthError> {
  const stored = await authenticateClient(request, address, deps);
  if (stored instanceof OAuthError) return stored;
  const grant = grantScopes(request.scope, stored.client);
  if ('rejected' in grant) {
    return grant.rejected === 'invalid_scope'
      ? new OAuthError('invalid_scope', 'The requested scope is not granted to this client')
      : new OAuthError('unauthorized_client', 'This client holds no scope it may use');
  }
  const token = await deps.signToken(stored, grant.scopes);
  if (token === undefined) return new OAuthError('invalid_client', 'Client authentication failed');
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_in: deps.tokenTtlSeconds,
    scope: grant.scopes.join(' '),
  };
}

/**
 * The client, when the secret is one of its active ones and it is not revoked; failures count towards the
 * throttle. An expired or retired secret fails exactly like a wrong one.
 */
export async function authenticateClient(
  request: ClientCredentials,
  address: string,
  deps: Pick<ClientCredentialsDeps, 'findClient' | 'throttle' | 'clock'>,
): Promise<AuthenticatedClient | OAuthError> {
  const retryAfter = await deps.throttle.retryAfterSeconds(request.clientId, address);
  if (retryAfter > 0) {
    return new OAuthError(
      'invalid_client',
      `Too many failed authentications for this client from this address; retry in ${retryAfter} s`,
      retryAfter,
    );
  }
  const stored = await deps.findClient(request.clientId);
  const matched = await matchingSecret(request.clientSecret, stored ? activeSecrets(stored.secrets, deps.clock()) : []);
  if (!stored || !matched || stored.client.revokedAt) {
    await deps.throttle.failed(request.clientId, address);
    return new OAuthError('invalid_client', 'Client authentication failed');
  }
  await deps.throttle.succeeded(request.clientId, address);
  return { client: stored.client, secretId: matched };
}

/**
 * The id of the active secret that matches, if any. Always MAX_ACTIVE_SECRETS checks, padded with a decoy hash
 * (an unknown client id has no secret at all), so the timing tells neither which client ids exist nor how many
 * secrets a client holds.
 */
async function matchingSecret(secret: string, active: StoredClient['secrets']): Promise<string | undefined> {
  const decoy = await decoySecretHash();
  let matched: string | undefined;
  for (let index = 0; index < Math.max(MAX_ACTIVE_SECRETS, active.length); index += 1) {
    const candidate = active[index];
    const matches = await verifyClientSecret(secret, candidate?.secretHash ?? decoy);
    if (matches && candidate) matched ??= candidate.id;
  }
  return matched;
}
