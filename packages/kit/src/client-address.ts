import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The address of the router's client, signed by the router like the principal (HMAC-SHA256 with the router
 * secret), so that a subgraph can throttle per client address (identity's log-in and token endpoint) without
 * trusting a header anyone could set. A request without it comes straight from its socket's peer.
 */
export const CLIENT_ADDRESS_HEADER = 'x-commerce-client-address';
export const CLIENT_ADDRESS_SIGNATURE_HEADER = 'x-commerce-client-address-signature';
/** As for the principal: a captured header cannot be replayed for long. */
const MAX_AGE_MS = 5 * 60_000;
/** Domain separation: a principal's signature never passes as an address's, nor the other way round. */
const CONTEXT = 'client-address:';

function sign(value: string, secret: string): string {
  return createHmac('sha256', secret)
    .update(CONTEXT + value)
    .digest('base64url');
}

export function clientAddressHeaders(address: string, secret: string, now = Date.now()): Record<string, string> {
  const value = Buffer.from(JSON.stringify({ address, iat: now })).toString('base64url');
  return { [CLIENT_ADDRESS_HEADER]: value, [CLIENT_ADDRESS_SIGNATURE_HEADER]: sign(value, secret) };
}

export class ClientAddressHeaderError extends Error {
  override name = 'ClientAddressHeaderError';
}

/** The signed client address, or undefined when the request carries none; an error when forged or stale. */
export function readClientAddress(
  headers: Record<string, string | string[] | undefined>,
  secret: string,
  now = Date.now(),
): string | undefined {
  const value = headers[CLIENT_ADDRESS_HEADER];
  const signature = headers[CLIENT_ADDRESS_SIGNATURE_HEADER];
  if (value === undefined && signature === undefined) return undefined;
  if (typeof value !== 'string' || typeof signature !== 'string') throw new ClientAddressHeaderError('malformed client address');
  const expected = Buffer.from(sign(value, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new ClientAddressHeaderError('client address signature does not match');
  }
  const payload = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { address?: unknown; iat?: unknown };
  if (typeof payload.address !== 'string' || typeof payload.iat !== 'number')
    throw new ClientAddressHeaderError('malformed client address');
  if (Math.abs(now - payload.iat) > MAX_AGE_MS) throw new ClientAddressHeaderError('client address is stale');
  return payload.address;
}

/** Who is calling a subgraph: the router's signed client address, else the socket's peer (a direct caller). */
export function requestClientAddress(req: IncomingMessage, secret: string, now = Date.now()): string {
  return readClientAddress(req.headers, secret, now) ?? req.socket.remoteAddress ?? 'unknown';
}
