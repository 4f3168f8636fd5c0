import type { RequestContext } from '@commerce/kit';
import type { InventoryDb } from '../data/client.js';
import type { InventoryLoaders } from '../data/loaders.js';
import type { StockEvents } from '../data/stock-events.js';

export interface InventoryContext extends RequestContext {
  db: InventoryDb;
  loaders: InventoryLoaders;
  stockEvents: StockEvents;
}
