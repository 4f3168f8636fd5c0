import { byIdLoader, groupLoader } from '@commerce/kit';
import type { InventoryDb } from './client.js';
import { itemsByIds, stockByProducts, warehousesByIds } from './stock-store.js';

/** Fresh per request, so batching never leaks data between callers. */
export function createLoaders(db: InventoryDb) {
  return {
    stockByProduct: groupLoader((ids: readonly string[]) => stockByProducts(db, ids), (level) => level.productId),
    item: byIdLoader((ids) => itemsByIds(db, ids), (item) => item.productId),
    warehouse: byIdLoader((ids) => warehousesByIds(db, ids)),
  };
}

export type InventoryLoaders = ReturnType<typeof createLoaders>;
