import { byIdLoader } from '@commerce/kit';
import type { CatalogDb } from './client.js';
import { categoriesByIds, productsByIds, vendorsByIds } from './product-store.js';

/** Fresh per request, so batching never leaks data between callers. */
export function createLoaders(db: CatalogDb) {
  return {
    product: byIdLoader((ids) => productsByIds(db, ids)),
    category: byIdLoader((ids) => categoriesByIds(db, ids)),
    vendor: byIdLoader((ids) => vendorsByIds(db, ids)),
  };
}

export type CatalogLoaders = ReturnType<typeof createLoaders>;
