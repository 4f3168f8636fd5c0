import { ServiceEvents } from '@commerce/events';
import { buildFederatedSchema, countQueries, DEFAULT_PORTS, type SubgraphDefinition } from '@commerce/kit';
import { createClient } from './data/client.js';
import { createLoaders } from './data/loaders.js';
import { seedNotifications } from './data/seed.js';
import { startNotificationConsumer, type SendersFor } from './events/notification-consumer.js';
import { NotificationResolver, referenceResolvers, UserNotificationsResolver } from './schema/resolvers.js';

/**
 * The notifications subgraph. `senders` are the email and SMS adapters bound to an event's transaction (default: the
 * embedded ones, which record each message in `outgoing_messages`).
 */
export function createNotificationsSubgraph(options: { senders?: SendersFor } = {}): SubgraphDefinition {
  return {
    name: 'notifications',
    defaultPort: DEFAULT_PORTS.notifications,
    buildSchema: () => buildFederatedSchema([UserNotificationsResolver, NotificationResolver], referenceResolvers),
    async create({ db: database, logger, shared, env }) {
      const db = createClient(database);
      const events = new ServiceEvents({ service: 'notifications', db: database, shared, env, logger });
      startNotificationConsumer({ db, events, logger, senders: options.senders });
      return {
        createContext: (principal) => ({ principal, db, loaders: createLoaders(db) }),
        seed: (data) => seedNotifications(db, data),
        isEmpty: async () => (await db.productVendor.count()) === 0,
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
}

export const subgraph: SubgraphDefinition = createNotificationsSubgraph();

export { createClient as createNotificationsClient, type NotificationsDb, type NotificationsTx } from './data/client.js';
export { outboxSenders } from './delivery/outbox-senders.js';
export * from './domain/delivery.js';
export * from './domain/events.js';
export * from './domain/notification.js';
export * from './domain/notifier.js';
export * from './domain/templates.js';
export * from './events/notification-consumer.js';
