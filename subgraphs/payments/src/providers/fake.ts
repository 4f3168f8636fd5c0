import { randomUUID } from 'node:crypto';
import {
  ProviderError,
  type AuthorizationRequest,
  type AuthorizeRequest,
  type PaymentProvider,
  type ProviderResult,
} from '../domain/provider.js';

/**
 * A fake payment provider for development and tests, with test payment methods:
 * - `pm_card_ok`: every call succeeds;
 * - `pm_card_declined`: authorize fails with CARD_DECLINED (final);
 * - `pm_card_slow`: every call answers after `slowDelayMs`;
 * - `pm_card_flaky`: the first attempt of every call (per idempotency key) fails with a transient
 *   PROVIDER_UNAVAILABLE; the retry succeeds.
 * Any other token fails authorize with INVALID_PAYMENT_METHOD.
 */
export const TEST_PAYMENT_METHODS = ['pm_card_ok', 'pm_card_declined', 'pm_card_slow', 'pm_card_flaky'] as const;

export type FakeOperation = 'authorize' | 'capture' | 'void' | 'refund';

/** One effect the "remote" ledger applied (an authorization hold, a capture, a void or a refund). */
export interface FakeCharge {
  operation: FakeOperation;
  reference: string;
  authorization: string;
  amount: string;
  currency: string;
  paymentMethod: string;
  idempotencyKey: string;
}

export interface FakeRequestLog {
  operation: FakeOperation;
  idempotencyKey: string;
  /** 1 for the first request with this key, 2 for its first retry, ... */
  attempt: number;
}

type AuthorizationState = 'authorized' | 'captured' | 'voided' | 'refunded';

interface Authorization {
  amount: string;
  currency: string;
  paymentMethod: string;
  state: AuthorizationState;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The provider's side: an in-memory ledger that remembers idempotency keys (a repeated key gets the first
 * answer, also while the first request is still in flight) and records every effect, so tests can assert
 * that something was charged exactly once.
 */
export class FakePaymentBackend {
  /** Every request received, retries and repeats included. */
  readonly requests: FakeRequestLog[] = [];
  /** Every effect applied, in order. */
  readonly charges: FakeCharge[] = [];
  private readonly answers = new Map<string, { fingerprint: string; answer: Promise<ProviderResult> }>();
  private readonly attempts = new Map<string, number>();
  private readonly authorizations = new Map<string, Authorization>();

  constructor(readonly options: { slowDelayMs: number }) {}

  /** The effects applied under the keys of one payment intent (`<intentId>:<operation>`). */
  chargesOf(intentId: string): FakeCharge[] {
    return this.charges.filter((charge) => charge.idempotencyKey.startsWith(`${intentId}:`));
  }

  requestsOf(intentId: string): FakeRequestLog[] {
    return this.requests.filter((request) => request.idempotencyKey.startsWith(`${intentId}:`));
  }

  async handle(operation: FakeOperation, request: AuthorizeRequest | AuthorizationRequest): Promise<ProviderResult> {
    const key = request.idempotencyKey;
    if (!key) throw new ProviderError('IDEMPOTENCY_KEY_REQUIRED', 'fake provider: every request needs an idempotency key', false);
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    this.requests.push({ operation, idempotencyKey: key, attempt });
    const method = 'paymentMethod' in request ? request.paymentMethod : this.authorizations.get(request.authorization)?.paymentMethod;
    if (method === 'pm_card_flaky' && attempt === 1) {
      throw new ProviderError('PROVIDER_UNAVAILABLE', 'fake provider: temporarily unavailable (pm_card_flaky)', true);
    }
    const { idempotencyKey: _key, ...params } = request;
    const fingerprint = JSON.stringify([operation, params]);
    const remembered = this.answers.get(key);
    if (remembered) {
      if (remembered.fingerprint !== fingerprint) {
        throw new ProviderError('IDEMPOTENCY_KEY_REUSED', 'fake provider: this key was used with other parameters', false);
      }
      return remembered.answer;
    }
    const answer = this.apply(operation, request, method);
    this.answers.set(key, { fingerprint, answer });
    return answer;
  }

  private async apply(operation: FakeOperation, request: AuthorizeRequest | AuthorizationRequest, method: string | undefined) {
    if (method === 'pm_card_slow') await sleep(this.options.slowDelayMs);
    const reference = `fake_${operation}_${randomUUID()}`;
    if ('paymentMethod' in request) {
      if (request.paymentMethod === 'pm_card_declined')
        throw new ProviderError('CARD_DECLINED', 'fake provider: the card was declined', false);
      if (!(TEST_PAYMENT_METHODS as readonly string[]).includes(request.paymentMethod)) {
        throw new ProviderError('INVALID_PAYMENT_METHOD', 'fake provider: unknown payment method', false);
      }
      this.authorizations.set(reference, {
        amount: request.amount,
        currency: request.currency,
        paymentMethod: request.paymentMethod,
        state: 'authorized',
      });
      this.record(operation, reference, reference, request);
      return { reference };
    }
    const authorization = this.authorizations.get(request.authorization);
    if (!authorization) throw new ProviderError('AUTHORIZATION_NOT_FOUND', 'fake provider: no such authorization', false);
    const from: Record<Exclude<FakeOperation, 'authorize'>, [AuthorizationState, AuthorizationState]> = {
      capture: ['authorized', 'captured'],
      void: ['authorized', 'voided'],
      refund: ['captured', 'refunded'],
    };
    const [required, next] = from[operation as Exclude<FakeOperation, 'authorize'>];
    if (authorization.state !== required) {
      throw new ProviderError('INVALID_STATE', `fake provider: cannot ${operation} an authorization that is ${authorization.state}`, false);
    }
    authorization.state = next;
    this.record(operation, reference, request.authorization, { ...request, paymentMethod: authorization.paymentMethod });
    return { reference };
  }

  private record(
    operation: FakeOperation,
    reference: string,
    authorization: string,
    request: { idempotencyKey: string; amount: string; currency: string; paymentMethod: string },
  ) {
    this.charges.push({
      operation,
      reference,
      authorization,
      amount: request.amount,
      currency: request.currency,
      paymentMethod: request.paymentMethod,
      idempotencyKey: request.idempotencyKey,
    });
  }
}

export const DEFAULT_SLOW_DELAY_MS = 2000;

/** The adapter: talks to a FakePaymentBackend as a real adapter would talk to the provider's HTTP API. */
export class FakePaymentProvider implements PaymentProvider {
  readonly backend: FakePaymentBackend;

  constructor(options: { backend?: FakePaymentBackend; slowDelayMs?: number } = {}) {
    this.backend = options.backend ?? new FakePaymentBackend({ slowDelayMs: options.slowDelayMs ?? DEFAULT_SLOW_DELAY_MS });
  }

  authorize(request: AuthorizeRequest): Promise<ProviderResult> {
    return this.send('authorize', request);
  }

  capture(request: AuthorizationRequest): Promise<ProviderResult> {
    return this.send('capture', request);
  }

  void(request: AuthorizationRequest): Promise<ProviderResult> {
    return this.send('void', request);
  }

  refund(request: AuthorizationRequest): Promise<ProviderResult> {
    return this.send('refund', request);
  }

  private async send(operation: FakeOperation, request: AuthorizeRequest | AuthorizationRequest): Promise<ProviderResult> {
    // a copy, as over the wire: the backend never holds on to the caller's objects
    const answer = await this.backend.handle(operation, structuredClone(request));
    return { ...answer };
  }
}
