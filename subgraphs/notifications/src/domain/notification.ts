import { checkPageSize, decodeCursor, encodeCursor, type Principal } from '@commerce/kit';

/** Notification rules, independent of GraphQL and Prisma. */
export const NOTIFICATION_KINDS = [
  'ORDER_PLACED',
  'ORDER_CONFIRMED',
  'ORDER_FAILED',
  'ORDER_CANCELLED',
  'VENDOR_ORDER_CONFIRMED',
  'PRODUCT_SOLD_OUT',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Every notification is shown in the app; some are also sent by email or SMS. */
export const CHANNELS = ['IN_APP', 'EMAIL', 'SMS'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * Who a notification is for: a user, a vendor (all its staff, the tenant), or every admin. Events carry no personal
 * data, so a recipient is an id: the email and SMS adapters resolve it to an address when they send.
 */
export type PersonRecipient = `user:${string}` | `vendor:${string}`;
export type Recipient = PersonRecipient | 'admins';

export const userRecipient = (userId: string): PersonRecipient => `user:${userId.toLowerCase()}`;
export const vendorRecipient = (vendorId: string): PersonRecipient => `vendor:${vendorId.toLowerCase()}`;
export const ADMINS = 'admins' as const satisfies Recipient;

export interface NotificationRecord {
  id: string;
  recipient: Recipient;
  kind: NotificationKind;
  title: string;
  body: string;
  channels: Channel[];
  orderId: string | null;
  productId: string | null;
  readAt: Date | null;
  createdAt: Date;
}

/**
 * The recipients whose notifications `User(id: userId).notifications` lists to `principal` (applied inside every
 * query, behind the router's self_or_admin policy): a user sees their own, vendor staff also their vendor's, an
 * admin also those for all admins; an admin asking about another user sees that user's own.
 */
export function recipientsVisibleTo(principal: Principal | undefined, userId: string): Recipient[] {
  if (!principal) return [];
  if (principal.role === 'admin') return userId === principal.userId ? [userRecipient(userId), ADMINS] : [userRecipient(userId)];
  return userId === principal.userId ? recipientsOf(principal) : [];
}

/** The notifications that are `principal`'s own (the ones they may mark read). */
export function recipientsOf(principal: Principal | undefined): Recipient[] {
  if (!principal) return [];
  switch (principal.role) {
    case 'customer':
      return [userRecipient(principal.userId)];
    case 'vendor_staff':
      return principal.vendorId
        ? [userRecipient(principal.userId), vendorRecipient(principal.vendorId)]
        : [userRecipient(principal.userId)];
    case 'admin':
      return [userRecipient(principal.userId), ADMINS];
    default:
      return []; // partners are never users
  }
}

export interface NotificationPageKey {
  recipients: Recipient[];
  unreadOnly: boolean;
  first: number;
  after?: { createdAt: Date; id: string };
}

export function notificationPageKey(
  recipients: Recipient[],
  options: { first: number | null | undefined; after: string | null | undefined; unreadOnly: boolean | null | undefined },
): NotificationPageKey {
  return {
    recipients: [...recipients].sort(),
    unreadOnly: options.unreadOnly ?? false,
    first: checkPageSize(options.first ?? 10),
    after: options.after ? decodeNotificationCursor(options.after) : undefined,
  };
}

export function notificationCursor(notification: { createdAt: Date; id: string }): string {
  return encodeCursor([notification.createdAt.toISOString(), notification.id]);
}

function decodeNotificationCursor(cursor: string): { createdAt: Date; id: string } {
  const [createdAt, id] = decodeCursor(cursor, 2);
  const at = new Date(String(createdAt));
  if (Number.isNaN(at.getTime())) return decodeCursor('', 2) as never; // throws BAD_USER_INPUT
  return { createdAt: at, id: String(id) };
}
