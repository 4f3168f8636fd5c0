import { byIdLoader } from '@commerce/kit';
import type { InventoryDb } from './client.js';
import { itemsByIds, productStocks, warehousesByIds } from './stock-store.js';

/** Fresh per request, so batching never leaks data between callers. */
export function createLoaders(db: InventoryDb) {
  return {
    /** Each product's vendor and stock levels (null for a product inventory does not know). */
    stock: byIdLoader(
      (ids) => productStocks(db, ids),
      (stock) => stock.productId,
    ),
    item: byIdLoader(
      (ids) => itemsByIds(db, ids),
      (item) => item.productId,
    ),
    warehouse: byIdLoader((ids) => warehousesByIds(db, ids)),
  };
}

export type InventoryLoaders = ReturnType<typeof createLoaders>;
