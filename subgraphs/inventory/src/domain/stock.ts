import { userError, type Principal, type UserError } from '@commerce/kit';

/** Stock rules, independent of GraphQL and Prisma. */
export interface WarehouseStockRecord {
  productId: string;
  warehouseId: string;
  onHand: number;
  reserved: number;
}

export interface StockSummary {
  onHand: number;
  reserved: number;
  available: number;
}

/** A product's stock as inventory knows it: who sells it (null when inventory does not know the product) and its levels. */
export interface ProductStock {
  productId: string;
  vendorId: string | null;
  levels: WarehouseStockRecord[];
}

/**
 * Who sees a product's stock details (reserved, on hand, per warehouse), decided here as well as by the router's
 * `vendor_owns_product` policy (defence in depth): staff of the product's vendor and admins. Anyone may see what
 * is available.
 */
export function canSeeStockDetails(principal: Principal | undefined, stock: Pick<ProductStock, 'vendorId'>): boolean {
  if (principal?.role === 'admin') return true;
  return principal?.role === 'vendor_staff' && Boolean(principal.vendorId) && principal.vendorId === stock.vendorId;
}

export function available(level: { onHand: number; reserved: number }): number {
  return level.onHand - level.reserved;
}

export function summarize(levels: readonly WarehouseStockRecord[]): StockSummary {
  const onHand = levels.reduce((sum, level) => sum + level.onHand, 0);
  const reserved = levels.reduce((sum, level) => sum + level.reserved, 0);
  return { onHand, reserved, available: onHand - reserved };
}

export const MAX_ADJUSTMENT = 1_000_000;
export const MAX_REASON_LENGTH = 200;

export interface StockAdjustment {
  productId: string;
  warehouseId: string;
  delta: number;
  reason: string;
}

export function validateAdjustment(input: StockAdjustment): UserError[] {
  const errors: UserError[] = [];
  if (!Number.isInteger(input.delta) || input.delta === 0 || Math.abs(input.delta) > MAX_ADJUSTMENT) {
    errors.push(userError('INVALID_DELTA', `delta must be a non-zero whole number up to ${MAX_ADJUSTMENT} either way`, ['input', 'delta']));
  }
  if (input.reason.length > MAX_REASON_LENGTH) {
    errors.push(userError('INVALID_REASON', `reason must be at most ${MAX_REASON_LENGTH} characters`, ['input', 'reason']));
  }
  return errors;
}
