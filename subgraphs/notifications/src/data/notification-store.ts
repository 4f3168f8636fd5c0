import type { Notification, Prisma } from '../generated/prisma/client.js';
import type { Channel, NotificationKind, NotificationPageKey, NotificationRecord, Recipient } from '../domain/notification.js';
import type { NotificationWriter } from '../domain/notifier.js';
import type { NotificationsDb, NotificationsTx } from './client.js';

export function toRecord(row: Notification): NotificationRecord {
  return {
    id: row.id,
    recipient: row.recipient as Recipient, // check constraint
    kind: row.kind as NotificationKind, // check constraint
    title: row.title,
    body: row.body,
    channels: row.channels as Channel[], // check constraint
    orderId: row.orderId,
    productId: row.productId,
    readAt: row.readAt,
    createdAt: row.createdAt,
  };
}

// ---- reads ----

/** One page per key (newest first), `first + 1` rows so the connection knows whether there is a next page. */
export async function notificationPages(db: NotificationsDb, keys: readonly NotificationPageKey[]): Promise<NotificationRecord[][]> {
  return Promise.all(
    keys.map(async ({ recipients, unreadOnly, first, after }) => {
      if (recipients.length === 0 || first === 0) return [];
      const cursor: Prisma.NotificationWhereInput = after
        ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
        : {};
      const rows = await db.notification.findMany({
        where: { AND: [{ recipient: { in: recipients } }, unreadOnly ? { readAt: null } : {}, cursor] },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: first + 1,
      });
      return rows.map(toRecord);
    }),
  );
}

/**
 * Marks the notification read if it is addressed to one of `recipients` (the first time only: a repeat keeps the
 * first readAt). Null when there is no such notification for them; nothing changes then.
 */
export async function markRead(
  db: NotificationsDb,
  id: string,
  recipients: readonly Recipient[],
  now = new Date(),
): Promise<NotificationRecord | null> {
  if (recipients.length === 0) return null;
  const mine = { id, recipient: { in: [...recipients] } };
  await db.notification.updateMany({ where: { ...mine, readAt: null }, data: { readAt: now } });
  const row = await db.notification.findFirst({ where: mine });
  return row ? toRecord(row) : null;
}

// ---- writes (inside the event's transaction) ----

export function notificationWriter(tx: NotificationsTx): NotificationWriter {
  return {
    async insert(id, draft, channels) {
      // ON CONFLICT (event_id, recipient) DO NOTHING: one notification per event and recipient, even past the inbox
      const { count } = await tx.notification.createMany({
        data: [
          {
            id,
            eventId: draft.eventId,
            recipient: draft.recipient,
            kind: draft.kind,
            title: draft.title,
            body: draft.body,
            channels,
            orderId: draft.orderId ?? null,
            productId: draft.productId ?? null,
            createdAt: draft.createdAt,
          },
        ],
        skipDuplicates: true,
      });
      return count === 1;
    },
    async rememberProductVendors(products) {
      // one row per product, in a fixed order so that concurrent orders of the same products never deadlock
      const byProduct = new Map(products.map((product) => [product.productId, product.vendorId]));
      for (const [productId, vendorId] of [...byProduct].sort(([a], [b]) => a.localeCompare(b))) {
        await tx.$executeRaw`INSERT INTO product_vendors (product_id, vendor_id) VALUES (${productId}::uuid, ${vendorId}::uuid)
          ON CONFLICT (product_id) DO UPDATE SET vendor_id = EXCLUDED.vendor_id, updated_at = CURRENT_TIMESTAMP
          WHERE product_vendors.vendor_id <> EXCLUDED.vendor_id`;
      }
    },
    async vendorOfProduct(productId) {
      return (await tx.productVendor.findUnique({ where: { productId } }))?.vendorId ?? null;
    },
  };
}
