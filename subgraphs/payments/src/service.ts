import { ConfigError, readChoice, readInteger, readOptional, readUrl, type Database } from '@commerce/kit';
import { createClient, type PaymentsDb } from './data/client.js';
import { createPaymentStore } from './data/payment-store.js';
import { createPaymentService, type PaymentService } from './domain/payment-service.js';
import { DEFAULT_RETRY, type PaymentProvider, type RetryPolicy } from './domain/provider.js';
import { DEFAULT_SLOW_DELAY_MS, FakePaymentBackend, FakePaymentProvider } from './providers/fake.js';
import { DEFAULT_PROVIDER_TIMEOUT_MS, HttpPaymentProvider } from './providers/http.js';

export interface PaymentsConfig {
  provider: 'fake';
  /** Set: the provider is a remote process at this URL (the fake provider's server); unset: the fake in this process. */
  providerUrl?: string;
  providerTimeoutMs: number;
  fakeSlowDelayMs: number;
  retry: RetryPolicy;
}

/** Payments' configuration, validated at start (a bad value stops the process with a clear message). */
export function paymentsConfigFromEnv(env: Record<string, string | undefined> = process.env): PaymentsConfig {
  const providerUrl = readOptional(env, 'PAYMENTS_PROVIDER_URL') === undefined ? undefined : readUrl(env, 'PAYMENTS_PROVIDER_URL');
  if (providerUrl !== undefined && !/^https?:$/.test(new URL(providerUrl).protocol))
    throw new ConfigError('PAYMENTS_PROVIDER_URL must be an http:// or https:// URL');
  return {
    provider: readChoice(env, 'PAYMENTS_PROVIDER', ['fake'] as const, 'fake'),
    providerUrl,
    providerTimeoutMs: readInteger(env, 'PAYMENTS_PROVIDER_TIMEOUT_MS', DEFAULT_PROVIDER_TIMEOUT_MS, 100, 120_000),
    fakeSlowDelayMs: readInteger(env, 'PAYMENTS_FAKE_SLOW_MS', DEFAULT_SLOW_DELAY_MS, 0, 600_000),
    retry: {
      maxAttempts: readInteger(env, 'PAYMENTS_PROVIDER_MAX_ATTEMPTS', DEFAULT_RETRY.maxAttempts, 1, 10),
      baseDelayMs: readInteger(env, 'PAYMENTS_PROVIDER_RETRY_BASE_MS', DEFAULT_RETRY.baseDelayMs, 0, 60_000),
    },
  };
}

let sharedBackend: FakePaymentBackend | undefined;

/**
 * The fake provider's "remote" ledger, one per process (as the real provider is one for everybody), so that
 * every service instance in this process, and the tests, see the same authorizations and charges.
 */
export function sharedFakePaymentBackend(slowDelayMs = DEFAULT_SLOW_DELAY_MS): FakePaymentBackend {
  sharedBackend ??= new FakePaymentBackend({ slowDelayMs });
  return sharedBackend;
}

export function createProvider(config: PaymentsConfig): PaymentProvider {
  if (config.providerUrl) return new HttpPaymentProvider({ url: config.providerUrl, timeoutMs: config.providerTimeoutMs });
  return new FakePaymentProvider({ backend: sharedFakePaymentBackend(config.fakeSlowDelayMs) });
}

export function paymentServiceOn(db: PaymentsDb, provider: PaymentProvider, retry?: Partial<RetryPolicy>): PaymentService {
  return createPaymentService(createPaymentStore(db), provider, { retry });
}

/**
 * The payment service on one payments database, for code outside the subgraph's HTTP server (the checkout
 * saga's command handlers, tests). `close` releases its Prisma client, not the database.
 */
export function openPaymentService(
  database: Database,
  options: { provider: PaymentProvider; retry?: Partial<RetryPolicy> },
): PaymentService & { close(): Promise<void> } {
  const db = createClient(database);
  return { ...paymentServiceOn(db, options.provider, options.retry), close: () => db.$disconnect() };
}
