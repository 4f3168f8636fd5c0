import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { checkoutMessage, type EventHandler, type EventSubscription } from '@commerce/events';
import { applyMigrations, createLogger, type Database, migrationsDir, openScratchDatabase } from '@commerce/kit';
import {
  createPaymentsClient,
  FakePaymentProvider,
  normalizeAmount,
  paymentServiceOn,
  PaymentError,
  planTransition,
  ProviderError,
  type AuthorizationRequest,
  type AuthorizeRequest,
  type PaymentIntentRecord,
  type PaymentProvider,
  type PaymentsDb,
  type ProviderResult,
} from '../src/index.js';
import { startPaymentCommands } from '../src/saga/payment-commands.js';

const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 5 };
const SLOW_MS = 300;

/** A provider that is down for its first `failures` requests (transient), then passes on to the fake. */
class OutageProvider implements PaymentProvider {
  requests = 0;
  constructor(
    readonly inner: FakePaymentProvider,
    public failures: number,
  ) {}
  private async gate<T>(call: () => Promise<T>): Promise<T> {
    this.requests += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new ProviderError('PROVIDER_UNAVAILABLE', 'down', true);
    }
    return call();
  }
  authorize = (request: AuthorizeRequest): Promise<ProviderResult> => this.gate(() => this.inner.authorize(request));
  capture = (request: AuthorizationRequest): Promise<ProviderResult> => this.gate(() => this.inner.capture(request));
  void = (request: AuthorizationRequest): Promise<ProviderResult> => this.gate(() => this.inner.void(request));
  refund = (request: AuthorizationRequest): Promise<ProviderResult> => this.gate(() => this.inner.refund(request));
}

describe('payment intent rules', () => {
  it('plans each operation from each status: go, already done, or refused', () => {
    assert.deepEqual(planTransition('requires_authorization', 'authorize'), { kind: 'go', to: 'authorized' });
    assert.deepEqual(planTransition('authorized', 'capture'), { kind: 'go', to: 'captured' });
    assert.deepEqual(planTransition('authorized', 'void'), { kind: 'go', to: 'voided' });
    assert.deepEqual(planTransition('captured', 'refund'), { kind: 'go', to: 'refunded' });
    for (const status of ['authorized', 'captured', 'voided', 'refunded', 'failed'] as const) {
      assert.deepEqual(planTransition(status, 'authorize'), { kind: 'done' });
    }
    assert.deepEqual(planTransition('captured', 'capture'), { kind: 'done' });
    assert.deepEqual(planTransition('voided', 'void'), { kind: 'done' });
    assert.deepEqual(planTransition('failed', 'void'), { kind: 'done' }, 'a declined card has nothing to void');
    assert.deepEqual(planTransition('refunded', 'refund'), { kind: 'done' });
    const refused: [Parameters<typeof planTransition>[0], Parameters<typeof planTransition>[1], RegExp][] = [
      ['captured', 'void', /Cannot void a payment that is captured/],
      ['voided', 'capture', /Cannot capture a payment that is voided/],
      ['failed', 'capture', /Cannot capture a payment that is failed/],
      ['requires_authorization', 'capture', /not authorized yet/],
      ['authorized', 'refund', /Cannot refund a payment that is authorized/],
      ['refunded', 'void', /Cannot void/],
    ];
    for (const [status, operation, message] of refused) {
      assert.throws(
        () => planTransition(status, operation),
        (error: unknown) => error instanceof PaymentError && error.code === 'ILLEGAL_TRANSITION' && message.test(error.message),
      );
    }
  });

  it('normalises decimal amounts without floats and refuses anything else', () => {
    assert.equal(normalizeAmount('5'), '5.00');
    assert.equal(normalizeAmount('19.9'), '19.90');
    assert.equal(normalizeAmount('0019.99'), '19.99');
    assert.equal(normalizeAmount('9999999999.99'), '9999999999.99');
    for (const bad of ['1.234', '-1', '1e3', '', '.5', 'abc', '12345678901']) assert.equal(normalizeAmount(bad), undefined, bad);
  });
});

