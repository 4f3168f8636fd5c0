import type { Logger, PubSub } from '@commerce/kit';

/** The pub/sub topic every orders instance publishes order changes on (`orderUpdated` subscriptions follow it). */
export const ORDER_UPDATED_TOPIC = 'orders.order-updated';

export interface OrderUpdate {
  orderId: string;
  version: number;
}

function isOrderUpdate(payload: unknown): payload is OrderUpdate {
  if (typeof payload !== 'object' || payload === null) return false;
  const update = payload as Record<string, unknown>;
  return typeof update.orderId === 'string' && Number.isInteger(update.version);
}

/**
 * Live order changes over the pub/sub port. Whatever changes an order (checkout, the saga, a cancellation) calls
 * `changed` after its transaction committed. A subscriber first gets the order as it is, then every change, so a
 * change between reading the order and subscribing is never missed.
 */
export function createOrderUpdates({ pubsub, logger }: { pubsub: PubSub; logger: Logger }) {
  return {
    /** Never throws: the change is committed; a lost live update only means subscribers miss it. */
    async changed(update: OrderUpdate): Promise<void> {
      try {
        await pubsub.publish(ORDER_UPDATED_TOPIC, update);
      } catch (error) {
        logger.warn({ err: error, orderId: update.orderId }, 'order update not published; live subscribers miss it');
      }
    },

    /** The order now (version 0 stands for "as it is"), then its changes; resolves once subscribed. */
    async follow(orderId: string): Promise<AsyncIterableIterator<OrderUpdate>> {
      const id = orderId.toLowerCase();
      const subscription = pubsub.subscribe(ORDER_UPDATED_TOPIC, {
        filter: (payload) => isOrderUpdate(payload) && payload.orderId === id,
      });
      await subscription.ready;
      return startingWith({ orderId: id, version: 0 }, subscription as AsyncIterableIterator<OrderUpdate>); // filtered above
    },
  };
}

export type OrderUpdates = ReturnType<typeof createOrderUpdates>;

/** `first`, then whatever `rest` yields; `return()` closes `rest` at once. */
function startingWith<T>(first: T, rest: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  let started = false;
  return {
    async next() {
      if (!started) {
        started = true;
        return { value: first, done: false };
      }
      return rest.next();
    },
    async return() {
      await rest.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
