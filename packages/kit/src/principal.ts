import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Who is calling, as verified by the router from the access token. Subgraphs never see the token
 * itself: they trust this principal only when its HMAC was made with the router's shared secret.
 */
export type Role = 'customer' | 'vendor_staff' | 'admin' | 'partner';
export const ROLES: readonly Role[] = ['customer', 'vendor_staff', 'admin', 'partner'];

export interface Principal {
  userId: string;
  role: Role;
  /** The vendor (tenant) a vendor staff member works for. */
  vendorId?: string;
  scopes: string[];
}

export const PRINCIPAL_HEADER = 'x-commerce-principal';
export const PRINCIPAL_SIGNATURE_HEADER = 'x-commerce-principal-signature';
/** A signed principal older than this is refused, so a captured header cannot be replayed for long. */
const MAX_AGE_MS = 5 * 60_000;

interface SignedPayload extends Principal {
  iat: number;
}

function sign(value: string, secret: string): string {
  return createHmac('sha256', secret).update(value).digest('base64url');
}

export function principalHeaders(principal: Principal, secret: string, now = Date.now()): Record<string, string> {
  const payload: SignedPayload = { ...principal, iat: now };
  const value = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return { [PRINCIPAL_HEADER]: value, [PRINCIPAL_SIGNATURE_HEADER]: sign(value, secret) };
}

export class PrincipalHeaderError extends Error {
  override name = 'PrincipalHeaderError';
}

/** Reads the principal from request headers: undefined when anonymous, an error when forged or stale. */
export function readPrincipal(
  headers: Record<string, string | string[] | undefined>,
  secret: string,
  now = Date.now(),
): Principal | undefined {
  const value = headers[PRINCIPAL_HEADER];
  const signature = headers[PRINCIPAL_SIGNATURE_HEADER];
  if (value === undefined && signature === undefined) return undefined;
  if (typeof value !== 'string' || typeof signature !== 'string') throw new PrincipalHeaderError('malformed principal');
  const expected = Buffer.from(sign(value, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new PrincipalHeaderError('principal signature does not match');
  }
  const payload = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as SignedPayload;
  if (Math.abs(now - payload.iat) > MAX_AGE_MS) throw new PrincipalHeaderError('principal is stale');
  if (!ROLES.includes(payload.role)) throw new PrincipalHeaderError('unknown role');
  return { userId: payload.userId, role: payload.role, vendorId: payload.vendorId, scopes: payload.scopes };
}
