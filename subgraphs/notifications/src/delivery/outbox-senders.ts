import type { NotificationsTx } from '../data/client.js';
import type { Senders } from '../domain/delivery.js';

/**
 * The embedded email and SMS adapters: each message becomes a row of `outgoing_messages` (sent_at null) in the
 * transaction of its notification, so it is recorded exactly once, and never without its notification. A production
 * adapter would be a dispatcher that sends unsent rows through a provider (resolving `user:<id>` / `vendor:<id>` to
 * an address from identity at that moment) and sets sent_at; nothing here holds or logs an address.
 */
export function outboxSenders(tx: NotificationsTx): Senders {
  return {
    email: {
      async sendEmail(message) {
        await tx.outgoingMessage.createMany({
          data: [
            { notificationId: message.reference, channel: 'EMAIL', recipient: message.to, subject: message.subject, body: message.body },
          ],
          skipDuplicates: true,
        });
      },
    },
    sms: {
      async sendSms(message) {
        await tx.outgoingMessage.createMany({
          data: [{ notificationId: message.reference, channel: 'SMS', recipient: message.to, body: message.body }],
          skipDuplicates: true,
        });
      },
    },
  };
}
