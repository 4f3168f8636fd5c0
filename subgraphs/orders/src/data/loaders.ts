import { byIdLoader, groupLoader } from '@commerce/kit';
import DataLoader from 'dataloader';
import type { OrderPageKey } from '../domain/visibility.js';
import { cartLinesOfUsers, pricesByProductIds } from './cart-store.js';
import type { OrdersDb } from './client.js';
import { eventsOfOrders, linesOfOrders, orderPages, ordersByIds } from './order-store.js';

const pageKey = (key: OrderPageKey) => JSON.stringify([key.visibility, key.first, key.after?.createdAt.toISOString(), key.after?.id]);

/** Fresh per request, so batching never leaks data between callers. */
export function createLoaders(db: OrdersDb) {
  return {
    order: byIdLoader((ids) => ordersByIds(db, ids)),
    orderLines: groupLoader(
      (ids: readonly string[]) => linesOfOrders(db, ids),
      (line) => line.orderId,
    ),
    orderEvents: groupLoader(
      (ids: readonly string[]) => eventsOfOrders(db, ids),
      (event) => event.orderId,
    ),
    orderPage: new DataLoader((keys: readonly OrderPageKey[]) => orderPages(db, keys), { cacheKeyFn: pageKey }),
    cartLines: groupLoader(
      (userIds: readonly string[]) => cartLinesOfUsers(db, userIds),
      (line) => line.userId,
    ),
    price: byIdLoader(
      (ids) => pricesByProductIds(db, ids),
      (price) => price.productId,
    ),
  };
}

export type OrdersLoaders = ReturnType<typeof createLoaders>;
