import { ServiceEvents } from '@commerce/events';
import { buildFederatedSchema, countQueries, DEFAULT_PORTS, type SubgraphDefinition } from '@commerce/kit';
import { createClient } from './data/client.js';
import { createLoaders } from './data/loaders.js';
import { seedCatalog } from './data/seed.js';
import { ProductResolver, referenceResolvers } from './schema/resolvers.js';

export const subgraph: SubgraphDefinition = {
  name: 'catalog',
  defaultPort: DEFAULT_PORTS.catalog,
  buildSchema: () => buildFederatedSchema([ProductResolver], referenceResolvers),
  async create({ db: database, shared, env, logger }) {
    const db = createClient(database);
    const events = new ServiceEvents({ service: 'catalog', db: database, shared, env, logger });
    return {
      createContext: (principal) => ({ principal, db, loaders: createLoaders(db), events }),
      seed: (data) => seedCatalog(db, data),
      isEmpty: async () => (await db.vendor.count()) === 0,
      queries: countQueries(db),
      ready: () => events.ready(),
      events,
      close: async () => {
        await events.close();
        await db.$disconnect();
      },
    };
  },
};
