import { buildFederatedSchema, countQueries, DEFAULT_PORTS, type SubgraphDefinition } from '@commerce/kit';
import { createClient } from './data/client.js';
import { createLoaders } from './data/loaders.js';
import { seedCatalog } from './data/seed.js';
import { ProductResolver, referenceResolvers } from './schema/resolvers.js';

export const subgraph: SubgraphDefinition = {
  name: 'catalog',
  defaultPort: DEFAULT_PORTS.catalog,
  buildSchema: () => buildFederatedSchema([ProductResolver], referenceResolvers),
  async create({ db: database }) {
    const db = createClient(database);
    return {
      createContext: (principal) => ({ principal, db, loaders: createLoaders(db) }),
      seed: (data) => seedCatalog(db, data),
      isEmpty: async () => (await db.vendor.count()) === 0,
      queries: countQueries(db),
      close: () => db.$disconnect(),
    };
  },
};
