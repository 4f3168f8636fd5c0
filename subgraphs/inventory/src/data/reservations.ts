import { randomUUID } from 'node:crypto';
import {
  allocate,
  normalizeLines,
  overallStatus,
  type ReservationStatus,
  type ReserveStockInput,
  type ReserveStockResult,
} from '../domain/reservation.js';
import type { InventoryDb } from './client.js';

/**
 * Stock reservations for the checkout saga. Every change runs in one transaction; stock_levels rows are locked
 * (FOR UPDATE, in product then warehouse order, so concurrent callers never deadlock) and changed with
 * conditional updates, and the check constraint `reserved <= on_hand` is the last line against overselling.
 * After the commit each changed product is announced through `events.changed` (the stock events of
 * data/stock-events.ts), never for a refused or repeated call.
 */
export interface ReservationOptions {
  events?: { changed(productId: string): Promise<void> };
}

/** Long enough for a burst of checkouts queueing for the same rows or for a pool connection. */
const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 15_000 };

interface ReservationRow {
  id: string;
  orderId: string;
  productId: string;
  warehouseId: string;
  quantity: number;
  status: ReservationStatus;
}

export type InventoryTx = Parameters<Parameters<InventoryDb['$transaction']>[0]>[0];
type Tx = InventoryTx;

async function announce(options: ReservationOptions | undefined, productIds: Iterable<string>): Promise<void> {
  if (!options?.events) return;
  for (const productId of new Set(productIds)) await options.events.changed(productId);
}

/**
 * Reserves every line or none: `OUT_OF_STOCK` with the first product that cannot be covered (nothing is held
 * then). A product may be split over several warehouses. Idempotent per order: when the order already has
 * reservation rows, they are returned (with their status) and nothing changes.
 */
export async function reserveStock(db: InventoryDb, input: ReserveStockInput, options?: ReservationOptions): Promise<ReserveStockResult> {
  const outcome = await db.$transaction((tx) => reserveStockIn(tx, input), TRANSACTION_OPTIONS);
  await announce(options, outcome.changed);
  return outcome.result;
}

/**
 * `reserveStock` inside the caller's transaction (the saga's command handler records the reply in it). Every
 * stock row of the order's products is locked and checked before anything is written, so a refusal writes nothing
 * and the transaction stays usable. `changed`: the products to announce after the commit.
 */
export async function reserveStockIn(tx: Tx, input: ReserveStockInput): Promise<{ result: ReserveStockResult; changed: string[] }> {
  const lines = normalizeLines(input);
  const expiresAt = new Date(Date.now() + input.ttlMs).toISOString();
  // Serializes concurrent calls for the same order, so a retry never reserves twice.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('stock_reservation:' || ${input.orderId}))`;
  const existing = await tx.$queryRaw<{ id: string; status: ReservationStatus }[]>`
    SELECT id::text AS id, status FROM stock_reservations
    WHERE order_id = ${input.orderId}::uuid ORDER BY product_id, warehouse_id`;
  if (existing.length > 0) {
    const result: ReserveStockResult = {
      ok: true,
      reservationIds: existing.map((row) => row.id),
      status: overallStatus(existing.map((row) => row.status)),
    };
    return { result, changed: [] };
  }
  const plan: { productId: string; picks: { warehouseId: string; quantity: number }[] }[] = [];
  for (const line of lines) {
    const levels = await tx.$queryRaw<{ warehouseId: string; available: number }[]>`
      SELECT warehouse_id::text AS "warehouseId", on_hand - reserved AS available FROM stock_levels
      WHERE product_id = ${line.productId}::uuid ORDER BY warehouse_id FOR UPDATE`;
    const picks = allocate(line.quantity, levels);
    if (!picks) return { result: { ok: false, reason: 'OUT_OF_STOCK', productId: line.productId }, changed: [] };
    plan.push({ productId: line.productId, picks });
  }
  const reservationIds: string[] = [];
  for (const { productId, picks } of plan) {
    for (const pick of picks) {
      // The rows are locked and were checked: a refusal here is a bug, and the CHECK constraint the last line.
      const updated = await tx.$executeRaw`
        UPDATE stock_levels SET reserved = reserved + ${pick.quantity}::int, updated_at = now()
        WHERE product_id = ${productId}::uuid AND warehouse_id = ${pick.warehouseId}::uuid
          AND on_hand - reserved >= ${pick.quantity}::int`;
      if (updated !== 1) throw new Error(`stock of ${productId} changed under a lock`);
      const id = randomUUID();
      await tx.$executeRaw`
        INSERT INTO stock_reservations (id, order_id, product_id, warehouse_id, quantity, status, expires_at)
        VALUES (${id}::uuid, ${input.orderId}::uuid, ${productId}::uuid, ${pick.warehouseId}::uuid,
                ${pick.quantity}::int, 'held', ${expiresAt}::timestamptz)`;
      reservationIds.push(id);
    }
  }
  return { result: { ok: true, reservationIds, status: 'held' }, changed: lines.map((line) => line.productId) };
}

/** Locks the order's held rows (waiting for a concurrent commit or release of the same order). */
async function lockHeld(tx: Tx, orderId: string) {
  return tx.$queryRaw<ReservationRow[]>`
    SELECT id::text AS id, order_id::text AS "orderId", product_id::text AS "productId",
           warehouse_id::text AS "warehouseId", quantity, status
    FROM stock_reservations WHERE order_id = ${orderId}::uuid AND status = 'held'
    ORDER BY product_id, warehouse_id FOR UPDATE`;
}

