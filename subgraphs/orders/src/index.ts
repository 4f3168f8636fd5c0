import { buildFederatedSchema, countQueries, DEFAULT_PORTS, type SubgraphDefinition } from '@commerce/kit';
import { createClient } from './data/client.js';
import { createLoaders } from './data/loaders.js';
import { seedOrders } from './data/seed.js';
import { EMBEDDED_DEV_KEYS, keyringFromEnv, type Keyring } from './domain/encryption.js';
import { CartResolver, OrderResolver, referenceResolvers, UserOrdersResolver } from './schema/resolvers.js';

/**
 * The orders subgraph. `keyring` encrypts personal data at rest; without one it comes from
 * ORDERS_ENCRYPTION_KEYS, falling back to the public embedded dev key (the standalone entry point,
 * main.ts, requires the variable instead).
 */
export function createOrdersSubgraph(options: { keyring?: Keyring } = {}): SubgraphDefinition {
  return {
    name: 'orders',
    defaultPort: DEFAULT_PORTS.orders,
    buildSchema: () => buildFederatedSchema([CartResolver, OrderResolver, UserOrdersResolver], referenceResolvers),
    async create({ db: database }) {
      const keyring = options.keyring ?? keyringFromEnv(process.env, EMBEDDED_DEV_KEYS);
      const db = createClient(database);
      return {
        createContext: (principal) => ({ principal, db, loaders: createLoaders(db), keyring }),
        seed: (data) => seedOrders(db, data),
        isEmpty: async () => (await db.productPrice.count()) === 0,
        queries: countQueries(db),
        close: () => db.$disconnect(),
      };
    },
  };
}

export const subgraph: SubgraphDefinition = createOrdersSubgraph();

// The API the checkout saga (and event consumers) will build on.
export { createClient, type OrdersDb } from './data/client.js';
export { appendOrderEvent, changeOrder, loadOrder } from './data/order-store.js';
export * from './domain/order.js';
export { keyringFromEnv, parseKeyring, type Keyring, type SealedValue } from './domain/encryption.js';
