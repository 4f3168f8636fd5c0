import { isUuid } from '@commerce/kit';

/** PaymentIntent rules, independent of GraphQL and Prisma. */
export const PAYMENT_STATUSES = ['requires_authorization', 'authorized', 'captured', 'voided', 'refunded', 'failed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const OPERATIONS = ['authorize', 'capture', 'void', 'refund'] as const;
export type PaymentOperation = (typeof OPERATIONS)[number];

/** Why an authorization failed (`failureReason`). */
export type FailureReason = 'CARD_DECLINED' | 'PROVIDER_UNAVAILABLE' | 'INVALID_PAYMENT_METHOD' | 'PROVIDER_ERROR';

export interface PaymentIntentRecord {
  id: string;
  orderId: string;
  /** The buyer; null for intents made before payments was told (only admins see those). */
  customerId: string | null;
  /** Decimal string with two places, e.g. "19.99". */
  amount: string;
  currency: string;
  status: PaymentStatus;
  paymentMethod: string;
  providerReference: string | null;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export type PaymentErrorCode =
  | 'INVALID_ORDER_ID'
  | 'INVALID_CUSTOMER_ID'
  | 'INVALID_AMOUNT'
  | 'INVALID_CURRENCY'
  | 'INVALID_PAYMENT_METHOD'
  | 'PAYMENT_NOT_FOUND'
  | 'PAYMENT_MISMATCH'
  | 'ILLEGAL_TRANSITION'
  | 'PROVIDER_UNAVAILABLE'
  | 'PROVIDER_REFUSED';

/** A refused payment operation: the intent did not change. */
export class PaymentError extends Error {
  override name = 'PaymentError';
  constructor(
    readonly code: PaymentErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What each operation moves from and to. */
const TRANSITIONS: Record<PaymentOperation, { from: PaymentStatus; to: PaymentStatus; done: readonly PaymentStatus[] }> = {
  // an intent that got past authorization (or failed it) answers a repeated authorize with itself
  authorize: { from: 'requires_authorization', to: 'authorized', done: ['authorized', 'captured', 'voided', 'refunded', 'failed'] },
  capture: { from: 'authorized', to: 'captured', done: ['captured', 'refunded'] },
  // a failed authorization holds no money: voiding it (the saga's compensation after a decline) has nothing to undo
  void: { from: 'authorized', to: 'voided', done: ['voided', 'failed'] },
  refund: { from: 'captured', to: 'refunded', done: ['refunded'] },
};

const DESCRIBED: Record<PaymentStatus, string> = {
  requires_authorization: 'not authorized yet',
  authorized: 'authorized',
  captured: 'captured',
  voided: 'voided',
  refunded: 'refunded',
  failed: 'failed',
};

/**
 * `go`: call the provider and move to `to`. `done`: the operation already took effect (idempotent repeat) or has
 * nothing to do (voiding a failed authorization): answer with the intent as it is. Anything else is an illegal transition.
 */
export function planTransition(status: PaymentStatus, operation: PaymentOperation): { kind: 'go'; to: PaymentStatus } | { kind: 'done' } {
  const rule = TRANSITIONS[operation];
  if (status === rule.from) return { kind: 'go', to: rule.to };
  if (rule.done.includes(status)) return { kind: 'done' };
  throw new PaymentError('ILLEGAL_TRANSITION', `Cannot ${operation} a payment that is ${DESCRIBED[status]}`);
}

/** The key every attempt of one provider call carries: the provider applies it at most once. */
export function idempotencyKey(intentId: string, operation: PaymentOperation): string {
  return `${intentId}:${operation}`;
}

export interface AuthorizeInput {
  orderId: string;
  /** The buyer (the saga sends it; commands from before it did lack it). */
  customerId?: string | null;
  /** Decimal string, e.g. "19.99"; at most two decimals. */
  amount: string;
  currency: string;
  /** A provider payment method token such as "pm_card_ok"; never card data. */
  paymentMethod: string;
}

const DECIMAL = /^(\d{1,10})(?:\.(\d{1,2}))?$/;
const CURRENCY = /^[A-Z]{3}$/;
/** Tokens only: anything that could be a card number (a run of digits) is refused before it is stored or logged. */
const PAYMENT_METHOD = /^pm_[a-z0-9_]{1,60}$/;

/** Normalises a decimal string to two places ("5" -> "5.00") without going through a float. */
export function normalizeAmount(value: string): string | undefined {
  const match = DECIMAL.exec(value.trim());
  if (!match) return undefined;
  const whole = (match[1] ?? '').replace(/^0+(?=\d)/, '');
  return `${whole}.${(match[2] ?? '').padEnd(2, '0')}`;
}

export function validateAuthorizeInput(input: AuthorizeInput): AuthorizeInput {
  if (!isUuid(input.orderId)) throw new PaymentError('INVALID_ORDER_ID', 'orderId must be a UUID');
  if (input.customerId != null && !isUuid(input.customerId)) throw new PaymentError('INVALID_CUSTOMER_ID', 'customerId must be a UUID');
  const amount = normalizeAmount(input.amount);
  if (!amount || /^0+\.00$/.test(amount)) {
    throw new PaymentError('INVALID_AMOUNT', 'amount must be a positive decimal such as "19.99" (at most two decimals)');
  }
  if (!CURRENCY.test(input.currency)) throw new PaymentError('INVALID_CURRENCY', 'currency must be an ISO 4217 code such as "EUR"');
  if (!PAYMENT_METHOD.test(input.paymentMethod) || /\d{6,}/.test(input.paymentMethod)) {
    throw new PaymentError('INVALID_PAYMENT_METHOD', 'paymentMethod must be a payment method token such as "pm_card_ok"');
  }
  return {
    orderId: input.orderId.toLowerCase(),
    customerId: input.customerId?.toLowerCase() ?? null,
    amount,
    currency: input.currency,
    paymentMethod: input.paymentMethod,
  };
}

/** A repeated authorize must ask for the same payment as the first one. */
export function sameRequest(intent: PaymentIntentRecord, input: AuthorizeInput): boolean {
  return intent.amount === input.amount && intent.currency === input.currency && intent.paymentMethod === input.paymentMethod;
}
