import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { applyMigrations, ConfigError, migrationsDir, openDatabase, type Database } from '@commerce/kit';
import { createClient, type OrdersDb } from '../src/data/client.js';
import { appendOrderEvent, changeOrder, loadOrder } from '../src/data/order-store.js';
import { keyringFromEnv, parseKeyring } from '../src/domain/encryption.js';
import { fromCents, sum, times, toCents } from '../src/domain/money.js';
import { cancel, confirm, fail, OrderConcurrencyError, OrderDomainError, rehydrate, type RecordedOrderEvent } from '../src/domain/order.js';

const key = () => randomBytes(32).toString('base64');
const placed = (orderId: string): RecordedOrderEvent & { type: 'OrderPlaced' } => ({
  id: '00000000-0000-4000-8000-000000000001',
  orderId,
  version: 1,
  occurredAt: new Date(),
  type: 'OrderPlaced',
  payload: {
    userId: '00000000-0000-4000-8000-0000000000aa',
    lines: [],
    total: { amount: '0.00', currencyCode: 'EUR' },
    paymentMethod: 'pm_card_ok',
    shippingAddress: { keyId: 'k', iv: '', tag: '', ciphertext: '' },
  },
});

describe('orders domain', () => {
  it('validates transitions: cancel only while PENDING, nothing after a terminal state', () => {
    const pending = rehydrate([placed('o1')])!;
    assert.equal(pending.status, 'PENDING');
    assert.equal(cancel(pending, 'u').type, 'OrderCancelled');
    const failed = rehydrate([placed('o1'), { ...placed('o1'), version: 2, type: 'OrderFailed', payload: { reason: 'declined' } }])!;
    assert.equal(failed.status, 'FAILED');
    assert.throws(
      () => cancel(failed, 'u'),
      (error: unknown) => error instanceof OrderDomainError && error.code === 'ORDER_TERMINAL',
    );
    assert.throws(() => confirm(failed), /FAILED and cannot change/);
    const confirmed = rehydrate([placed('o1'), { ...placed('o1'), version: 2, type: 'OrderConfirmed', payload: {} }])!;
    assert.throws(
      () => fail(confirmed, 'late'),
      (error: unknown) => error instanceof OrderDomainError && error.code === 'INVALID_TRANSITION',
    );
  });

  it('adds money in cents', () => {
    assert.equal(times('19.99', 3), '59.97');
    assert.deepEqual(
      sum(
        [
          { amount: '0.10', currencyCode: 'EUR' },
          { amount: '0.20', currencyCode: 'EUR' },
        ],
        'EUR',
      ),
      { amount: '0.30', currencyCode: 'EUR' },
    );
    assert.equal(fromCents(toCents('-1.5')), '-1.50');
  });

  it('encrypts with the first key, decrypts with any key of the ring, and binds the ciphertext to its context', () => {
    const [old, fresh] = [key(), key()];
    const before = parseKeyring(`k1:${old}`);
    const sealed = before.seal('{"city":"Amsterdam"}', 'order-1');
    assert.ok(!JSON.stringify(sealed).includes('Amsterdam'));
    const rotated = parseKeyring(`k2:${fresh},k1:${old}`);
    assert.equal(rotated.open(sealed, 'order-1'), '{"city":"Amsterdam"}');
    assert.equal(rotated.seal('x', 'c').keyId, 'k2');
    assert.throws(() => rotated.open(sealed, 'order-2'));
    assert.throws(() => parseKeyring(`k2:${fresh}`).open(sealed, 'order-1'), /no encryption key "k1"/);
  });

  it('refuses bad ORDERS_ENCRYPTION_KEYS with a one-line ConfigError', () => {
    for (const value of ['k1', `k1:${randomBytes(16).toString('base64')}`, `:${key()}`, `k1:${key()},k1:${key()}`, 'k1:not base64!']) {
      assert.throws(
        () => parseKeyring(value),
        (error: unknown) => error instanceof ConfigError && !error.message.includes('\n'),
        value,
      );
    }
    assert.throws(() => keyringFromEnv({}), /ORDERS_ENCRYPTION_KEYS is required/);
    assert.equal(keyringFromEnv({}, `dev:${key()}`).currentKeyId, 'dev');
  });
});

describe('order event store', () => {
  let database: Database;
  let db: OrdersDb;
  const orderId = '00000000-0000-4000-8000-00000000000f';
  before(async () => {
    database = await openDatabase('memory://');
    await applyMigrations(database, migrationsDir('orders'));
    db = createClient(database);
    const event = placed(orderId);
    await database.query(
      `insert into orders (id, user_id, status, total_amount, currency_code, version, payment_method, shipping_address_key_id,
         shipping_address_encrypted, idempotency_key, request_hash) values ($1, $2, 'PENDING', 0, 'EUR', 1, 'pm_card_ok', 'k', 'a.b.c', 'key-1', 'h')`,
      [orderId, event.payload.userId],
    );
    await database.query(`insert into order_events (id, order_id, version, type, payload) values ($1, $2, 1, 'OrderPlaced', $3)`, [
      event.id,
      orderId,
      JSON.stringify(event.payload),
    ]);
  });
  after(async () => {
    await db?.$disconnect();
    await database?.close();
  });

  it('refuses an append on a stale version (no lost update) and retries commands on fresh state', async () => {
    const stale = (await loadOrder(db, orderId))!;
    await appendOrderEvent(db, stale, { type: 'StockReserved', payload: { reservationIds: ['r1'] } });
    await assert.rejects(appendOrderEvent(db, stale, cancel(stale, 'u')), OrderConcurrencyError);
    const { state } = await changeOrder(db, orderId, (current) => cancel(current, 'u'));
    assert.deepEqual([state.status, state.version, state.stockReserved], ['CANCELLED', 3, true]);
    const rows = await database.query<{ status: string; version: number }>('select status, version from orders where id = $1', [orderId]);
    assert.deepEqual(rows, [{ status: 'CANCELLED', version: 3 }]);
    await assert.rejects(
      changeOrder(db, orderId, (current) => cancel(current, 'u')),
      OrderDomainError,
    );
  });
});
