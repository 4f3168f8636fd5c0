import { buildFederatedSchema, countQueries, DEFAULT_PORTS, type SubgraphDefinition } from '@commerce/kit';
import { createClient } from './data/client.js';
import { createLoaders } from './data/loaders.js';
import { seedReviews } from './data/seed.js';
import { ProductReviewsResolver, referenceResolvers, ReviewResolver, UserReviewsResolver } from './schema/resolvers.js';

export const subgraph: SubgraphDefinition = {
  name: 'reviews',
  defaultPort: DEFAULT_PORTS.reviews,
  buildSchema: () => buildFederatedSchema([ProductReviewsResolver, UserReviewsResolver, ReviewResolver], referenceResolvers),
  async create({ db: database }) {
    const db = createClient(database);
    return {
      createContext: (principal) => ({ principal, db, loaders: createLoaders(db) }),
      seed: (data) => seedReviews(db, data),
      isEmpty: async () => (await db.reviewableProduct.count()) === 0,
      queries: countQueries(db),
      close: () => db.$disconnect(),
    };
  },
};
