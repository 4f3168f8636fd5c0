import { byIdLoader } from '@commerce/kit';
import type { PaymentsDb } from './client.js';
import { intentsByOrder } from './payment-store.js';

/** Fresh per request, so batching never leaks data between callers. */
export function createLoaders(db: PaymentsDb) {
  return {
    /** The payment intent of each order (null without one): one query per batch of orders. */
    intentByOrder: byIdLoader(
      (orderIds) => intentsByOrder(db, orderIds),
      (intent) => intent.orderId,
    ),
  };
}

export type PaymentsLoaders = ReturnType<typeof createLoaders>;