/** Gives held rows back: reserved drops by their quantity, and they are marked released. */
async function releaseRows(tx: Tx, rows: readonly ReservationRow[]): Promise<void> {
  const ordered = [...rows].sort((a, b) => compare(a.productId, b.productId) || compare(a.warehouseId, b.warehouseId));
  for (const row of ordered) {
    const updated = await tx.$executeRaw`
      UPDATE stock_levels SET reserved = reserved - ${row.quantity}::int, updated_at = now()
      WHERE product_id = ${row.productId}::uuid AND warehouse_id = ${row.warehouseId}::uuid
        AND reserved >= ${row.quantity}::int`;
    if (updated !== 1) throw new Error(`stock level of reservation ${row.id} holds less than it reserved`);
    await tx.$executeRaw`
      UPDATE stock_reservations SET status = 'released', updated_at = now() WHERE id = ${row.id}::uuid AND status = 'held'`;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Releases the order's held reservation (compensation). Idempotent: a second call, or a call after the commit
 * or after `releaseExpired`, changes nothing. Returns how many rows this call released.
 */
export async function releaseReservation(db: InventoryDb, orderId: string, options?: ReservationOptions): Promise<{ released: number }> {
  const rows = await db.$transaction((tx) => releaseReservationIn(tx, orderId), TRANSACTION_OPTIONS);
  await announce(
    options,
    rows.map((row) => row.productId),
  );
  return { released: rows.length };
}

/** `releaseReservation` inside the caller's transaction; returns the rows released (announce their products). */
export async function releaseReservationIn(tx: Tx, orderId: string): Promise<{ productId: string }[]> {
  const held = await lockHeld(tx, orderId);
  await releaseRows(tx, held);
  return held;
}

/**
 * Turns the order's held reservation into a sale: on_hand and reserved drop by the quantity (recorded in the
 * stock ledger), rows marked committed. Idempotent: a second call changes nothing. `ok: false` when there is
 * nothing to commit and the order was never reserved (`NOT_FOUND`) or its reservation was released
 * (`RELEASED`, e.g. expired): the saga must then reserve again or fail the order.
 */
export async function commitReservation(
  db: InventoryDb,
  orderId: string,
  options?: ReservationOptions,
): Promise<{ ok: true; committed: number } | { ok: false; reason: 'NOT_FOUND' | 'RELEASED' }> {
  const outcome = await db.$transaction((tx) => commitReservationIn(tx, orderId), TRANSACTION_OPTIONS);
  if (!outcome.ok) return outcome;
  await announce(options, outcome.changed);
  return { ok: true, committed: outcome.changed.length };
}

/** `commitReservation` inside the caller's transaction; `changed`: the products of the rows committed by this call. */
export async function commitReservationIn(
  tx: Tx,
  orderId: string,
): Promise<{ ok: true; changed: string[] } | { ok: false; reason: 'NOT_FOUND' | 'RELEASED' }> {
  const held = await lockHeld(tx, orderId);
  if (held.length === 0) {
    const all = await tx.$queryRaw<{ status: ReservationStatus }[]>`
      SELECT status FROM stock_reservations WHERE order_id = ${orderId}::uuid`;
    if (all.length === 0) return { ok: false, reason: 'NOT_FOUND' };
    if (!all.some((row) => row.status === 'committed')) return { ok: false, reason: 'RELEASED' };
    return { ok: true, changed: [] };
  }
  for (const row of held) {
    const updated = await tx.$executeRaw`
      UPDATE stock_levels
      SET on_hand = on_hand - ${row.quantity}::int, reserved = reserved - ${row.quantity}::int, updated_at = now()
      WHERE product_id = ${row.productId}::uuid AND warehouse_id = ${row.warehouseId}::uuid
        AND reserved >= ${row.quantity}::int AND on_hand >= ${row.quantity}::int`;
    if (updated !== 1) throw new Error(`stock level of reservation ${row.id} holds less than it reserved`);
    await tx.stockMovement.create({
      data: { productId: row.productId, warehouseId: row.warehouseId, delta: -row.quantity, reason: `order ${orderId}` },
    });
    await tx.$executeRaw`
      UPDATE stock_reservations SET status = 'committed', updated_at = now() WHERE id = ${row.id}::uuid`;
  }
  return { ok: true, changed: held.map((row) => row.productId) };
}

/**
 * Releases held reservations whose expires_at is at or before `now`, up to `limit` rows per call. Safe to run
 * from several processes at once: rows another caller is handling are skipped (FOR UPDATE SKIP LOCKED), and a
 * row is released once. Returns the ids released by this call.
 */
export async function releaseExpired(
  db: InventoryDb,
  now: Date,
  options?: ReservationOptions & { limit?: number },
): Promise<{ released: string[] }> {
  const limit = options?.limit ?? 500;
  const rows = await db.$transaction(async (tx) => {
    const expired = await tx.$queryRaw<ReservationRow[]>`
      SELECT id::text AS id, order_id::text AS "orderId", product_id::text AS "productId",
             warehouse_id::text AS "warehouseId", quantity, status
      FROM stock_reservations
      WHERE status = 'held' AND expires_at <= ${now.toISOString()}::timestamptz
      ORDER BY expires_at, id LIMIT ${limit}::int
      FOR UPDATE SKIP LOCKED`;
    await releaseRows(tx, expired);
    return expired;
  }, TRANSACTION_OPTIONS);
  await announce(
    options,
    rows.map((row) => row.productId),
  );
  return { released: rows.map((row) => row.id) };
}
