import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyMigrations, migrationsDir, openScratchDatabase, REPO_ROOT, type Database } from '@commerce/kit';
import {
  createPaymentsClient,
  HttpPaymentProvider,
  paymentServiceOn,
  paymentsConfigFromEnv,
  createProvider,
  ProviderError,
  type AuthorizationRequest,
  type FakeLedger,
  type PaymentProvider,
  type PaymentsDb,
} from '../src/index.js';

/**
 * The fake payment provider as its own process (dist/src/fake-provider.js) behind HttpPaymentProvider: what payments
 * runs against in production mode (PAYMENTS_PROVIDER_URL), so that the provider's ledger outlives payments' restarts.
 */
async function startProviderProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'subgraphs/payments/dist/src/fake-provider.js')], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', PAYMENTS_FAKE_SLOW_MS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`fake provider exited (${code}): ${output}`)));
  });
  return { child, url };
}

describe(`fake payment provider process (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let provider: { child: ChildProcess; url: string };
  let database: { db: Database; drop(): Promise<void> };
  const clients: PaymentsDb[] = [];
  const ledger = async () => (await (await fetch(`${provider.url}/v1/ledger`)).json()) as FakeLedger;

  before(async () => {
    provider = await startProviderProcess();
    database = await openScratchDatabase('payments');
    await applyMigrations(database.db, migrationsDir('payments'));
  });
  after(async () => {
    provider?.child.kill('SIGTERM');
    await Promise.all(clients.map((client) => client.$disconnect()));
    await database?.drop();
  });

  /** A payments process: its own Prisma client and provider adapter, from the environment as main.ts builds them. */
  function startPayments(wrap: (provider: PaymentProvider) => PaymentProvider = (inner) => inner) {
    const config = paymentsConfigFromEnv({ PAYMENTS_PROVIDER_URL: provider.url });
    const client = createPaymentsClient(database.db);
    clients.push(client);
    return paymentServiceOn(client, wrap(createProvider(config)), { maxAttempts: 3, baseDelayMs: 5 });
  }

  it('honours idempotency keys over HTTP: a repeat gets the first answer, a reused key with other parameters is refused', async () => {
    const http = new HttpPaymentProvider({ url: provider.url, timeoutMs: 5000 });
    const key = `${randomUUID()}:authorize`;
    const request = { idempotencyKey: key, amount: '10.00', currency: 'EUR', paymentMethod: 'pm_card_ok' };
    const [first, second] = await Promise.all([http.authorize(request), http.authorize(request)]);
    assert.equal(first.reference, second.reference);
    await assert.rejects(
      http.authorize({ ...request, amount: '11.00' }),
      (error: ProviderError) => error.code === 'IDEMPOTENCY_KEY_REUSED' && !error.transient,
    );
    await assert.rejects(
      http.authorize({ ...request, idempotencyKey: `${randomUUID()}:authorize`, paymentMethod: 'pm_card_declined' }),
      (error: ProviderError) => error.code === 'CARD_DECLINED' && !error.transient,
    );
    const flakyKey = `${randomUUID()}:authorize`;
    await assert.rejects(
      http.authorize({ ...request, idempotencyKey: flakyKey, paymentMethod: 'pm_card_flaky' }),
      (error: ProviderError) => error.code === 'PROVIDER_UNAVAILABLE' && error.transient,
    );
    await http.authorize({ ...request, idempotencyKey: flakyKey, paymentMethod: 'pm_card_flaky' });
    const charges = (await ledger()).charges.filter((charge) => charge.idempotencyKey === key);
    assert.equal(charges.length, 1);
  });

  it('an unreachable provider is a transient failure (retried with the same key), not a final one', async () => {
    const http = new HttpPaymentProvider({ url: 'http://127.0.0.1:1', timeoutMs: 1000 });
    await assert.rejects(
      http.capture({ idempotencyKey: 'x:capture', authorization: 'fake_authorize_x', amount: '1.00', currency: 'EUR' }),
      (error: ProviderError) => error.code === 'PROVIDER_UNAVAILABLE' && error.transient,
    );
  });

  it('payments killed after the provider captured, then restarted: the capture is found under its key, charged once', async () => {
    const orderId = randomUUID();
    // the first payments process: the provider applies the capture, and the process dies before recording the answer
    const crashing = startPayments((inner) => ({
      authorize: (request) => inner.authorize(request),
      capture: async (request: AuthorizationRequest) => {
        await inner.capture(request);
        throw new Error('killed before the answer was recorded');
      },
      void: (request) => inner.void(request),
      refund: (request) => inner.refund(request),
    }));
    const authorized = await crashing.authorizePayment({ orderId, amount: '25.00', currency: 'EUR', paymentMethod: 'pm_card_ok' });
    await assert.rejects(crashing.capturePayment(orderId), /killed before the answer was recorded/);
    // the restarted process: a new adapter and client; the provider still knows the authorization and the key
    const restarted = startPayments();
    const captured = await restarted.capturePayment(orderId);
    assert.equal(captured.status, 'captured');
    const charges = (await ledger()).charges.filter((charge) => charge.idempotencyKey.startsWith(`${authorized.id}:`));
    assert.deepEqual(
      charges.map((charge) => charge.operation),
      ['authorize', 'capture'],
    );
  });

  it('refuses a PAYMENTS_PROVIDER_URL that is not http(s) at start', () => {
    assert.throws(
      () => paymentsConfigFromEnv({ PAYMENTS_PROVIDER_URL: 'redis://127.0.0.1:6379' }),
      /PAYMENTS_PROVIDER_URL must be an http/,
    );
    assert.throws(() => paymentsConfigFromEnv({ PAYMENTS_PROVIDER_URL: 'not a url' }), /PAYMENTS_PROVIDER_URL must be a URL/);
  });
});
