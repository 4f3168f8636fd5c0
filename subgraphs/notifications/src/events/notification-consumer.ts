import { randomUUID } from 'node:crypto';
import { prismaTransactions, type ConsumerSettings, type IdempotentSubscription, type ServiceEvents } from '@commerce/events';
import type { Logger } from '@commerce/kit';
import type { NotificationsDb, NotificationsTx } from '../data/client.js';
import { notificationWriter } from '../data/notification-store.js';
import { outboxSenders } from '../delivery/outbox-senders.js';
import type { Senders } from '../domain/delivery.js';
import { CONSUMED_STREAMS, MalformedEventError } from '../domain/events.js';
import { notify } from '../domain/notifier.js';

/** The delivery adapters bound to one event's transaction (default: the embedded outbox senders). */
export type SendersFor = (tx: NotificationsTx) => Senders;

/**
 * Follows `orders` and `inventory` (consumer group `notifications`). Each event is handled in one transaction with
 * its inbox row: the notifications, the product -> vendor read model and the outgoing messages commit together or
 * not at all, and a redelivered event has no second effect. A handler that throws (a database error, a sender that
 * fails, a payload that breaks the contract) rolls everything back and the transport retries it; after the last
 * attempt the event goes to the stream's dead-letter stream.
 */
export function startNotificationConsumer(options: {
  db: NotificationsDb;
  events: ServiceEvents;
  logger: Logger;
  senders?: SendersFor;
  settings?: Partial<ConsumerSettings>;
}): IdempotentSubscription {
  const { db, events, logger } = options;
  const sendersFor = options.senders ?? outboxSenders;
  return events.consume<NotificationsTx>({
    streams: CONSUMED_STREAMS,
    transactions: prismaTransactions(db),
    settings: options.settings,
    handler: async (event, tx, delivery) => {
      try {
        const recorded = await notify(event, notificationWriter(tx), sendersFor(tx), randomUUID);
        if (recorded.length > 0)
          logger.debug({ eventId: event.id, type: event.type, notifications: recorded.length }, 'notifications recorded');
      } catch (error) {
        // ids and the contract problem only: payloads are never logged
        if (error instanceof MalformedEventError) {
          logger.warn(
            { eventId: event.id, type: event.type, attempt: delivery.attempt, problem: error.message },
            'event breaks the contract; nothing recorded',
          );
        }
        throw error;
      }
    },
  });
}