describe('fake payment provider', () => {
  it('answers a repeated idempotency key with the first answer and charges once', async () => {
    const provider = new FakePaymentProvider({ slowDelayMs: 0 });
    const request = { idempotencyKey: 'k1:authorize', amount: '10.00', currency: 'EUR', paymentMethod: 'pm_card_ok' };
    const [first, second] = await Promise.all([provider.authorize(request), provider.authorize(request)]);
    const third = await provider.authorize(request);
    assert.equal(first.reference, second.reference);
    assert.equal(first.reference, third.reference);
    assert.equal(provider.backend.charges.length, 1);
    assert.equal(provider.backend.requests.length, 3);
    await assert.rejects(
      provider.authorize({ ...request, amount: '11.00' }),
      (error: ProviderError) => error.code === 'IDEMPOTENCY_KEY_REUSED',
    );
    assert.equal(provider.backend.charges.length, 1);
  });

  it('declines pm_card_declined, fails pm_card_flaky once per key, and refuses unknown methods', async () => {
    const provider = new FakePaymentProvider({ slowDelayMs: 0 });
    const base = { amount: '10.00', currency: 'EUR' };
    await assert.rejects(
      provider.authorize({ ...base, idempotencyKey: 'd:authorize', paymentMethod: 'pm_card_declined' }),
      (error: ProviderError) => error.code === 'CARD_DECLINED' && !error.transient,
    );
    await assert.rejects(
      provider.authorize({ ...base, idempotencyKey: 'f:authorize', paymentMethod: 'pm_card_flaky' }),
      (error: ProviderError) => error.code === 'PROVIDER_UNAVAILABLE' && error.transient,
    );
    const flaky = await provider.authorize({ ...base, idempotencyKey: 'f:authorize', paymentMethod: 'pm_card_flaky' });
    await assert.rejects(
      provider.authorize({ ...base, idempotencyKey: 'u:authorize', paymentMethod: 'pm_card_gold' }),
      (error: ProviderError) => error.code === 'INVALID_PAYMENT_METHOD',
    );
    assert.deepEqual(
      provider.backend.charges.map((charge) => charge.reference),
      [flaky.reference],
    );
  });
});

