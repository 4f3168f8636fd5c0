import type { Logger, PubSub } from '@commerce/kit';
import { summarize } from '../domain/stock.js';
import { isStockChangeEvent, STOCK_CHANGED_TOPIC, stockChangeEvent, type StockChangeEvent } from '../domain/stock-change.js';
import type { InventoryDb } from './client.js';
import { stockByProducts } from './stock-store.js';

/**
 * Live stock changes over the pub/sub port, shared by every inventory instance using the same transport.
 * Whatever changes stock (adjustments now, reservations and releases later) calls `changed` after its
 * transaction has committed, and never for a refused change.
 */
export function createStockEvents({ db, pubsub, logger }: { db: InventoryDb; pubsub: PubSub; logger: Logger }) {
  return {
    /**
     * Publishes the product's new total. Never throws: the change itself is committed, and a lost live update
     * (pub/sub down) must not fail it; subscribers then miss this one.
     */
    async changed(productId: string): Promise<void> {
      try {
        const event = stockChangeEvent(productId, summarize(await stockByProducts(db, [productId])));
        await pubsub.publish(STOCK_CHANGED_TOPIC, event);
      } catch (error) {
        logger.warn({ err: error, productId }, 'stock change not published; live subscribers miss it');
      }
    },

    /** The product's stock changes from now on; resolves once the subscription is in place. */
    async follow(productId: string): Promise<AsyncIterableIterator<StockChangeEvent>> {
      const subscription = pubsub.subscribe(STOCK_CHANGED_TOPIC, {
        filter: (payload) => isStockChangeEvent(payload) && payload.productId === productId,
      });
      await subscription.ready;
      return subscription as AsyncIterableIterator<StockChangeEvent>; // the filter lets only StockChangeEvents through
    },
  };
}

export type StockEvents = ReturnType<typeof createStockEvents>;
