import {
  ProviderError,
  type AuthorizationRequest,
  type AuthorizeRequest,
  type PaymentProvider,
  type ProviderResult,
} from '../domain/provider.js';

export interface HttpProviderOptions {
  /** The provider's base URL, e.g. http://payments-provider:4090 */
  url: string;
  /** A call not answered within this is abandoned as transient (retried with the same idempotency key). */
  timeoutMs: number;
}

export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;

/**
 * The adapter for a payment provider behind HTTP (the fake provider's server, src/providers/fake-server.ts, speaks
 * this API): the idempotency key travels in the `Idempotency-Key` header, so a retry after a timeout, a dropped
 * connection or a crash of this process is answered with the first answer and applied once. Anything but a
 * provider's own final refusal (a connection refused or reset, a timeout, a 5xx, an unreadable answer) is transient.
 */
export class HttpPaymentProvider implements PaymentProvider {
  private readonly base: string;

  constructor(private readonly options: HttpProviderOptions) {
    this.base = options.url.replace(/\/+$/, '');
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

  private async send(operation: string, request: AuthorizeRequest | AuthorizationRequest): Promise<ProviderResult> {
    const { idempotencyKey, ...params } = request;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.base}/v1/${operation}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(params),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new ProviderError('PROVIDER_UNAVAILABLE', `payment provider unreachable (${operation}): ${(error as Error).message}`, true);
    }
    const body = parse(text);
    if (response.ok) {
      if (typeof body?.reference !== 'string')
        throw new ProviderError('PROVIDER_UNAVAILABLE', `payment provider answered ${operation} without a reference`, true);
      return { reference: body.reference };
    }
    const error = body?.error as { code?: unknown; message?: unknown; transient?: unknown } | undefined;
    if (response.status >= 500 || typeof error?.code !== 'string') {
      throw new ProviderError('PROVIDER_UNAVAILABLE', `payment provider answered ${operation} with HTTP ${response.status}`, true);
    }
    throw new ProviderError(error.code, typeof error.message === 'string' ? error.message : error.code, error.transient === true);
  }
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
