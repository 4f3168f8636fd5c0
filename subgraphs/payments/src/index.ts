import { ServiceEvents } from '@commerce/events';
import { buildFederatedSchema, countQueries, DEFAULT_PORTS, type SubgraphDefinition } from '@commerce/kit';
import { createClient } from './data/client.js';
import { createLoaders } from './data/loaders.js';
import { startPaymentCommands } from './saga/payment-commands.js';
import { OrderPaymentResolver, referenceResolvers } from './schema/resolvers.js';
import { createProvider, paymentServiceOn, paymentsConfigFromEnv } from './service.js';

export { createClient as createPaymentsClient, type PaymentsDb } from './data/client.js';
export * from './domain/payment-intent.js';
export * from './domain/payment-service.js';
export * from './domain/provider.js';
export * from './domain/visibility.js';
export * from './providers/fake.js';
export * from './providers/fake-server.js';
export * from './providers/http.js';
export * from './service.js';

export const subgraph: SubgraphDefinition = {
  name: 'payments',
  defaultPort: DEFAULT_PORTS.payments,
  buildSchema: () => buildFederatedSchema([OrderPaymentResolver], referenceResolvers),
  async create({ db: database, logger, shared, env }) {
    const config = paymentsConfigFromEnv(env);
    const db = createClient(database);
    const payments = paymentServiceOn(db, createProvider(config), config.retry);
    const events = new ServiceEvents({ service: 'payments', db: database, shared, env, logger });
    startPaymentCommands({ db, events, payments, logger });
    return {
      createContext: (principal) => ({ principal, db, loaders: createLoaders(db), payments }),
      // no demo payments: they start with the orders' checkout
      seed: async () => undefined,
      isEmpty: async () => (await db.paymentIntent.count()) === 0,
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
