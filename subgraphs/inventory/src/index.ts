import { buildFederatedSchema, countQueries, DEFAULT_PORTS, type SubgraphDefinition } from '@commerce/kit';
import { createClient } from './data/client.js';
import { createLoaders } from './data/loaders.js';
import { seedInventory } from './data/seed.js';
import { ProductStockResolver, referenceResolvers, WarehouseStockResolver } from './schema/resolvers.js';

export const subgraph: SubgraphDefinition = {
  name: 'inventory',
  defaultPort: DEFAULT_PORTS.inventory,
  buildSchema: () => buildFederatedSchema([ProductStockResolver, WarehouseStockResolver], referenceResolvers),
  async create({ db: database }) {
    const db = createClient(database);
    return {
      createContext: (principal) => ({ principal, db, loaders: createLoaders(db) }),
      seed: (data) => seedInventory(db, data),
      isEmpty: async () => (await db.warehouse.count()) === 0,
      queries: countQueries(db),
      close: () => db.$disconnect(),
    };
  },
};
