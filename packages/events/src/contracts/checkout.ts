import { newEvent, type EventEnvelope, type TraceContext } from '../envelope.js';

/**
 * The checkout saga's messages: what orders (the orchestrator) commands, what inventory and payments answer, and
 * the order events other services (notifications) follow. One module, so producers and consumers share the names
 * and payload shapes. Every message's aggregate is the order (`aggregateId` = order id).
 */
export const STREAMS = {
  /** Order events, written by orders. */
  orders: 'orders',
  /** Commands from the saga to inventory / payments. */
  inventoryCommands: 'inventory.commands',
  paymentCommands: 'payments.commands',
  /** Replies and stock events from inventory; replies from payments. */
  inventory: 'inventory',
  payments: 'payments',
  /** Product events from catalog (price changes; see contracts/catalog.ts). */
  catalog: 'catalog',
} as const;

export interface MoneyPayload {
  amount: string;
  currencyCode: string;
}

export interface OrderLinePayload {
  productId: string;
  vendorId: string;
  quantity: number;
  unitPrice: MoneyPayload;
}

export interface CheckoutMessages {
  // order events (stream `orders`)
  'orders.order-placed': { orderId: string; userId: string; total: MoneyPayload; lines: OrderLinePayload[] };
  'orders.order-confirmed': { orderId: string; userId: string; total: MoneyPayload; vendorIds: string[] };
  'orders.order-failed': { orderId: string; userId: string; reason: string };
  'orders.order-cancelled': { orderId: string; userId: string };
  // commands to inventory (stream `inventory.commands`)
  'inventory.reserve-stock': { orderId: string; lines: { productId: string; quantity: number }[]; ttlMs: number };
  'inventory.commit-stock': { orderId: string };
  'inventory.release-stock': { orderId: string };
  // inventory's replies and stock events (stream `inventory`)
  'inventory.stock-reserved': { orderId: string; reservationIds: string[] };
  /** RELEASED: the order's reservation was released before (cancelled, expired) and is not made again. */
  'inventory.stock-reservation-failed': { orderId: string; reason: 'OUT_OF_STOCK' | 'RELEASED'; productId: string };
  'inventory.stock-committed': { orderId: string };
  'inventory.stock-commit-failed': { orderId: string; reason: 'NOT_FOUND' | 'RELEASED' };
  'inventory.stock-released': { orderId: string; released: number };
  /** A product's available stock reached 0 (after a sale). */
  'inventory.product-sold-out': { productId: string };
  // commands to payments (stream `payments.commands`)
  /** `customerId`: the buyer, so payments can show the payment to them alone (absent in commands sent before it was added). */
  'payments.authorize-payment': { orderId: string; customerId?: string; amount: string; currency: string; paymentMethod: string };
  'payments.capture-payment': { orderId: string };
  'payments.void-payment': { orderId: string };
  // payments' replies (stream `payments`)
  'payments.payment-authorized': { orderId: string; paymentIntentId: string };
  'payments.payment-failed': { orderId: string; reason: string };
  'payments.payment-captured': { orderId: string; paymentIntentId: string };
  'payments.payment-capture-failed': { orderId: string; reason: string };
  'payments.payment-voided': { orderId: string };
}

export type CheckoutMessageType = keyof CheckoutMessages;

/** A message of the saga as it arrives: `type` narrows `payload`. */
export type CheckoutMessage = { [T in CheckoutMessageType]: EventEnvelope<CheckoutMessages[T]> & { type: T } }[CheckoutMessageType];

/** A new saga message about `orderId`. */
export function checkoutMessage<T extends CheckoutMessageType>(
  type: T,
  payload: CheckoutMessages[T] & ({ orderId: string } | { productId: string }),
  options: { version?: number; tenantId?: string | null; traceContext?: TraceContext } = {},
): EventEnvelope<CheckoutMessages[T]> {
  const aggregateId = 'orderId' in payload ? payload.orderId : payload.productId;
  return newEvent({
    type,
    aggregateType: 'orderId' in payload ? 'Order' : 'Product',
    aggregateId,
    version: options.version ?? 0,
    payload,
    tenantId: options.tenantId ?? null,
    traceContext: options.traceContext,
  });
}

/** Narrows an incoming envelope to a saga message of one of `types` (the payload shape is the producer's contract). */
export function isCheckoutMessage<T extends CheckoutMessageType>(
  event: EventEnvelope,
  ...types: T[]
): event is EventEnvelope<CheckoutMessages[T]> & { type: T } {
  return (types as string[]).includes(event.type);
}
