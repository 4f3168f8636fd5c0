import { randomUUID } from 'node:crypto';
import { isUuid, defined } from '@commerce/kit';
import { Prisma } from '../generated/prisma/client.js';
import type { CheckoutRequest } from '../domain/checkout.js';
import { normalizeAddress } from '../domain/checkout.js';
import { addressContext, packSealed, unpackSealed, type Keyring, type SealedValue } from '../domain/encryption.js';
import { sum, times } from '../domain/money.js';
import {
  evolve,
  OrderConcurrencyError,
  OrderDomainError,
  rehydrate,
  type OrderEventData,
  type OrderLineRecord,
  type OrderPlaced,
  type OrderState,
  type OrderStatus,
  type RecordedOrderEvent,
} from '../domain/order.js';
import type { OrderPageKey, OrderVisibility } from '../domain/visibility.js';
import type { OrdersDb, OrdersTx } from './client.js';

/** A row of the `orders` projection, as the rest of the subgraph sees it. */
export interface OrderRecord {
  id: string;
  userId: string;
  status: OrderStatus;
  version: number;
  total: { amount: string; currencyCode: string };
  failureReason: string | null;
  paymentMethod: string;
  sealedShippingAddress: SealedValue;
  requestHash: string;
  createdAt: Date;
  updatedAt: Date;
}

type OrderRow = Prisma.OrderGetPayload<object>;