describe(`payment service (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let database: { db: Database; drop(): Promise<void> };
  let client: PaymentsDb;
  before(async () => {
    database = await openScratchDatabase('payments');
    await applyMigrations(database.db, migrationsDir('payments'));
    client = createPaymentsClient(database.db);
  });
  after(async () => {
    await client?.$disconnect();
    await database?.drop();
  });

  function setUp(options: { slowDelayMs?: number; provider?: (fake: FakePaymentProvider) => PaymentProvider } = {}) {
    const fake = new FakePaymentProvider({ slowDelayMs: options.slowDelayMs ?? SLOW_MS });
    // a fresh provider ledger per test, one Prisma client for all
    const service = paymentServiceOn(client, options.provider?.(fake) ?? fake, FAST_RETRY);
    return { service, backend: fake.backend };
  }
  const order = (paymentMethod = 'pm_card_ok', amount = '49.90') => ({ orderId: randomUUID(), amount, currency: 'EUR', paymentMethod });
  const rowsOf = (orderId: string) =>
    database.db.query<{ status: string; version: number; failure_reason: string | null; amount: string }>(
      'select status, version, failure_reason, amount::text as amount from payment_intents where order_id = $1',
      [orderId],
    );
  const callsOf = (intentId: string) =>
    database.db.query<{ operation: string; idempotency_key: string; status: string; attempts: number }>(
      'select operation, idempotency_key, status, attempts from provider_calls where intent_id = $1 order by created_at',
      [intentId],
    );
  const refusedWith = (code: string, message?: RegExp) => (error: unknown) =>
    error instanceof PaymentError && error.code === code && (!message || message.test(error.message));
  const unchanged = async (intent: PaymentIntentRecord) => {
    const [row] = await rowsOf(intent.orderId);
    assert.equal(row!.status, intent.status);
    assert.equal(row!.version, intent.version);
  };

  it('authorizes and captures pm_card_ok, each call under its own idempotency key', async () => {
    const { service, backend } = setUp();
    const input = order('pm_card_ok', '49.9');
    const authorized = await service.authorizePayment(input);
    assert.equal(authorized.status, 'authorized');
    assert.equal(authorized.amount, '49.90');
    assert.equal(authorized.currency, 'EUR');
    assert.equal(authorized.paymentMethod, 'pm_card_ok');
    assert.equal(authorized.failureReason, null);
    assert.match(authorized.providerReference ?? '', /^fake_authorize_/);
    const captured = await service.capturePayment(input.orderId);
    assert.equal(captured.status, 'captured');
    assert.equal(captured.id, authorized.id);
    assert.deepEqual(
      backend.chargesOf(authorized.id).map((charge) => [charge.operation, charge.idempotencyKey, charge.amount, charge.currency]),
      [
        ['authorize', `${authorized.id}:authorize`, '49.90', 'EUR'],
        ['capture', `${authorized.id}:capture`, '49.90', 'EUR'],
      ],
    );
    assert.deepEqual(await callsOf(authorized.id), [
      { operation: 'authorize', idempotency_key: `${authorized.id}:authorize`, status: 'succeeded', attempts: 1 },
      { operation: 'capture', idempotency_key: `${authorized.id}:capture`, status: 'succeeded', attempts: 1 },
    ]);
    assert.deepEqual(await rowsOf(input.orderId), [{ status: 'captured', version: 2, failure_reason: null, amount: '49.90' }]);
  });

  it('fails a declined card with CARD_DECLINED, charges nothing, and refuses to capture it', async () => {
    const { service, backend } = setUp();
    const input = order('pm_card_declined');
    const failed = await service.authorizePayment(input);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failureReason, 'CARD_DECLINED');
    assert.equal(failed.providerReference, null);
    assert.deepEqual(backend.chargesOf(failed.id), []);
    assert.deepEqual(
      (await callsOf(failed.id)).map((call) => call.status),
      ['failed'],
    );
    // a repeat answers with the same failed intent, without asking the provider again
    const again = await service.authorizePayment(input);
    assert.deepEqual(again, failed);
    assert.equal(backend.requestsOf(failed.id).length, 1);
    for (const operation of ['capturePayment', 'refundPayment'] as const) {
      await assert.rejects(service[operation](input.orderId), refusedWith('ILLEGAL_TRANSITION', /failed/));
    }
    // voiding it (the saga's compensation) is a no-op that answers with the failed intent
    assert.deepEqual(await service.voidPayment(input.orderId), failed);
    await unchanged(failed);
    assert.equal(backend.requestsOf(failed.id).length, 1, 'the provider is not asked to void');
    assert.deepEqual(backend.chargesOf(failed.id), []);
  });

  it("answers the saga's void of a declined payment as a no-op: voided reply, no warning logged", async () => {
    const { service, backend } = setUp();
    const input = order('pm_card_declined');
    const failed = await service.authorizePayment(input);
    const logged: { level: string; msg: string }[] = [];
    const logger = createLogger('payments', 'warn', {
      write: (line: string) => void logged.push(JSON.parse(line) as { level: string; msg: string }),
    });
    let handle!: EventHandler;
    const events = {
      subscribe: (options: { handler: EventHandler }) => {
        handle = options.handler;
        return {} as EventSubscription; // the test delivers by hand: nothing reads a stream
      },
      nudge: () => undefined,
    };
    startPaymentCommands({ db: client, events, payments: service, logger });
    const command = checkoutMessage('payments.void-payment', { orderId: input.orderId });
    await handle(command, { stream: 'payments.commands', messageId: '1-0', group: 'payments', consumer: 'test', attempt: 1 });
    assert.deepEqual(logged, []);
    const replies = await database.db.query<{ type: string }>(
      "select envelope->>'type' as type from outbox_events where envelope->'payload'->>'orderId' = $1",
      [input.orderId],
    );
    assert.deepEqual(replies, [{ type: 'payments.payment-voided' }]);
    await unchanged(failed);
    assert.equal(backend.requestsOf(failed.id).length, 1, 'the provider is not asked to void');
  });

  it('authorizes pm_card_flaky after a retry with the same key, charging once', async () => {
    const { service, backend } = setUp();
    const input = order('pm_card_flaky');
    const authorized = await service.authorizePayment(input);
    assert.equal(authorized.status, 'authorized');
    assert.deepEqual(
      backend.requestsOf(authorized.id).map((request) => [request.idempotencyKey, request.attempt]),
      [
        [`${authorized.id}:authorize`, 1],
        [`${authorized.id}:authorize`, 2],
      ],
    );
    assert.equal(backend.chargesOf(authorized.id).length, 1);
    assert.deepEqual(
      (await callsOf(authorized.id)).map((call) => [call.status, call.attempts]),
      [['succeeded', 2]],
    );
    const captured = await service.capturePayment(input.orderId);
    assert.equal(captured.status, 'captured');
    assert.deepEqual(
      backend.chargesOf(authorized.id).map((charge) => charge.operation),
      ['authorize', 'capture'],
    );
  });

  it('creates one intent and one charge when the same authorize comes twice, and five times at once', async () => {
    const { service, backend } = setUp();
    const input = order();
    const first = await service.authorizePayment(input);
    const second = await service.authorizePayment({ ...input, amount: '49.90' });
    assert.deepEqual(second, first);

    const concurrent = order('pm_card_slow');
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => service.authorizePayment(concurrent)));
    assert.equal(new Set(results.map((intent) => intent.id)).size, 1);
    assert.ok(results.every((intent) => intent.status === 'authorized'));
    assert.equal((await rowsOf(concurrent.orderId)).length, 1);
    for (const intent of [first, results[0]!]) {
      assert.deepEqual(
        backend.chargesOf(intent.id).map((charge) => charge.operation),
        ['authorize'],
      );
      assert.ok(backend.requestsOf(intent.id).every((request) => request.idempotencyKey === `${intent.id}:authorize`));
    }
    assert.equal((await callsOf(results[0]!.id)).length, 1);
  });

  it('refuses an authorize for the same order with another amount or method, changing nothing', async () => {
    const { service, backend } = setUp();
    const input = order();
    const intent = await service.authorizePayment(input);
    await assert.rejects(service.authorizePayment({ ...input, amount: '1.00' }), refusedWith('PAYMENT_MISMATCH'));
    await assert.rejects(service.authorizePayment({ ...input, paymentMethod: 'pm_card_flaky' }), refusedWith('PAYMENT_MISMATCH'));
    await unchanged(intent);
    assert.equal(backend.chargesOf(intent.id).length, 1);
  });

  it('refuses invalid input before storing anything or calling the provider', async () => {
    const { service, backend } = setUp();
    const cases: [Record<string, string>, string][] = [
      [{ amount: '0' }, 'INVALID_AMOUNT'],
      [{ amount: '-5.00' }, 'INVALID_AMOUNT'],
      [{ amount: '10.005' }, 'INVALID_AMOUNT'],
      [{ amount: '1e3' }, 'INVALID_AMOUNT'],
      [{ currency: 'eur' }, 'INVALID_CURRENCY'],
      [{ currency: 'EURO' }, 'INVALID_CURRENCY'],
      [{ paymentMethod: '4242424242424242' }, 'INVALID_PAYMENT_METHOD'],
      [{ paymentMethod: 'pm_4242424242424242' }, 'INVALID_PAYMENT_METHOD'],
      [{ orderId: 'order-1' }, 'INVALID_ORDER_ID'],
    ];
    for (const [change, code] of cases) {
      const input = { ...order(), ...change };
      await assert.rejects(service.authorizePayment(input), refusedWith(code), JSON.stringify(change));
      if (change.orderId === undefined) assert.deepEqual(await rowsOf(input.orderId), []);
    }
    assert.equal(backend.requests.length, 0);
    const unknown = randomUUID();
    for (const operation of ['capturePayment', 'voidPayment', 'refundPayment'] as const) {
      await assert.rejects(service[operation](unknown), refusedWith('PAYMENT_NOT_FOUND'));
      await assert.rejects(service[operation]('not-a-uuid'), refusedWith('PAYMENT_NOT_FOUND'));
    }
    assert.equal(await service.getPayment('not-a-uuid'), null);
  });

  it('captures once when capture comes twice, and twice at once', async () => {
    const { service, backend } = setUp();
    const input = order();
    const intent = await service.authorizePayment(input);
    const [a, b] = await Promise.all([service.capturePayment(input.orderId), service.capturePayment(input.orderId)]);
    const c = await service.capturePayment(input.orderId);
    for (const captured of [a, b, c]) assert.equal(captured.status, 'captured');
    assert.deepEqual(b, a);
    assert.deepEqual(c, a);
    assert.deepEqual(
      backend.chargesOf(intent.id).map((charge) => charge.operation),
      ['authorize', 'capture'],
    );
    assert.equal((await rowsOf(input.orderId))[0]!.version, 2);
  });

  it('refuses to void a captured payment and changes nothing', async () => {
    const { service, backend } = setUp();
    const input = order();
    await service.authorizePayment(input);
    const captured = await service.capturePayment(input.orderId);
    await assert.rejects(service.voidPayment(input.orderId), refusedWith('ILLEGAL_TRANSITION', /Cannot void a payment that is captured/));
    await unchanged(captured);
    assert.deepEqual(
      backend.chargesOf(captured.id).map((charge) => charge.operation),
      ['authorize', 'capture'],
    );
    assert.equal(backend.requestsOf(captured.id).filter((request) => request.operation === 'void').length, 0);
  });

  it('refunds a captured payment once, and refuses a refund before capture', async () => {
    const { service, backend } = setUp();
    const input = order();
    const authorized = await service.authorizePayment(input);
    await assert.rejects(
      service.refundPayment(input.orderId),
      refusedWith('ILLEGAL_TRANSITION', /Cannot refund a payment that is authorized/),
    );
    await unchanged(authorized);
    await service.capturePayment(input.orderId);
    const refunded = await service.refundPayment(input.orderId);
    assert.equal(refunded.status, 'refunded');
    assert.deepEqual(await service.refundPayment(input.orderId), refunded);
    assert.equal((await service.capturePayment(input.orderId)).status, 'refunded'); // capture took effect long ago
    assert.deepEqual(
      backend.chargesOf(refunded.id).map((charge) => [charge.operation, charge.amount]),
      [
        ['authorize', '49.90'],
        ['capture', '49.90'],
        ['refund', '49.90'],
      ],
    );
  });

  it('voids an authorized payment and then refuses to capture it', async () => {
    const { service, backend } = setUp();
    const input = order();
    await service.authorizePayment(input);
    const voided = await service.voidPayment(input.orderId);
    assert.equal(voided.status, 'voided');
    assert.deepEqual(await service.voidPayment(input.orderId), voided);
    await assert.rejects(service.capturePayment(input.orderId), refusedWith('ILLEGAL_TRANSITION', /voided/));
    await unchanged(voided);
    assert.deepEqual(
      backend.chargesOf(voided.id).map((charge) => charge.operation),
      ['authorize', 'void'],
    );
  });

  it('lets exactly one of a concurrent capture and void win', async () => {
    const { service, backend } = setUp();
    const input = order();
    const intent = await service.authorizePayment(input);
    const outcomes = await Promise.allSettled([service.capturePayment(input.orderId), service.voidPayment(input.orderId)]);
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    assert.equal(won.length, 1, JSON.stringify(outcomes));
    const [row] = await rowsOf(input.orderId);
    assert.equal(row!.status, (won[0] as PromiseFulfilledResult<PaymentIntentRecord>).value.status);
    assert.equal(backend.chargesOf(intent.id).length, 2);
  });

  it('completes pm_card_slow after the delay', async () => {
    const { service } = setUp({ slowDelayMs: SLOW_MS });
    const input = order('pm_card_slow');
    const started = performance.now();
    const authorized = await service.authorizePayment(input);
    assert.equal(authorized.status, 'authorized');
    assert.ok(performance.now() - started >= SLOW_MS - 5, 'answered after the delay');
    assert.equal((await service.capturePayment(input.orderId)).status, 'captured');
  });

  it('gives up after the bounded retries: authorize fails with PROVIDER_UNAVAILABLE, capture leaves the intent authorized', async () => {
    const down = setUp({ provider: (fake) => new OutageProvider(fake, 100) });
    const input = order();
    const failed = await down.service.authorizePayment(input);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failureReason, 'PROVIDER_UNAVAILABLE');
    assert.deepEqual(
      (await callsOf(failed.id)).map((call) => [call.status, call.attempts]),
      [['pending', FAST_RETRY.maxAttempts]],
    );

    let outage!: OutageProvider;
    const flaky = setUp({ provider: (fake) => (outage = new OutageProvider(fake, 0)) });
    const other = order();
    const authorized = await flaky.service.authorizePayment(other);
    outage.failures = 3;
    await assert.rejects(flaky.service.capturePayment(other.orderId), refusedWith('PROVIDER_UNAVAILABLE'));
    await unchanged(authorized);
    // the saga retries later: same key, captured once
    assert.equal((await flaky.service.capturePayment(other.orderId)).status, 'captured');
    assert.deepEqual(
      flaky.backend.chargesOf(authorized.id).map((charge) => charge.operation),
      ['authorize', 'capture'],
    );
    assert.deepEqual(
      (await callsOf(authorized.id)).map((call) => [call.operation, call.attempts]),
      [
        ['authorize', 1],
        ['capture', 4],
      ],
    );
  });

  it('keeps card numbers and bad states out of the table, whatever the code does', async () => {
    const insert = (method: string, status = 'requires_authorization', amount = '1.00') =>
      database.db.query(
        'insert into payment_intents (id, order_id, amount, currency, status, payment_method, provider_reference) values ($1, $2, $3, $4, $5, $6, $7)',
        [randomUUID(), randomUUID(), amount, 'EUR', status, method, 'fake_ref'],
      );
    await assert.rejects(insert('4242424242424242'), /payment_intents_payment_method_check/);
    await assert.rejects(insert('pm_4242424242424242'), /payment_intents_payment_method_check/);
    await assert.rejects(insert('pm_card_ok', 'paid'), /payment_intents_status_check/);
    await assert.rejects(insert('pm_card_ok', 'failed'), /payment_intents_failure_reason_check/);
    await assert.rejects(insert('pm_card_ok', 'requires_authorization', '-1.00'), /payment_intents_amount_check/);
    await assert.rejects(
      database.db.query(
        'insert into payment_intents (id, order_id, amount, currency, status, payment_method) values ($1, $2, 1, $3, $4, $5)',
        [randomUUID(), randomUUID(), 'EUR', 'captured', 'pm_card_ok'],
      ),
      /payment_intents_provider_reference_check/,
    );
  });
});
