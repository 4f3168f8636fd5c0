import { buildFederatedSchema, countQueries, DEFAULT_PORTS, type SubgraphDefinition } from '@commerce/kit';
import { createClient } from './data/client.js';
import { createLoaders } from './data/loaders.js';
import { seedInventory } from './data/seed.js';
import { createStockEvents } from './data/stock-events.js';
import { ProductStockResolver, referenceResolvers, WarehouseStockResolver } from './schema/resolvers.js';
import { StockSubscriptionResolver } from './schema/subscriptions.js';

export const subgraph: SubgraphDefinition = {
  name: 'inventory',
  defaultPort: DEFAULT_PORTS.inventory,
  buildSchema: () =>
    buildFederatedSchema([ProductStockResolver, WarehouseStockResolver, StockSubscriptionResolver], referenceResolvers),
  async create({ db: database, pubsub, logger }) {
    const db = createClient(database);
    const stockEvents = createStockEvents({ db, pubsub, logger });
    return {
      createContext: (principal) => ({ principal, db, loaders: createLoaders(db), stockEvents }),
      seed: (data) => seedInventory(db, data),
      isEmpty: async () => (await db.warehouse.count()) === 0,
      queries: countQueries(db),
      close: () => db.$disconnect(),
    };
  },
};

export { STOCK_CHANGED_TOPIC, type StockChangeEvent } from './domain/stock-change.js';
export { createClient as createInventoryClient, type InventoryDb } from './data/client.js';
export {
  commitReservation,
  releaseExpired,
  releaseReservation,
  reserveStock,
  type ReservationOptions,
} from './data/reservations.js';
export { createStockEvents, type StockEvents } from './data/stock-events.js';
export * from './domain/reservation.js';
