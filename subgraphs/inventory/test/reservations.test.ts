import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { applyMigrations, type Database, migrationsDir, openScratchDatabase } from '@commerce/kit';
import {
  commitReservation,
  createInventoryClient,
  releaseExpired,
  releaseReservation,
  reserveStock,
  type InventoryDb,
} from '../src/index.js';

interface Level {
  warehouse_id: string;
  on_hand: number;
  reserved: number;
}

describe(`stock reservations (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let database: { db: Database; drop(): Promise<void> };
  let client: InventoryDb;
  const warehouses = [randomUUID(), randomUUID()].sort();
  const announced: string[] = [];
  const events = { changed: async (productId: string) => void announced.push(productId) };

  /** A product with the given on_hand per warehouse (set directly in SQL), nothing reserved. */
  async function product(onHand: number[]): Promise<string> {
    const id = randomUUID();
    await database.db.query('INSERT INTO inventory_items (product_id, vendor_id) VALUES ($1, $2)', [id, randomUUID()]);
    for (const [index, quantity] of onHand.entries()) {
      await database.db.query('INSERT INTO stock_levels (product_id, warehouse_id) VALUES ($1, $2)', [id, warehouses[index]]);
      await database.db.query('UPDATE stock_levels SET on_hand = $3 WHERE product_id = $1 AND warehouse_id = $2', [
        id,
        warehouses[index],
        quantity,
      ]);
    }
    return id;
  }
  const levels = (productId: string) =>
    database.db.query<Level>('SELECT warehouse_id::text, on_hand, reserved FROM stock_levels WHERE product_id = $1 ORDER BY warehouse_id', [
      productId,
    ]);
  const totals = async (productId: string) => {
    const rows = await levels(productId);
    return {
      onHand: rows.reduce((sum, row) => sum + row.on_hand, 0),
      reserved: rows.reduce((sum, row) => sum + row.reserved, 0),
    };
  };
  const statuses = async (orderId: string) =>
    (
      await database.db.query<{ status: string }>('SELECT status FROM stock_reservations WHERE order_id = $1 ORDER BY status', [orderId])
    ).map((row) => row.status);

  before(async () => {
    database = await openScratchDatabase('inventory');
    await applyMigrations(database.db, migrationsDir('inventory'));
    for (const [index, id] of warehouses.entries()) {
      await database.db.query('INSERT INTO warehouses (id, code, name, city) VALUES ($1, $2, $3, $4)', [id, `W${index}`, `W${index}`, 'X']);
    }
    client = createInventoryClient(database.db);
  });
  after(async () => {
    await client?.$disconnect();
    await database?.drop();
  });

  it('never oversells: 40 concurrent reservations of 1 for 10 available -> exactly 10 held', async () => {
    const productId = await product([6, 4]);
    announced.length = 0;
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        reserveStock(client, { orderId: randomUUID(), lines: [{ productId, quantity: 1 }], ttlMs: 60_000 }, { events }),
      ),
    );
    const ok = results.filter((result) => result.ok);
    const refused = results.filter((result) => !result.ok);
    assert.equal(ok.length, 10);
    assert.equal(refused.length, 30);
    for (const result of refused) assert.deepEqual(result, { ok: false, reason: 'OUT_OF_STOCK', productId });
    assert.deepEqual(await totals(productId), { onHand: 10, reserved: 10 });
    for (const level of await levels(productId)) assert.ok(level.on_hand - level.reserved >= 0);
    const held = await database.db.query<{ n: number; q: number }>(
      "SELECT count(*)::int AS n, sum(quantity)::int AS q FROM stock_reservations WHERE product_id = $1 AND status = 'held'",
      [productId],
    );
    assert.deepEqual(held[0], { n: 10, q: 10 });
    assert.equal(announced.length, 10, 'one stock change per successful reservation, none for refusals');
  });

  it('reserves all lines or none, splitting a product over warehouses', async () => {
    const plenty = await product([3, 5]);
    const scarce = await product([2]);
    const orderId = randomUUID();
    const refused = await reserveStock(client, {
      orderId,
      lines: [
        { productId: plenty, quantity: 7 },
        { productId: scarce, quantity: 3 },
      ],
      ttlMs: 60_000,
    });
    assert.deepEqual(refused, { ok: false, reason: 'OUT_OF_STOCK', productId: scarce });
    assert.deepEqual(await totals(plenty), { onHand: 8, reserved: 0 });
    assert.deepEqual(await statuses(orderId), []);

    const reserved = await reserveStock(client, {
      orderId,
      lines: [
        { productId: plenty, quantity: 7 },
        { productId: scarce, quantity: 2 },
      ],
      ttlMs: 60_000,
    });
    assert.ok(reserved.ok);
    assert.equal(reserved.reservationIds.length, 3, 'plenty split over two warehouses, scarce from one');
    assert.deepEqual(
      (await levels(plenty)).map((level) => level.reserved),
      [2, 5],
      'largest available first',
    );
    assert.deepEqual(await totals(scarce), { onHand: 2, reserved: 2 });
  });

  it('reserves once per order, even when called twice or concurrently', async () => {
    const productId = await product([5]);
    const orderId = randomUUID();
    const request = { orderId, lines: [{ productId, quantity: 2 }], ttlMs: 60_000 };
    const first = await reserveStock(client, request);
    const second = await reserveStock(client, request);
    assert.ok(first.ok && second.ok);
    assert.deepEqual(second.reservationIds, first.reservationIds);
    assert.equal(second.status, 'held');
    assert.deepEqual(await totals(productId), { onHand: 5, reserved: 2 });

    const other = randomUUID();
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => reserveStock(client, { ...request, orderId: other })));
    const ids = new Set(concurrent.flatMap((result) => (result.ok ? result.reservationIds : [])));
    assert.equal(ids.size, 1);
    assert.deepEqual(await totals(productId), { onHand: 5, reserved: 4 });
  });

  it('releases once: reserved goes back, a second release changes nothing', async () => {
    const productId = await product([4]);
    const orderId = randomUUID();
    assert.ok((await reserveStock(client, { orderId, lines: [{ productId, quantity: 3 }], ttlMs: 60_000 })).ok);
    announced.length = 0;
    assert.deepEqual(await releaseReservation(client, orderId, { events }), { released: 1 });
    assert.deepEqual(await totals(productId), { onHand: 4, reserved: 0 });
    assert.deepEqual(await releaseReservation(client, orderId, { events }), { released: 0 });
    assert.deepEqual(await totals(productId), { onHand: 4, reserved: 0 });
    assert.deepEqual(announced, [productId]);
    assert.deepEqual(await statuses(orderId), ['released']);
    assert.deepEqual(await commitReservation(client, orderId), { ok: false, reason: 'RELEASED' });
    const again = await reserveStock(client, { orderId, lines: [{ productId, quantity: 3 }], ttlMs: 60_000 });
    assert.ok(again.ok);
    assert.equal(again.status, 'released', 'a repeated reserve reports the existing (released) reservation');
    assert.deepEqual(await totals(productId), { onHand: 4, reserved: 0 });
  });

  it('commits once: on_hand and reserved drop, recorded in the ledger', async () => {
    const productId = await product([2, 3]);
    const orderId = randomUUID();
    assert.ok((await reserveStock(client, { orderId, lines: [{ productId, quantity: 4 }], ttlMs: 60_000 })).ok);
    const [first, second] = await Promise.all([commitReservation(client, orderId), commitReservation(client, orderId)]);
    assert.deepEqual([first, second].map((result) => (result.ok ? result.committed : -1)).sort(), [0, 2]);
    assert.deepEqual(await commitReservation(client, orderId), { ok: true, committed: 0 });
    assert.deepEqual(await totals(productId), { onHand: 1, reserved: 0 });
    const ledger = await database.db.query<{ q: number }>('SELECT sum(delta)::int AS q FROM stock_movements WHERE product_id = $1', [
      productId,
    ]);
    assert.equal(ledger[0]!.q, -4);
    assert.deepEqual(await releaseReservation(client, orderId), { released: 0 });
    assert.deepEqual(await totals(productId), { onHand: 1, reserved: 0 });
    assert.deepEqual(await statuses(orderId), ['committed', 'committed']);
    assert.deepEqual(await commitReservation(client, randomUUID()), { ok: false, reason: 'NOT_FOUND' });
  });

  it('releases only expired held reservations, each once under concurrent sweepers', async () => {
    const productId = await product([50]);
    const reserve = async (ttlMs: number) => {
      const orderId = randomUUID();
      const result = await reserveStock(client, { orderId, lines: [{ productId, quantity: 1 }], ttlMs });
      assert.ok(result.ok);
      return { orderId, ids: result.reservationIds };
    };
    const expired = await Promise.all(Array.from({ length: 12 }, () => reserve(1_000)));
    const live = await Promise.all(Array.from({ length: 3 }, () => reserve(3_600_000)));
    const committed = await reserve(1_000);
    assert.ok((await commitReservation(client, committed.orderId)).ok);
    assert.deepEqual(await totals(productId), { onHand: 49, reserved: 15 });

    const ofProduct = async (ids: string[]) =>
      (
        await database.db.query<{ id: string }>('SELECT id::text FROM stock_reservations WHERE id = ANY($1::uuid[]) AND product_id = $2', [
          ids,
          productId,
        ])
      ).map((row) => row.id);
    const now = new Date(Date.now() + 60_000);
    const [a, b] = await Promise.all([releaseExpired(client, now, { limit: 5 }), releaseExpired(client, now, { limit: 5 })]);
    const rest = await releaseExpired(client, now);
    const all = [...a.released, ...b.released, ...rest.released];
    assert.equal(new Set(all).size, all.length, 'no reservation released twice');
    const released = await ofProduct(all); // earlier tests' reservations expire too
    assert.deepEqual(released.sort(), expired.flatMap((entry) => entry.ids).sort());
    assert.deepEqual(await totals(productId), { onHand: 49, reserved: 3 });
    for (const entry of live) assert.deepEqual(await statuses(entry.orderId), ['held']);
    assert.deepEqual(await statuses(committed.orderId), ['committed']);
    assert.deepEqual((await releaseExpired(client, now)).released, []);

    const sweeps = await Promise.all([
      releaseExpired(client, new Date(Date.now() + 7_200_000)),
      releaseExpired(client, new Date(Date.now() + 7_200_000)),
    ]);
    const swept = [...sweeps[0].released, ...sweeps[1].released];
    assert.equal(new Set(swept).size, swept.length, 'no reservation released twice');
    assert.deepEqual((await ofProduct(swept)).sort(), live.flatMap((entry) => entry.ids).sort());
    assert.deepEqual(await totals(productId), { onHand: 49, reserved: 0 });
  });

  it('keeps the check constraint as the last line: reserved can never exceed on_hand', async () => {
    const productId = await product([1]);
    await assert.rejects(
      database.db.query('UPDATE stock_levels SET reserved = on_hand + 1 WHERE product_id = $1', [productId]),
      /stock_levels_reserved_check/,
    );
    await assert.rejects(
      database.db.query(
        'INSERT INTO stock_reservations (id, order_id, product_id, warehouse_id, quantity, expires_at) VALUES ($1, $2, $3, $4, 0, now())',
        [randomUUID(), randomUUID(), productId, warehouses[0]],
      ),
      /stock_reservations_quantity_check/,
    );
  });
});
