import { ServiceEvents } from '@commerce/events';
import { buildFederatedSchema, countQueries, DEFAULT_PORTS, type SubgraphDefinition } from '@commerce/kit';
import { createClient } from './data/client.js';
import { createLoaders } from './data/loaders.js';
import { createOrderUpdates } from './data/order-updates.js';
import { seedOrders } from './data/seed.js';
import { EMBEDDED_DEV_KEYS, keyringFromEnv, type Keyring } from './domain/encryption.js';
import { CheckoutSaga } from './saga/checkout-saga.js';
import { followCatalogPrices } from './events/catalog-prices.js';
import { sagaConfigFromEnv } from './saga/config.js';
import { CartResolver, OrderResolver, referenceResolvers, UserOrdersResolver } from './schema/resolvers.js';
import { OrderSubscriptionResolver } from './schema/subscriptions.js';

/**
 * The orders subgraph. `keyring` encrypts personal data at rest; without one it comes from
 * ORDERS_ENCRYPTION_KEYS, falling back to the public embedded dev key (the standalone entry point,
 * main.ts, requires the variable instead).
 */
export function createOrdersSubgraph(options: { keyring?: Keyring } = {}): SubgraphDefinition {
  return {
    name: 'orders',
    defaultPort: DEFAULT_PORTS.orders,
    buildSchema: () =>
      buildFederatedSchema([CartResolver, OrderResolver, UserOrdersResolver, OrderSubscriptionResolver], referenceResolvers),
    async create({ db: database, pubsub, logger, shared, env }) {
      const keyring = options.keyring ?? keyringFromEnv(env, EMBEDDED_DEV_KEYS);
      const sagaConfig = sagaConfigFromEnv(env);
      const db = createClient(database);
      const events = new ServiceEvents({ service: 'orders', db: database, shared, env, logger });
      const updates = createOrderUpdates({ pubsub, logger });
      const saga = new CheckoutSaga({ db, events, updates, logger, ...sagaConfig });
      saga.start();
      followCatalogPrices({ db, events, logger });
      return {
        createContext: (principal) => ({ principal, db, loaders: createLoaders(db), keyring, saga, updates }),
        seed: (data) => seedOrders(db, data),
        isEmpty: async () => (await db.productPrice.count()) === 0,
        queries: countQueries(db),
        ready: () => events.ready(),
        events,
        close: async () => {
          await events.close();
          await saga.close();
          await db.$disconnect();
        },
      };
    },
  };
}

export const subgraph: SubgraphDefinition = createOrdersSubgraph();

// The API the checkout saga (and event consumers) will build on.
export { createClient, type OrdersDb } from './data/client.js';
export { appendOrderEvent, changeOrder, loadOrder } from './data/order-store.js';
export { activeSagaCount } from './data/saga-store.js';
export * from './domain/saga.js';
export { CheckoutSaga } from './saga/checkout-saga.js';
export * from './domain/order.js';
export { keyringFromEnv, parseKeyring, type Keyring, type SealedValue } from './domain/encryption.js';
