import { isCheckoutMessage, STREAMS, type EventEnvelope } from '@commerce/events';
import { isUuid } from '@commerce/kit';

/** The streams notifications follows: order events, and inventory's (only `product-sold-out` matters here). */
export const CONSUMED_STREAMS = [STREAMS.orders, STREAMS.inventory] as const;

export interface Money {
  amount: string;
  currencyCode: string;
}

interface Base {
  eventId: string;
  occurredAt: Date;
}

/** The events that notify somebody, checked and normalised (ids lower case). */
export type NotifiableEvent = Base &
  (
    | { type: 'order-placed'; orderId: string; userId: string; total: Money; lines: { productId: string; vendorId: string }[] }
    | { type: 'order-confirmed'; orderId: string; userId: string; total: Money; vendorIds: string[] }
    | { type: 'order-failed'; orderId: string; userId: string; reason: string }
    | { type: 'order-cancelled'; orderId: string; userId: string }
    | { type: 'product-sold-out'; productId: string }
  );

/** An event of a type we follow whose payload breaks the contract: it is never half applied (see the consumer). */
export class MalformedEventError extends Error {
  override name = 'MalformedEventError';
}

const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;
const CURRENCY = /^[A-Z]{3}$/;
const REASON = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * Reads an incoming event: the notifiable event, null for the types notifications ignores (the saga's replies and
 * commands), or MalformedEventError when a followed type carries a payload that breaks the contract.
 */
export function readNotifiableEvent(event: EventEnvelope): NotifiableEvent | null {
  const base: Base = { eventId: event.id, occurredAt: new Date(event.occurredAt) };
  const payload = record(event.payload, 'payload');
  if (isCheckoutMessage(event, 'orders.order-placed')) {
    const lines = list(payload.lines, 'lines').map((line, index) => {
      const fields = record(line, `lines[${index}]`);
      return {
        productId: uuid(fields.productId, `lines[${index}].productId`),
        vendorId: uuid(fields.vendorId, `lines[${index}].vendorId`),
      };
    });
    if (lines.length === 0) throw new MalformedEventError('lines must not be empty');
    return { ...base, type: 'order-placed', ...order(payload), total: money(payload.total), lines };
  }
  if (isCheckoutMessage(event, 'orders.order-confirmed')) {
    const vendorIds = list(payload.vendorIds, 'vendorIds').map((id, index) => uuid(id, `vendorIds[${index}]`));
    return { ...base, type: 'order-confirmed', ...order(payload), total: money(payload.total), vendorIds: [...new Set(vendorIds)] };
  }
  if (isCheckoutMessage(event, 'orders.order-failed')) {
    if (typeof payload.reason !== 'string' || !REASON.test(payload.reason))
      throw new MalformedEventError('reason must be a code such as OUT_OF_STOCK');
    return { ...base, type: 'order-failed', ...order(payload), reason: payload.reason };
  }
  if (isCheckoutMessage(event, 'orders.order-cancelled')) return { ...base, type: 'order-cancelled', ...order(payload) };
  if (isCheckoutMessage(event, 'inventory.product-sold-out'))
    return { ...base, type: 'product-sold-out', productId: uuid(payload.productId, 'productId') };
  return null;
}

function order(payload: Record<string, unknown>): { orderId: string; userId: string } {
  return { orderId: uuid(payload.orderId, 'orderId'), userId: uuid(payload.userId, 'userId') };
}

function money(value: unknown): Money {
  const fields = record(value, 'total');
  if (typeof fields.amount !== 'string' || !AMOUNT.test(fields.amount))
    throw new MalformedEventError('total.amount must be a decimal string');
  if (typeof fields.currencyCode !== 'string' || !CURRENCY.test(fields.currencyCode)) {
    throw new MalformedEventError('total.currencyCode must be an ISO 4217 code');
  }
  return { amount: fields.amount, currencyCode: fields.currencyCode };
}

function uuid(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isUuid(value)) throw new MalformedEventError(`${field} must be a UUID`);
  return value.toLowerCase();
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedEventError(`${field} must be an object`);
  return value as Record<string, unknown>; // checked just above
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new MalformedEventError(`${field} must be an array`);
  return value;
}
