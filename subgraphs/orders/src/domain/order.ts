import type { MoneyValue } from './money.js';
import type { SealedValue } from './encryption.js';

/**
 * The Order aggregate, event-sourced: its state is the fold of its events (`rehydrate`), and every change is
 * a new event decided from the current state by a command below. The store (data/order-store.ts) appends
 * an event and updates the `orders` projection in one transaction, at `version + 1` (optimistic concurrency).
 */
export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'FAILED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
/** No event may follow these. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['FAILED', 'CANCELLED'];

export type OrderLineRecord = {
  productId: string;
  vendorId: string;
  quantity: number;
  unitPrice: MoneyValue;
};

export interface OrderPlaced {
  type: 'OrderPlaced';
  payload: {
    userId: string;
    lines: OrderLineRecord[];
    total: MoneyValue;
    paymentMethod: string;
    /** Encrypted; the plaintext address never enters an event. */
    shippingAddress: SealedValue;
  };
}
/** Steps of the checkout saga (domain/saga.ts), recorded on the order as they happen. */
export interface StockReserved {
  type: 'StockReserved';
  payload: { reservationIds: string[] };
}
export interface PaymentAuthorized {
  type: 'PaymentAuthorized';
  payload: { paymentIntentId: string };
}
export interface PaymentCaptured {
  type: 'PaymentCaptured';
  payload: { paymentIntentId: string };
}
export interface OrderConfirmed {
  type: 'OrderConfirmed';
  payload: Record<string, never>;
}
export interface OrderFailed {
  type: 'OrderFailed';
  payload: { reason: string };
}
export interface OrderCancelled {
  type: 'OrderCancelled';
  payload: { by: string; reason?: string };
}

export type OrderEventData =
  | OrderPlaced
  | StockReserved
  | PaymentAuthorized
  | OrderConfirmed
  | PaymentCaptured
  | OrderFailed
  | OrderCancelled;
export type OrderEventType = OrderEventData['type'];

/** An event as stored: its position in the order's stream and when it happened. */
export type RecordedOrderEvent = OrderEventData & { id: string; orderId: string; version: number; occurredAt: Date };

export interface OrderState {
  id: string;
  userId: string;
  status: OrderStatus;
  version: number;
  lines: OrderLineRecord[];
  total: MoneyValue;
  paymentMethod: string;
  stockReserved: boolean;
  paymentIntentId?: string;
  paymentCaptured?: boolean;
  failureReason?: string;
}

/** A domain rule refused a change (the caller turns `code` into a userError or a saga decision). */
export class OrderDomainError extends Error {
  override name = 'OrderDomainError';
  constructor(
    readonly code: 'ORDER_NOT_FOUND' | 'ORDER_TERMINAL' | 'INVALID_TRANSITION',
    message: string,
  ) {
    super(message);
  }
}

/** Another writer appended to the same order first (the unique (order_id, version) refused ours). */
export class OrderConcurrencyError extends Error {
  override name = 'OrderConcurrencyError';
  constructor(
    readonly orderId: string,
    readonly expectedVersion: number,
  ) {
    super(`order ${orderId} changed concurrently (expected version ${expectedVersion})`);
  }
}

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Which event types each status accepts. */
const ALLOWED: Record<OrderStatus, readonly OrderEventType[]> = {
  PENDING: ['StockReserved', 'PaymentAuthorized', 'OrderConfirmed', 'OrderFailed', 'OrderCancelled'],
  CONFIRMED: ['PaymentCaptured'],
  FAILED: [],
  CANCELLED: [],
};

/** Applies one event to the state (no validation: events are facts). */
export function evolve(state: OrderState | undefined, event: { orderId: string; version: number } & OrderEventData): OrderState {
  if (event.type === 'OrderPlaced') {
    const { userId, lines, total, paymentMethod } = event.payload;
    return { id: event.orderId, userId, status: 'PENDING', version: event.version, lines, total, paymentMethod, stockReserved: false };
  }
  if (!state) throw new Error(`event ${event.type} before OrderPlaced on order ${event.orderId}`);
  const next: OrderState = { ...state, version: event.version };
  switch (event.type) {
    case 'StockReserved':
      return { ...next, stockReserved: true };
    case 'PaymentAuthorized':
      return { ...next, paymentIntentId: event.payload.paymentIntentId };
    case 'OrderConfirmed':
      return { ...next, status: 'CONFIRMED' };
    case 'PaymentCaptured':
      return { ...next, paymentCaptured: true };
    case 'OrderFailed':
      return { ...next, status: 'FAILED', failureReason: event.payload.reason };
    case 'OrderCancelled':
      return { ...next, status: 'CANCELLED' };
  }
}

/** The current state from the full stream, oldest first; undefined for an empty stream. */
export function rehydrate(events: readonly RecordedOrderEvent[]): OrderState | undefined {
  let state: OrderState | undefined;
  for (const event of events) state = evolve(state, event);
  return state;
}

/** Checks that `state` may take `event` next; throws OrderDomainError otherwise. */
export function assertTransition(state: OrderState, event: OrderEventData): void {
  if (event.type === 'OrderPlaced') throw new OrderDomainError('INVALID_TRANSITION', `Order ${state.id} has already been placed`);
  if (isTerminal(state.status)) {
    throw new OrderDomainError('ORDER_TERMINAL', `Order ${state.id} is ${state.status} and cannot change any more`);
  }
  if (!ALLOWED[state.status].includes(event.type)) {
    throw new OrderDomainError('INVALID_TRANSITION', `An order that is ${state.status} cannot take ${event.type}`);
  }
}

// Commands: each decides the next event from the current state (the saga will call these through the store).

export function cancel(state: OrderState, by: string, reason?: string): OrderCancelled {
  const event: OrderCancelled = { type: 'OrderCancelled', payload: reason ? { by, reason } : { by } };
  if (state.status !== 'PENDING') {
    throw new OrderDomainError(
      isTerminal(state.status) ? 'ORDER_TERMINAL' : 'INVALID_TRANSITION',
      `Only a PENDING order can be cancelled; this one is ${state.status}`,
    );
  }
  assertTransition(state, event);
  return event;
}

export function recordStockReserved(state: OrderState, reservationIds: string[]): StockReserved {
  const event: StockReserved = { type: 'StockReserved', payload: { reservationIds } };
  assertTransition(state, event);
  return event;
}

export function recordPaymentAuthorized(state: OrderState, paymentIntentId: string): PaymentAuthorized {
  const event: PaymentAuthorized = { type: 'PaymentAuthorized', payload: { paymentIntentId } };
  assertTransition(state, event);
  return event;
}

export function confirm(state: OrderState): OrderConfirmed {
  const event: OrderConfirmed = { type: 'OrderConfirmed', payload: {} };
  assertTransition(state, event);
  return event;
}

export function fail(state: OrderState, reason: string): OrderFailed {
  const event: OrderFailed = { type: 'OrderFailed', payload: { reason } };
  assertTransition(state, event);
  return event;
}
