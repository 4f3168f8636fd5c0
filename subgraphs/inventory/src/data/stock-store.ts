import type { ProductStock, StockAdjustment, WarehouseStockRecord } from '../domain/stock.js';
import type { InventoryDb } from './client.js';

export async function stockByProducts(db: InventoryDb, productIds: readonly string[]): Promise<WarehouseStockRecord[]> {
  return db.stockLevel.findMany({
    where: { productId: { in: [...productIds] } },
    select: { productId: true, warehouseId: true, onHand: true, reserved: true },
    orderBy: { warehouseId: 'asc' },
  });
}

/** The products inventory knows, each with its vendor and its levels (oldest warehouse id first), in one query. */
export async function productStocks(db: InventoryDb, productIds: readonly string[]): Promise<ProductStock[]> {
  const rows = await db.$queryRaw<
    { productId: string; vendorId: string; warehouseId: string | null; onHand: number | null; reserved: number | null }[]
  >`
    SELECT i.product_id::text AS "productId", i.vendor_id::text AS "vendorId", s.warehouse_id::text AS "warehouseId",
           s.on_hand AS "onHand", s.reserved
    FROM inventory_items i LEFT JOIN stock_levels s ON s.product_id = i.product_id
    WHERE i.product_id = ANY(${[...new Set(productIds)]}::uuid[])
    ORDER BY s.warehouse_id`;
  const stocks = new Map<string, ProductStock>();
  for (const row of rows) {
    const stock = stocks.get(row.productId) ?? { productId: row.productId, vendorId: row.vendorId, levels: [] };
    stocks.set(row.productId, stock);
    if (row.warehouseId !== null) {
      stock.levels.push({ productId: row.productId, warehouseId: row.warehouseId, onHand: row.onHand ?? 0, reserved: row.reserved ?? 0 });
    }
  }
  return [...stocks.values()];
}

export async function itemsByIds(db: InventoryDb, productIds: readonly string[]) {
  return db.inventoryItem.findMany({ where: { productId: { in: [...productIds] } } });
}

export async function warehousesByIds(db: InventoryDb, ids: readonly string[]) {
  return db.warehouse.findMany({ where: { id: { in: [...ids] } } });
}

export async function listWarehouses(db: InventoryDb) {
  return db.warehouse.findMany({ orderBy: { code: 'asc' } });
}

/**
 * Applies a stock change atomically with its ledger entry. The update is conditional (never below what is
 * reserved, never negative), so concurrent adjustments cannot oversell; returns undefined when refused.
 */
export async function applyAdjustment(
  db: InventoryDb,
  change: StockAdjustment,
  actorId: string,
): Promise<WarehouseStockRecord | undefined> {
  return db.$transaction(async (tx) => {
    const rows =
      change.delta > 0
        ? await tx.$queryRaw<WarehouseStockRecord[]>`
            INSERT INTO stock_levels (product_id, warehouse_id, on_hand, reserved, updated_at)
            VALUES (${change.productId}::uuid, ${change.warehouseId}::uuid, ${change.delta}, 0, now())
            ON CONFLICT (product_id, warehouse_id)
              DO UPDATE SET on_hand = stock_levels.on_hand + ${change.delta}, updated_at = now()
            RETURNING product_id::text AS "productId", warehouse_id::text AS "warehouseId", on_hand AS "onHand", reserved`
        : await tx.$queryRaw<WarehouseStockRecord[]>`
            UPDATE stock_levels SET on_hand = on_hand + ${change.delta}, updated_at = now()
            WHERE product_id = ${change.productId}::uuid AND warehouse_id = ${change.warehouseId}::uuid
              AND on_hand + ${change.delta} >= reserved
            RETURNING product_id::text AS "productId", warehouse_id::text AS "warehouseId", on_hand AS "onHand", reserved`;
    const level = rows[0];
    if (!level) return undefined;
    await tx.stockMovement.create({
      data: { productId: change.productId, warehouseId: change.warehouseId, delta: change.delta, reason: change.reason, actorId },
    });
    return level;
  });
}
