import { isUuid, defined } from '@commerce/kit';
import {
  idempotencyKey,
  PaymentError,
  planTransition,
  sameRequest,
  validateAuthorizeInput,
  type AuthorizeInput,
  type FailureReason,
  type PaymentIntentRecord,
  type PaymentOperation,
  type PaymentStatus,
} from './payment-intent.js';
import { DEFAULT_RETRY, ProviderError, withRetries, type PaymentProvider, type ProviderResult, type RetryPolicy } from './provider.js';

/** What the service needs from storage (implemented with Prisma in src/data/payment-store.ts). */
export interface PaymentStore {
  findByOrder(orderId: string): Promise<PaymentIntentRecord | null>;
  /** Inserts the intent unless the order already has one; returns the order's intent either way. */
  createIfAbsent(input: AuthorizeInput): Promise<PaymentIntentRecord>;
  /**
   * Moves the intent from `from` to `change.status` if it still has `version` (optimistic concurrency);
   * null when another caller moved it first.
   */
  transition(
    intent: PaymentIntentRecord,
    change: { status: PaymentStatus; providerReference?: string; failureReason?: string },
  ): Promise<PaymentIntentRecord | null>;
  /** Records a provider call (once per intent and operation) and counts an attempt. */
  countAttempt(intentId: string, operation: PaymentOperation, key: string): Promise<void>;
  finishCall(key: string, outcome: { status: 'succeeded' | 'failed'; providerReference?: string; errorCode?: string }): Promise<void>;
}

export interface PaymentServiceOptions {
  retry?: Partial<RetryPolicy>;
}

/**
 * The payments API the checkout saga drives. Every operation is idempotent (a repeat has its effect once
 * and answers with the same intent) and safe under concurrency: provider calls carry the stable key
 * `<intentId>:<operation>`, and the state change is a compare-and-set on the intent's version.
 * Refusals throw `PaymentError` and leave the intent unchanged.
 */
export interface PaymentService {
  authorizePayment(input: AuthorizeInput): Promise<PaymentIntentRecord>;
  capturePayment(orderId: string): Promise<PaymentIntentRecord>;
  voidPayment(orderId: string): Promise<PaymentIntentRecord>;
  refundPayment(orderId: string): Promise<PaymentIntentRecord>;
  getPayment(orderId: string): Promise<PaymentIntentRecord | null>;
}

const PERMANENT_REASONS: Record<string, FailureReason> = {
  CARD_DECLINED: 'CARD_DECLINED',
  INVALID_PAYMENT_METHOD: 'INVALID_PAYMENT_METHOD',
};

export function createPaymentService(store: PaymentStore, provider: PaymentProvider, options: PaymentServiceOptions = {}): PaymentService {
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };

  async function requireIntent(orderId: string): Promise<PaymentIntentRecord> {
    const intent = isUuid(orderId) ? await store.findByOrder(orderId.toLowerCase()) : null;
    if (!intent) throw new PaymentError('PAYMENT_NOT_FOUND', 'This order has no payment');
    return intent;
  }

  /** Calls the provider with retries; every attempt is counted against the call's record. */
  function callProvider(intent: PaymentIntentRecord, operation: PaymentOperation, send: (key: string) => Promise<ProviderResult>) {
    const key = idempotencyKey(intent.id, operation);
    return withRetries(retry, async () => {
      await store.countAttempt(intent.id, operation, key);
      return send(key);
    }).then(
      async (result) => {
        await store.finishCall(key, { status: 'succeeded', providerReference: result.reference });
        return { ok: true as const, result };
      },
      async (error: unknown) => {
        if (!(error instanceof ProviderError)) throw error; // unexpected: the call stays pending, a retry reuses the key
        // transient errors stay pending: a later retry with the same key may still succeed
        if (!error.transient) await store.finishCall(key, { status: 'failed', errorCode: error.code });
        return { ok: false as const, error };
      },
    );
  }

  /**
   * Applies a transition decided on `intent`; if another caller moved the intent first, re-reads it and
   * answers as a repeat would (or refuses if the other caller's transition rules this one out).
   */
  async function apply(
    intent: PaymentIntentRecord,
    operation: PaymentOperation,
    change: { status: PaymentStatus; providerReference?: string; failureReason?: string },
  ): Promise<PaymentIntentRecord> {
    const moved = await store.transition(intent, change);
    if (moved) return moved;
    const current = await requireIntent(intent.orderId);
    if (planTransition(current.status, operation).kind === 'done') return current;
    throw new PaymentError('ILLEGAL_TRANSITION', `The payment changed while it was being ${operation}d; try again`);
  }

  async function settle(orderId: string, operation: Exclude<PaymentOperation, 'authorize'>): Promise<PaymentIntentRecord> {
    const intent = await requireIntent(orderId);
    const plan = planTransition(intent.status, operation);
    if (plan.kind === 'done') return intent;
    const request = {
      authorization: defined(intent.providerReference, `the provider reference of the payment of order ${orderId}`),
      amount: intent.amount,
      currency: intent.currency,
    };
    const outcome = await callProvider(intent, operation, (key) => provider[operation]({ ...request, idempotencyKey: key }));
    if (!outcome.ok) {
      const { error } = outcome;
      if (error.transient) throw new PaymentError('PROVIDER_UNAVAILABLE', `The payment provider is unavailable; ${operation} again later`);
      throw new PaymentError('PROVIDER_REFUSED', `The payment provider refused to ${operation}: ${error.code}`);
    }
    return apply(intent, operation, { status: plan.to });
  }

  return {
    async authorizePayment(raw) {
      const input = validateAuthorizeInput(raw);
      const intent = await store.createIfAbsent(input);
      if (!sameRequest(intent, input)) {
        throw new PaymentError('PAYMENT_MISMATCH', 'This order already has a payment with another amount, currency or payment method');
      }
      const plan = planTransition(intent.status, 'authorize');
      if (plan.kind === 'done') return intent;
      const outcome = await callProvider(intent, 'authorize', (key) =>
        provider.authorize({ idempotencyKey: key, amount: intent.amount, currency: intent.currency, paymentMethod: intent.paymentMethod }),
      );
      if (outcome.ok) return apply(intent, 'authorize', { status: plan.to, providerReference: outcome.result.reference });
      const reason: FailureReason = outcome.error.transient
        ? 'PROVIDER_UNAVAILABLE'
        : (PERMANENT_REASONS[outcome.error.code] ?? 'PROVIDER_ERROR');
      return apply(intent, 'authorize', { status: 'failed', failureReason: reason });
    },
    capturePayment: (orderId) => settle(orderId, 'capture'),
    voidPayment: (orderId) => settle(orderId, 'void'),
    refundPayment: (orderId) => settle(orderId, 'refund'),
    getPayment: async (orderId) => (isUuid(orderId) ? store.findByOrder(orderId.toLowerCase()) : null),
  };
}
