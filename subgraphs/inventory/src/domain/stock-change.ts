import { badUserInput, isUuid } from '@commerce/kit';

/** What `stockChanged` subscribers get after a product's stock changed: the new total, over all warehouses. */
export interface StockChangeEvent {
  productId: string;
  /** Units that can be sold now, over all warehouses, after the change. */
  available: number;
  /** ISO 8601 time of the change. */
  at: string;
}

/** The pub/sub topic every inventory instance publishes stock changes on and subscribers follow. */
export const STOCK_CHANGED_TOPIC = 'inventory.stock-changed';

export function stockChangeEvent(productId: string, stock: { available: number }, at = new Date()): StockChangeEvent {
  return { productId, available: stock.available, at: at.toISOString() };
}

/** Payloads come from the wire (Redis): only well-formed events reach subscribers. */
export function isStockChangeEvent(payload: unknown): payload is StockChangeEvent {
  if (typeof payload !== 'object' || payload === null) return false;
  const event = payload as Record<string, unknown>;
  return typeof event.productId === 'string' && Number.isInteger(event.available) && typeof event.at === 'string';
}

/** The product id a subscription follows: a malformed one is the caller's mistake. */
export function checkProductId(productId: string): string {
  if (!isUuid(productId)) throw badUserInput('productId is not a valid id', ['productId']);
  return productId;
}
