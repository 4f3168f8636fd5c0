/**
 * The payment provider port. Every call carries an idempotency key: the provider applies a key at most once
 * and answers a repeated key with the first answer, so retrying a call (after a timeout, a transient error or
 * a crash) never charges twice. Adapters live in src/providers/.
 */
export interface ProviderRequest {
  idempotencyKey: string;
}

export interface AuthorizeRequest extends ProviderRequest {
  amount: string;
  currency: string;
  paymentMethod: string;
}

/** Capture, void and refund act on an authorization (`authorization` = the reference authorize returned). */
export interface AuthorizationRequest extends ProviderRequest {
  authorization: string;
  amount: string;
  currency: string;
}

export interface ProviderResult {
  /** The provider's id of what it did (authorization, capture, void or refund). */
  reference: string;
}

export interface PaymentProvider {
  authorize(request: AuthorizeRequest): Promise<ProviderResult>;
  capture(request: AuthorizationRequest): Promise<ProviderResult>;
  void(request: AuthorizationRequest): Promise<ProviderResult>;
  refund(request: AuthorizationRequest): Promise<ProviderResult>;
}

/**
 * A provider's refusal. `transient` ones (unavailable, timeouts) are worth retrying with the same key;
 * the others (declined card, illegal state at the provider) are final.
 */
export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    readonly code: string,
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export interface RetryPolicy {
  /** Attempts per provider call, the first one included. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles for each further one. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 200 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `call` until it succeeds, fails for good, or runs out of attempts (then the last transient error is thrown). */
export async function withRetries<T>(policy: RetryPolicy, call: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call(attempt);
    } catch (error) {
      if (!(error instanceof ProviderError) || !error.transient || attempt >= policy.maxAttempts) throw error;
      await sleep(policy.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}
