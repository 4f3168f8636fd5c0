import type { EventEnvelope } from '@commerce/events';
import type { Senders } from './delivery.js';
import { readNotifiableEvent } from './events.js';
import { ADMINS, type Channel, type PersonRecipient } from './notification.js';
import { channelsOf, draftsFor, type NotificationDraft } from './templates.js';

/** What notifying needs from storage, inside the event's transaction (implemented with Prisma in src/data). */
export interface NotificationWriter {
  /** Records the notification with `id` unless this event already notified this recipient; false when it had. */
  insert(id: string, draft: NotificationDraft, channels: Channel[]): Promise<boolean>;
  /** The local read model: which vendor sells each product. */
  rememberProductVendors(products: readonly { productId: string; vendorId: string }[]): Promise<void>;
  vendorOfProduct(productId: string): Promise<string | null>;
}

/**
 * Handles one event inside its transaction: records who hears of it (in the app) and hands the emails and SMS to
 * the senders, which record them in the same transaction. Throws MalformedEventError (nothing is written) when a
 * followed event breaks the contract. Returns the notifications recorded.
 */
export async function notify(
  event: EventEnvelope,
  writer: NotificationWriter,
  senders: Senders,
  newId: () => string,
): Promise<NotificationDraft[]> {
  const notifiable = readNotifiableEvent(event);
  if (!notifiable) return [];
  if (notifiable.type === 'order-placed') await writer.rememberProductVendors(notifiable.lines);
  const vendor = notifiable.type === 'product-sold-out' ? await writer.vendorOfProduct(notifiable.productId) : null;
  const recorded: NotificationDraft[] = [];
  for (const draft of draftsFor(notifiable, vendor)) {
    const id = newId();
    if (!(await writer.insert(id, draft, channelsOf(draft)))) continue;
    recorded.push(draft);
    if (draft.recipient === ADMINS) continue; // no address to send to: in the app only
    const to: PersonRecipient = draft.recipient;
    if (draft.email) await senders.email.sendEmail({ reference: id, to, ...draft.email });
    if (draft.sms) await senders.sms.sendSms({ reference: id, to, ...draft.sms });
  }
  return recorded;
}