function toRecord(row: OrderRow): OrderRecord {
  return {
    id: row.id,
    userId: row.userId,
    status: row.status as OrderStatus,
    version: row.version,
    total: { amount: row.totalAmount.toFixed(2), currencyCode: row.currencyCode },
    failureReason: row.failureReason,
    paymentMethod: row.paymentMethod,
    sealedShippingAddress: unpackSealed(row.shippingAddressKeyId, row.shippingAddressEncrypted),
    requestHash: row.requestHash,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const isUniqueViolation = (error: unknown) => error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';

// ---- reads (batched by the loaders) ----

export async function ordersByIds(db: OrdersDb, ids: readonly string[]): Promise<OrderRecord[]> {
  return (await db.order.findMany({ where: { id: { in: [...ids] } } })).map(toRecord);
}

export async function linesOfOrders(db: OrdersDb, orderIds: readonly string[]): Promise<(OrderLineRecord & { orderId: string })[]> {
  const valid = orderIds.filter(isUuid);
  if (!valid.length) return [];
  const rows = await db.orderLine.findMany({ where: { orderId: { in: valid } }, orderBy: [{ orderId: 'asc' }, { productId: 'asc' }] });
  return rows.map((row) => ({
    orderId: row.orderId,
    productId: row.productId,
    vendorId: row.vendorId,
    quantity: row.quantity,
    unitPrice: { amount: row.unitPriceAmount.toFixed(2), currencyCode: row.currencyCode },
  }));
}

export async function eventsOfOrders(db: OrdersDb | OrdersTx, orderIds: readonly string[]): Promise<RecordedOrderEvent[]> {
  const valid = orderIds.filter(isUuid);
  if (!valid.length) return [];
  const rows = await db.orderEvent.findMany({ where: { orderId: { in: valid } }, orderBy: [{ orderId: 'asc' }, { version: 'asc' }] });
  return rows.map(
    (row) =>
      ({
        id: row.id,
        orderId: row.orderId,
        version: row.version,
        type: row.type,
        payload: row.payload,
        occurredAt: row.occurredAt,
      }) as RecordedOrderEvent,
  );
}

function visibilityFilter(visibility: OrderVisibility): Prisma.OrderWhereInput | undefined {
  switch (visibility.kind) {
    case 'owner':
      return isUuid(visibility.userId) ? { userId: visibility.userId } : undefined;
    case 'vendor':
      return isUuid(visibility.vendorId) ? { lines: { some: { vendorId: visibility.vendorId } } } : undefined;
    case 'all':
      return {};
    case 'none':
      return undefined;
  }
}

/** Pages of orders newest first; the visibility is part of every query, so no caller can forget it. */
export async function orderPages(db: OrdersDb, keys: readonly OrderPageKey[]): Promise<OrderRecord[][]> {
  return Promise.all(
    keys.map(async ({ visibility, first, after }) => {
      const visible = visibilityFilter(visibility);
      if (!visible || first === 0) return [];
      const cursor: Prisma.OrderWhereInput = after
        ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
        : {};
      const rows = await db.order.findMany({
        where: { AND: [visible, cursor] },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: first + 1,
      });
      return rows.map(toRecord);
    }),
  );
}

export async function findByIdempotencyKey(db: OrdersDb, userId: string, idempotencyKey: string): Promise<OrderRecord | undefined> {
  const row = await db.order.findUnique({ where: { userId_idempotencyKey: { userId, idempotencyKey } } });
  return row ? toRecord(row) : undefined;
}

// ---- writes ----

export type PlaceOrderResult =
  | { placed: OrderRecord }
  | { existing: OrderRecord }
  | { error: 'CART_EMPTY' | 'PRODUCT_UNAVAILABLE' | 'CURRENCY_MISMATCH' };

/**
 * Checkout's write: in one transaction, turns the user's cart into a PENDING order (the `OrderPlaced`
 * event at version 1, the projection and its lines) and empties the cart. The cart row is locked first, so
 * two checkouts of one cart never both take its lines; an order already placed with the same idempotency
 * key (found after the lock, or by the unique index) is returned as `existing`.
 */
export async function placeOrder(
  db: OrdersDb,
  keyring: Keyring,
  userId: string,
  request: CheckoutRequest,
  requestHash: string,
  /** Runs in the same transaction once the order exists (the checkout saga starts there). */
  begin?: (tx: OrdersTx, order: OrderState) => Promise<void>,
): Promise<PlaceOrderResult> {
  try {
    return await db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT user_id FROM carts WHERE user_id = ${userId}::uuid FOR UPDATE`;
      const already = await tx.order.findUnique({ where: { userId_idempotencyKey: { userId, idempotencyKey: request.idempotencyKey } } });
      if (already) return { existing: toRecord(already) };
      const cart = await tx.cartLine.findMany({ where: { userId }, orderBy: [{ addedAt: 'asc' }, { productId: 'asc' }] });
      if (cart.length === 0) return { error: 'CART_EMPTY' as const };
      const prices = new Map(
        (await tx.productPrice.findMany({ where: { productId: { in: cart.map((line) => line.productId) } } })).map((row) => [
          row.productId,
          row,
        ]),
      );
      if (cart.some((line) => !prices.has(line.productId))) return { error: 'PRODUCT_UNAVAILABLE' as const };
      const lines: OrderLineRecord[] = cart.map((line) => {
        const price = defined(prices.get(line.productId), `the price of ${line.productId}`);
        return {
          productId: line.productId,
          vendorId: price.vendorId,
          quantity: line.quantity,
          unitPrice: { amount: price.priceAmount.toFixed(2), currencyCode: price.currencyCode },
        };
      });
      const currencyCode = defined(lines[0], 'a line of the cart').unitPrice.currencyCode;
      if (lines.some((line) => line.unitPrice.currencyCode !== currencyCode)) return { error: 'CURRENCY_MISMATCH' as const };
      const total = sum(
        lines.map((line) => ({ amount: times(line.unitPrice.amount, line.quantity), currencyCode })),
        currencyCode,
      );
      const orderId = randomUUID();
      const sealed = keyring.seal(JSON.stringify(normalizeAddress(request.shippingAddress)), addressContext(orderId));
      const placed: OrderPlaced = {
        type: 'OrderPlaced',
        payload: { userId, lines, total, paymentMethod: request.paymentMethod, shippingAddress: sealed },
      };
      const now = new Date();
      const row = await tx.order.create({
        data: {
          id: orderId,
          userId,
          status: 'PENDING',
          totalAmount: total.amount,
          currencyCode,
          version: 1,
          paymentMethod: request.paymentMethod,
          shippingAddressKeyId: sealed.keyId,
          shippingAddressEncrypted: packSealed(sealed),
          idempotencyKey: request.idempotencyKey,
          requestHash,
          createdAt: now,
          updatedAt: now,
          lines: {
            createMany: {
              data: lines.map((line) => ({
                productId: line.productId,
                vendorId: line.vendorId,
                quantity: line.quantity,
                unitPriceAmount: line.unitPrice.amount,
                currencyCode: line.unitPrice.currencyCode,
              })),
            },
          },
        },
      });
      await tx.orderEvent.create({
        data: {
          id: randomUUID(),
          orderId,
          version: 1,
          type: placed.type,
          payload: placed.payload,
          occurredAt: now,
        },
      });
      await tx.cartLine.deleteMany({ where: { userId } });
      await begin?.(tx, evolve(undefined, { ...placed, orderId, version: 1 }));
      return { placed: toRecord(row) };
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // a concurrent checkout with the same key won the unique (user_id, idempotency_key)
    const existing = await findByIdempotencyKey(db, userId, request.idempotencyKey);
    if (!existing) throw error;
    return { existing };
  }
}

/** Rebuilds an order from its event stream (the source of truth); undefined when there is none. */
export async function loadOrder(db: OrdersDb | OrdersTx, orderId: string): Promise<OrderState | undefined> {
  return isUuid(orderId) ? rehydrate(await eventsOfOrders(db, [orderId])) : undefined;
}

/**
 * Appends `event` after `state` (at `state.version + 1`) and updates the projection, in one transaction.
 * If another writer appended first, the unique (order_id, version) or the projection's version check
 * refuses it and nothing is written: OrderConcurrencyError. Callers re-load and decide again
 * (`changeOrder` does that).
 */
export async function appendOrderEvent(
  db: OrdersDb,
  state: OrderState,
  event: OrderEventData,
): Promise<{ state: OrderState; event: RecordedOrderEvent }> {
  try {
    return await db.$transaction((tx) => appendOrderEventIn(tx, state, event));
  } catch (error) {
    if (isUniqueViolation(error)) throw new OrderConcurrencyError(state.id, state.version);
    throw error;
  }
}

/** `appendOrderEvent` inside the caller's transaction (the saga appends, writes its row and the outbox at once). */
export async function appendOrderEventIn(
  tx: OrdersTx,
  state: OrderState,
  event: OrderEventData,
): Promise<{ state: OrderState; event: RecordedOrderEvent }> {
  const version = state.version + 1;
  const recorded = { ...event, id: randomUUID(), orderId: state.id, version, occurredAt: new Date() } as RecordedOrderEvent;
  const next = evolve(state, recorded);
  await tx.orderEvent.create({
    data: {
      id: recorded.id,
      orderId: state.id,
      version,
      type: event.type,
      payload: event.payload,
      occurredAt: recorded.occurredAt,
    },
  });
  const { count } = await tx.order.updateMany({
    where: { id: state.id, version: state.version },
    data: { status: next.status, version, updatedAt: recorded.occurredAt, failureReason: next.failureReason ?? null },
  });
  if (count !== 1) throw new OrderConcurrencyError(state.id, state.version);
  return { state: next, event: recorded };
}

/**
 * The way to change an order (cancelOrder now, the saga later): loads the order from its events, lets
 * `decide` pick the next event (a domain command such as `cancel`, `confirm`, `fail`; it throws
 * OrderDomainError to refuse), and appends it. On a concurrent append it re-loads and decides again, up to
 * `attempts` times, so a change is never lost and never applied twice on stale state.
 */
export async function changeOrder(
  db: OrdersDb,
  orderId: string,
  decide: (state: OrderState) => OrderEventData,
  attempts = 3,
): Promise<{ state: OrderState; event: RecordedOrderEvent }> {
  for (let attempt = 1; ; attempt += 1) {
    const state = await loadOrder(db, orderId);
    if (!state) throw new OrderDomainError('ORDER_NOT_FOUND', 'No such order');
    try {
      return await appendOrderEvent(db, state, decide(state));
    } catch (error) {
      if (!(error instanceof OrderConcurrencyError) || attempt >= attempts) throw error;
    }
  }
}
