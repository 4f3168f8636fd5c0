import { ServiceEvents } from '@commerce/events';
import { buildFederatedSchema, countQueries, DEFAULT_PORTS, readInteger, type SubgraphDefinition } from '@commerce/kit';
import { createClient } from './data/client.js';
import { createLoaders } from './data/loaders.js';
import { seedInventory } from './data/seed.js';
import { createStockEvents } from './data/stock-events.js';
import { ProductStockResolver, referenceResolvers, StockLevelResolver, WarehouseStockResolver } from './schema/resolvers.js';
import { startStockCommands } from './saga/stock-commands.js';
import { StockSubscriptionResolver } from './schema/subscriptions.js';

export const subgraph: SubgraphDefinition = {
  name: 'inventory',
  defaultPort: DEFAULT_PORTS.inventory,
  buildSchema: () =>
    buildFederatedSchema([ProductStockResolver, StockLevelResolver, WarehouseStockResolver, StockSubscriptionResolver], referenceResolvers),
  async create({ db: database, pubsub, logger, shared, env }) {
    const expirySweepMs = readInteger(env, 'INVENTORY_RESERVATION_SWEEP_MS', 5_000, 10, 600_000);
    const db = createClient(database);
    const stockEvents = createStockEvents({ db, pubsub, logger });
    const events = new ServiceEvents({ service: 'inventory', db: database, shared, env, logger });
    const commands = startStockCommands({ db, events, stockEvents, logger, expirySweepMs });
    return {
      createContext: (principal) => ({ principal, db, loaders: createLoaders(db), stockEvents }),
      seed: (data) => seedInventory(db, data),
      isEmpty: async () => (await db.warehouse.count()) === 0,
      queries: countQueries(db),
      ready: () => events.ready(),
      events,
      close: async () => {
        await events.close();
        await commands.close();
        await db.$disconnect();
      },
    };
  },
};

export { STOCK_CHANGED_TOPIC, type StockChangeEvent } from './domain/stock-change.js';
export { createClient as createInventoryClient, type InventoryDb } from './data/client.js';
export {
  commitReservation,
  commitReservationIn,
  releaseExpired,
  releaseReservation,
  releaseReservationIn,
  reserveStock,
  reserveStockIn,
  type InventoryTx,
  type ReservationOptions,
} from './data/reservations.js';
export { createStockEvents, type StockEvents } from './data/stock-events.js';
export * from './domain/reservation.js';
