/** Stock reservation rules for the checkout saga, independent of GraphQL and Prisma. */
export type ReservationStatus = 'held' | 'committed' | 'released';

export interface ReservationLine {
  productId: string;
  quantity: number;
}

export interface ReserveStockInput {
  orderId: string;
  lines: readonly ReservationLine[];
  /** How long the reservation is held before `releaseExpired` may release it. */
  ttlMs: number;
}

export type ReserveStockResult =
  | { ok: true; reservationIds: string[]; status: ReservationStatus }
  | { ok: false; reason: 'OUT_OF_STOCK'; productId: string };

export const MAX_RESERVATION_QUANTITY = 1_000_000;

/**
 * The lines to reserve, one per product (quantities of repeated products added), in product id order so that
 * every transaction locks stock rows in the same order. Throws RangeError on a malformed request (a caller bug).
 */
export function normalizeLines(input: ReserveStockInput): ReservationLine[] {
  if (!Number.isFinite(input.ttlMs) || input.ttlMs <= 0) throw new RangeError('ttlMs must be positive');
  if (input.lines.length === 0) throw new RangeError('a reservation needs at least one line');
  const totals = new Map<string, number>();
  for (const line of input.lines) {
    if (!Number.isInteger(line.quantity) || line.quantity <= 0 || line.quantity > MAX_RESERVATION_QUANTITY) {
      throw new RangeError(`quantity must be a whole number from 1 to ${MAX_RESERVATION_QUANTITY}`);
    }
    totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  }
  return [...totals]
    .map(([productId, quantity]) => ({ productId, quantity }))
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

/** Splits `quantity` over warehouses, largest available first; undefined when they hold too little. */
export function allocate(
  quantity: number,
  levels: readonly { warehouseId: string; available: number }[],
): { warehouseId: string; quantity: number }[] | undefined {
  const ordered = [...levels]
    .filter((level) => level.available > 0)
    .sort((a, b) => b.available - a.available || (a.warehouseId < b.warehouseId ? -1 : 1));
  const picks: { warehouseId: string; quantity: number }[] = [];
  let remaining = quantity;
  for (const level of ordered) {
    if (remaining === 0) break;
    const take = Math.min(remaining, level.available);
    picks.push({ warehouseId: level.warehouseId, quantity: take });
    remaining -= take;
  }
  return remaining === 0 ? picks : undefined;
}

/** The overall status of an order's reservation rows (all rows of one order move together). */
export function overallStatus(statuses: readonly ReservationStatus[]): ReservationStatus {
  if (statuses.includes('held')) return 'held';
  if (statuses.includes('committed')) return 'committed';
  return 'released';
}
