import {
  CATALOG_EVENTS,
  isProductPriceChanged,
  prismaTransactions,
  STREAMS,
  type IdempotentSubscription,
  type ServiceEvents,
} from '@commerce/events';
import type { Logger } from '@commerce/kit';
import type { OrdersDb, OrdersTx } from '../data/client.js';
import { applyPriceChange } from '../data/price-store.js';

/**
 * Keeps orders' copy of catalog's prices (`product_prices`) current from catalog's price-changed events, so that
 * carts and checkouts never call catalog. A payload that breaks the contract throws: it is retried, then
 * dead-lettered, and nothing is written.
 */
export function followCatalogPrices(options: { db: OrdersDb; events: ServiceEvents; logger: Logger }): IdempotentSubscription {
  return options.events.consume<OrdersTx>({
    streams: [STREAMS.catalog],
    transactions: prismaTransactions(options.db),
    handler: async (event, tx) => {
      if (event.type !== CATALOG_EVENTS.productPriceChanged) return; // other product events are not ours
      if (!isProductPriceChanged(event)) throw new Error(`${event.type} ${event.id}: the payload breaks the contract`);
      const changed = await applyPriceChange(tx, event.payload);
      if (!changed)
        options.logger.debug(
          { productId: event.payload.productId, priceVersion: event.payload.priceVersion },
          'stale price change ignored',
        );
    },
  });
}
