import type { Money, NotifiableEvent } from './events.js';
import { ADMINS, userRecipient, vendorRecipient, type Channel, type NotificationKind, type Recipient } from './notification.js';

/** One notification to record: shown in the app, and sent by email and/or SMS when those are given. */
export interface NotificationDraft {
  eventId: string;
  recipient: Recipient;
  kind: NotificationKind;
  title: string;
  body: string;
  orderId?: string;
  productId?: string;
  createdAt: Date;
  email?: { subject: string; body: string };
  sms?: { body: string };
}

export function channelsOf(draft: NotificationDraft): Channel[] {
  return ['IN_APP', ...(draft.email ? (['EMAIL'] as const) : []), ...(draft.sms ? (['SMS'] as const) : [])];
}

/** What a failed order's buyer reads for each reason of `orders.order-failed`. */
export function failureMessage(reason: string): string {
  switch (reason) {
    case 'OUT_OF_STOCK':
      return 'An item in your order is out of stock, so we could not complete it.';
    case 'PAYMENT_DECLINED':
      return 'Your payment was declined. Please try again with another payment method.';
    case 'PAYMENT_FAILED':
      return 'We could not process your payment. Please try again, or use another payment method.';
    case 'STOCK_RESERVATION_EXPIRED':
      return 'The items held for your order were released before your payment went through. Please place the order again.';
    default:
      return reason.endsWith('_TIMEOUT')
        ? 'We could not complete your order in time. Please try again in a few minutes.'
        : 'Something went wrong while processing your order. Please try again.';
  }
}

/** A short order number for people: the first 8 characters of the order id. */
export const orderNumber = (orderId: string) => orderId.slice(0, 8).toUpperCase();
const price = (total: Money) => `${total.amount} ${total.currencyCode}`;

/**
 * Who hears of an event, and what they read. `productVendor` is the vendor of a sold-out product as the local read
 * model knows it (null: unknown, so the admins are told instead).
 */
export function draftsFor(event: NotifiableEvent, productVendor: string | null = null): NotificationDraft[] {
  const base = { eventId: event.eventId, createdAt: event.occurredAt };
  switch (event.type) {
    case 'order-placed': {
      const number = orderNumber(event.orderId);
      return [
        {
          ...base,
          recipient: userRecipient(event.userId),
          kind: 'ORDER_PLACED',
          orderId: event.orderId,
          title: 'We received your order',
          body: `Order ${number} (${price(event.total)}) is being processed. We will let you know once it is confirmed.`,
        },
      ];
    }
    case 'order-confirmed': {
      const number = orderNumber(event.orderId);
      const body = `Order ${number} (${price(event.total)}) is confirmed and will be shipped soon.`;
      return [
        {
          ...base,
          recipient: userRecipient(event.userId),
          kind: 'ORDER_CONFIRMED',
          orderId: event.orderId,
          title: 'Your order is confirmed',
          body,
          email: { subject: `Your order ${number} is confirmed`, body: `Thank you for your order.\n\n${body}` },
          sms: { body: `Your order ${number} is confirmed.` },
        },
        ...event.vendorIds.map(
          (vendorId): NotificationDraft => ({
            ...base,
            recipient: vendorRecipient(vendorId),
            kind: 'VENDOR_ORDER_CONFIRMED',
            orderId: event.orderId,
            title: 'New order to fulfil',
            body: `Order ${number} with your products is confirmed and paid. Please prepare it for shipping.`,
          }),
        ),
      ];
    }
    case 'order-failed': {
      const number = orderNumber(event.orderId);
      const body = `Order ${number}: ${failureMessage(event.reason)}`;
      return [
        {
          ...base,
          recipient: userRecipient(event.userId),
          kind: 'ORDER_FAILED',
          orderId: event.orderId,
          title: 'Your order could not be completed',
          body,
          email: { subject: `Your order ${number} could not be completed`, body },
        },
      ];
    }
    case 'order-cancelled':
      return [
        {
          ...base,
          recipient: userRecipient(event.userId),
          kind: 'ORDER_CANCELLED',
          orderId: event.orderId,
          title: 'Your order was cancelled',
          body: `Order ${orderNumber(event.orderId)} was cancelled.`,
        },
      ];
    case 'product-sold-out': {
      const title = 'A product is sold out';
      if (!productVendor) {
        return [
          {
            ...base,
            recipient: ADMINS,
            kind: 'PRODUCT_SOLD_OUT',
            productId: event.productId,
            title,
            body: `Product ${event.productId} has no stock left. Its vendor is not known to notifications yet, so the vendor was not told.`,
          },
        ];
      }
      const body = `Product ${event.productId} has no stock left in any warehouse. Restock it to keep selling it.`;
      return [
        {
          ...base,
          recipient: vendorRecipient(productVendor),
          kind: 'PRODUCT_SOLD_OUT',
          productId: event.productId,
          title,
          body,
          email: { subject: title, body },
        },
      ];
    }
  }
}
