import { randomBytes } from 'node:crypto';
import { badUserInput, checkPageSize, decodeCursor, encodeCursor, isUuid, userError, type UserError } from '@commerce/kit';
import { newClientSecret } from './client-secrets.js';
import { hashPassword, verifyPassword, type ScryptParams } from './passwords.js';

/** Partner clients (OAuth2 client credentials): rules independent of GraphQL, Prisma and HTTP. */
export interface PartnerClientRecord {
  id: string;
  clientId: string;
  name: string;
  scopes: string[];
  createdAt: Date;
  revokedAt: Date | null;
}

/**
 * The scopes an admin may grant a partner: read-only ones. Subgraphs still check roles behind the router,
 * so a scope only opens what is also open to the partner role (e.g. `inventory:read` passes the router's
 * check on `warehouses`, but inventory serves warehouses to staff and admins only).
 */
export const PARTNER_SCOPES = ['catalog:read', 'schema:read', 'orders:read', 'inventory:read'] as const;
export const MAX_CLIENT_NAME_LENGTH = 100;

/** Tokens carry `client:<clientId>` as subject, so a client can never be mistaken for a user id. */
export const CLIENT_SUBJECT_PREFIX = 'client:';

export function validateNewClient(input: { name: string; scopes: readonly string[] }): UserError[] {
  const errors: UserError[] = [];
  const name = input.name.trim();
  if (name.length === 0 || name.length > MAX_CLIENT_NAME_LENGTH) {
    errors.push(userError('INVALID_INPUT', `Name must be 1 to ${MAX_CLIENT_NAME_LENGTH} characters`, ['input', 'name']));
  }
  if (input.scopes.length === 0) errors.push(userError('INVALID_INPUT', 'Choose at least one scope', ['input', 'scopes']));
  input.scopes.forEach((scope, index) => {
    if (!isPartnerScope(scope)) {
      errors.push(
        userError('INVALID_SCOPE', `Unknown scope "${scope}"; use ${PARTNER_SCOPES.join(', ')}`, ['input', 'scopes', String(index)]),
      );
    }
  });
  return errors;
}

export function isPartnerScope(scope: string): boolean {
  return (PARTNER_SCOPES as readonly string[]).includes(scope);
}

/** Scopes in allow-list order, without duplicates. */
export function normalizeScopes(scopes: readonly string[]): string[] {
  return PARTNER_SCOPES.filter((scope) => scopes.includes(scope));
}

/**
 * The secret is 256 random bits: stretching adds nothing against guessing it, so scrypt runs with a
 * small cost. That keeps the token endpoint fast and floods of wrong secrets cheap to answer.
 */
const SECRET_HASH_PARAMS: ScryptParams = { N: 4096, r: 8, p: 1 };

export const CLIENT_ID_PATTERN = /^pc_[\w-]{16}$/;

/** A new client's id, and its first secret (see client-secrets.ts). */
export function newClientCredentials(): { clientId: string; secret: ReturnType<typeof newClientSecret> } {
  return { clientId: `pc_${randomBytes(12).toString('base64url')}`, secret: newClientSecret() };
}

export function hashClientSecret(secret: string): Promise<string> {
  return hashPassword(secret, SECRET_HASH_PARAMS);
}

export function verifyClientSecret(secret: string, stored: string): Promise<boolean> {
  return verifyPassword(secret, stored);
}

/** A hash to compare against when the client id is unknown, so both answers take as long. */
let decoy: Promise<string> | undefined;
export function decoySecretHash(): Promise<string> {
  decoy ??= hashClientSecret(randomBytes(32).toString('base64url'));
  return decoy;
}

export type ScopeGrant = { scopes: string[] } | { rejected: 'invalid_scope' | 'unauthorized_client' };

/**
 * RFC 6749 §3.3: the requested scopes (space-separated) must all be the client's; none requested means all
 * of them. Scopes since dropped from the allow-list are never granted.
 */
export function grantScopes(requested: string | undefined, client: Pick<PartnerClientRecord, 'scopes'>): ScopeGrant {
  const allowed = normalizeScopes(client.scopes);
  if (allowed.length === 0) return { rejected: 'unauthorized_client' };
  const asked = (requested ?? '').split(' ').filter(Boolean);
  if (asked.length === 0) return { scopes: allowed };
  if (!asked.every((scope) => allowed.includes(scope))) return { rejected: 'invalid_scope' };
  return { scopes: normalizeScopes(asked) };
}

/** Newest first; the cursor is (createdAt, id). */
export interface ClientPageKey {
  first: number;
  after?: { createdAt: Date; id: string };
}

export function clientPageKey(first: number | null | undefined, after: string | null | undefined): ClientPageKey {
  if (!after) return { first: checkPageSize(first ?? 20) };
  const [createdAt, id] = decodeCursor(after, 2);
  const at = new Date(String(createdAt));
  if (Number.isNaN(at.getTime()) || !isUuid(String(id))) throw badUserInput('The cursor is not valid', ['after']);
  return { first: checkPageSize(first ?? 20), after: { createdAt: at, id: String(id) } };
}

export function clientCursor(client: PartnerClientRecord): string {
  return encodeCursor([client.createdAt.toISOString(), client.id]);
}
