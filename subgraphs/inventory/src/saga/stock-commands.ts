import {
  appendToOutbox,
  checkoutMessage,
  isCheckoutMessage,
  prismaSql,
  prismaTransactions,
  STREAMS,
  withAfterCommit,
  type EventEnvelope,
  type HookedTx,
  type ServiceEvents,
} from '@commerce/events';
import type { Logger } from '@commerce/kit';
import type { InventoryDb } from '../data/client.js';
import { commitReservationIn, releaseExpired, releaseReservationIn, reserveStockIn, type InventoryTx } from '../data/reservations.js';
import type { StockEvents } from '../data/stock-events.js';
import { defined } from '@commerce/kit';

const COMMANDS = ['inventory.reserve-stock', 'inventory.commit-stock', 'inventory.release-stock'] as const;

export interface StockCommandsOptions {
  db: InventoryDb;
  events: ServiceEvents;
  stockEvents: StockEvents;
  logger: Logger;
  /** How often expired reservations are released. */
  expirySweepMs: number;
}

/**
 * Inventory's part of the checkout saga: it carries out the saga's stock commands and answers on the `inventory`
 * stream, the reply written in the same transaction as the change and the inbox row (so a command redelivered has
 * no second effect and gets no second reply). It also releases reservations whose time ran out.
 */
export function startStockCommands(options: StockCommandsOptions): { close(): Promise<void> } {
  const { db, events, stockEvents, logger } = options;
  const transactions = withAfterCommit(prismaTransactions(db), (error) =>
    logger.warn({ err: error }, 'stock commands: after-commit work failed'),
  );
  events.consume<HookedTx<InventoryTx>>({
    streams: [STREAMS.inventoryCommands],
    transactions,
    handler: async (event, { tx, afterCommit }) => {
      if (!isCheckoutMessage(event, ...COMMANDS)) return;
      const { replies, changed } = await carryOut(tx, event);
      await appendToOutbox(prismaSql(tx), STREAMS.inventory, replies);
      afterCommit(async () => {
        events.nudge();
        for (const productId of new Set(changed)) await stockEvents.changed(productId);
      });
    },
  });
  let sweeping: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    sweeping ??= releaseExpired(db, new Date(), { events: stockEvents })
      .then(({ released }) => released.length > 0 && logger.info({ released: released.length }, 'expired stock reservations released'))
      .catch((error: unknown) => logger.warn({ err: error }, 'releasing expired reservations failed'))
      .finally(() => (sweeping = undefined));
  }, options.expirySweepMs);
  timer.unref();
  return {
    close: async () => {
      clearInterval(timer);
      await sweeping;
    },
  };
}

type Command = EventEnvelope & { type: (typeof COMMANDS)[number] };

async function carryOut(tx: InventoryTx, command: Command): Promise<{ replies: EventEnvelope[]; changed: string[] }> {
  if (isCheckoutMessage(command, 'inventory.reserve-stock')) {
    const { orderId, lines, ttlMs } = command.payload;
    const { result, changed } = await reserveStockIn(tx, { orderId, lines, ttlMs });
    const reply = !result.ok
      ? checkoutMessage('inventory.stock-reservation-failed', { orderId, reason: result.reason, productId: result.productId })
      : result.status === 'released'
        ? checkoutMessage('inventory.stock-reservation-failed', {
            orderId,
            reason: 'RELEASED',
            productId: defined(lines[0], 'a line of the order').productId,
          })
        : checkoutMessage('inventory.stock-reserved', { orderId, reservationIds: result.reservationIds });
    return { replies: [reply], changed };
  }
  if (isCheckoutMessage(command, 'inventory.commit-stock')) {
    const { orderId } = command.payload;
    const outcome = await commitReservationIn(tx, orderId);
    if (!outcome.ok)
      return { replies: [checkoutMessage('inventory.stock-commit-failed', { orderId, reason: outcome.reason })], changed: [] };
    const soldOut = await soldOutProducts(tx, outcome.changed);
    return {
      replies: [
        checkoutMessage('inventory.stock-committed', { orderId }),
        ...soldOut.map((productId) => checkoutMessage('inventory.product-sold-out', { productId })),
      ],
      changed: outcome.changed,
    };
  }
  const { orderId } = command.payload as { orderId: string }; // the one command left: release-stock
  const released = await releaseReservationIn(tx, orderId);
  return {
    replies: [checkoutMessage('inventory.stock-released', { orderId, released: released.length })],
    changed: released.map((row) => row.productId),
  };
}

/** Of `productIds`, those with nothing left to sell. */
async function soldOutProducts(tx: InventoryTx, productIds: string[]): Promise<string[]> {
  if (productIds.length === 0) return [];
  const rows = await tx.$queryRaw<{ productId: string }[]>`
    SELECT product_id::text AS "productId" FROM stock_levels
    WHERE product_id = ANY(${[...new Set(productIds)]}::uuid[])
    GROUP BY product_id HAVING sum(on_hand - reserved) <= 0`;
  return rows.map((row) => row.productId);
}
