import { stdSerializers } from 'pino';

export const REDACTED = '[redacted]';

/**
 * Keys whose values never reach a log line. Matched at any depth, ignoring case, `-` and `_` (so `clientSecret`,
 * `client_secret` and `CLIENT-SECRET` all match); the whole value goes, whatever its type.
 */
export const REDACTED_KEYS = [
  // credentials and tokens
  'password',
  'newPassword',
  'currentPassword',
  'passwordHash',
  'secret',
  'clientSecret',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'apiKey',
  'privateKey',
  // HTTP headers (Node lower-cases incoming names); the principal signature proves a request came from the router
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-commerce-principal-signature',
  // addresses and contact data
  'shippingAddress',
  'billingAddress',
  'address',
  'line1',
  'line2',
  'postalCode',
  'email',
  'phone',
  // payment data (card data is never stored, but a request may still carry it)
  'paymentMethod',
  'card',
  'cardNumber',
  'cvc',
  'cvv',
  'iban',
] as const;

const normalise = (key: string) => key.replace(/[-_]/g, '').toLowerCase();
const KEYS = new Set(REDACTED_KEYS.map(normalise));
/** Deeper than this, a value is replaced as a whole: a log object that deep is a mistake, and the walk must stay cheap. */
const MAX_DEPTH = 8;

/**
 * A copy of `value` with the values of REDACTED_KEYS replaced, copying only what changes (the caller's objects are
 * never modified). Errors become their serialized form (pino's, with `cause`) so their own properties are redacted
 * too; a reference back to an enclosing object becomes "[Circular]". pino's `redact` option is not used: its wildcard
 * paths reach one level per `*`, and for this key list at four depths they cost ~0.3 ms per line; this walk costs a
 * few µs.
 */
export function redactDeep<T>(value: T): T {
  return walk(value, new Set(), 0) as T;
}

function walk(value: unknown, ancestors: Set<object>, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth > MAX_DEPTH) return REDACTED;
  if (value instanceof Error) return walk(stdSerializers.err(value), ancestors, depth);
  if (!Array.isArray(value) && !isPlain(value)) return value;
  ancestors.add(value);
  try {
    const record = value as Record<string, unknown>;
    let copy: Record<string, unknown> | unknown[] | undefined;
    for (const key of Object.keys(record)) {
      const item = record[key];
      const redacted = !Array.isArray(value) && KEYS.has(normalise(key)) ? REDACTED : walk(item, ancestors, depth + 1);
      if (redacted !== item) {
        copy ??= Array.isArray(value) ? [...value] : { ...record };
        (copy as Record<string, unknown>)[key] = redacted;
      }
    }
    return copy ?? value;
  } finally {
    ancestors.delete(value);
  }
}

/** Plain objects and pino's serialized errors; objects with their own JSON form (Date, Buffer, URL, Decimal) stay. */
function isPlain(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null || !('toJSON' in value);
}
