import { createHash } from 'node:crypto';
import { userError, type UserError } from '@commerce/kit';

/** Checkout input rules, independent of GraphQL and Prisma. */
export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, e.g. "NL" */
  country: string;
}

export interface CheckoutRequest {
  idempotencyKey: string;
  paymentMethod: string;
  shippingAddress: ShippingAddress;
}

/** The fake payment provider's test methods (payments subgraph); the saga will hand them to it. */
export const PAYMENT_METHODS = ['pm_card_ok', 'pm_card_declined', 'pm_card_slow', 'pm_card_flaky'] as const;

/** Printable ASCII without spaces, such as a UUID. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,100}$/;

const LIMITS: Record<Exclude<keyof ShippingAddress, 'country'>, [min: number, max: number]> = {
  name: [1, 200],
  line1: [1, 200],
  line2: [0, 200],
  city: [1, 100],
  postalCode: [1, 20],
};

/** Trims every field; line2 becomes null when blank. */
export function normalizeAddress(address: ShippingAddress): ShippingAddress {
  const line2 = address.line2?.trim();
  return {
    name: address.name.trim(),
    line1: address.line1.trim(),
    line2: line2 ? line2 : null,
    city: address.city.trim(),
    postalCode: address.postalCode.trim().toUpperCase(),
    country: address.country.trim().toUpperCase(),
  };
}

export function validateCheckout(request: CheckoutRequest): UserError[] {
  const errors: UserError[] = [];
  if (!IDEMPOTENCY_KEY.test(request.idempotencyKey)) {
    errors.push(
      userError(
        'INVALID_IDEMPOTENCY_KEY',
        'idempotencyKey must be 8 to 100 printable ASCII characters without spaces (a UUID, for example)',
        ['input', 'idempotencyKey'],
      ),
    );
  }
  if (!(PAYMENT_METHODS as readonly string[]).includes(request.paymentMethod)) {
    errors.push(
      userError('INVALID_PAYMENT_METHOD', `paymentMethod must be one of ${PAYMENT_METHODS.join(', ')}`, ['input', 'paymentMethod']),
    );
  }
  const address = normalizeAddress(request.shippingAddress);
  for (const [field, [min, max]] of Object.entries(LIMITS) as [keyof typeof LIMITS, [number, number]][]) {
    const length = (address[field] ?? '').length;
    if (length < min || length > max) {
      errors.push(userError('INVALID_ADDRESS', `${field} must be ${min} to ${max} characters`, ['input', 'shippingAddress', field]));
    }
  }
  if (!/^[A-Z0-9 -]*$/.test(address.postalCode)) {
    errors.push(
      userError('INVALID_ADDRESS', 'postalCode may hold letters, digits, spaces and dashes', ['input', 'shippingAddress', 'postalCode']),
    );
  }
  if (!/^[A-Z]{2}$/.test(address.country)) {
    errors.push(
      userError('INVALID_ADDRESS', 'country must be an ISO 3166-1 alpha-2 code such as "NL"', ['input', 'shippingAddress', 'country']),
    );
  }
  return errors;
}

/** Fingerprint of a checkout input (without the key): a retry matches it, a reused key with other input does not. */
export function requestHash(request: CheckoutRequest): string {
  const address = normalizeAddress(request.shippingAddress);
  const canonical = JSON.stringify([
    request.paymentMethod,
    address.name,
    address.line1,
    address.line2,
    address.city,
    address.postalCode,
    address.country,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
