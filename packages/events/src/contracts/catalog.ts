import { newEvent, type EventEnvelope } from '../envelope.js';
import type { MoneyPayload } from './checkout.js';

/** Catalog's product events (stream `catalog`); the aggregate is the product, its version the price version. */
export const CATALOG_EVENTS = { productPriceChanged: 'catalog.product-price-changed' } as const;

export interface ProductPriceChanged {
  productId: string;
  vendorId: string;
  /** The new price: a decimal string with two places, and the currency. */
  price: MoneyPayload;
  /** Counts the product's price changes (1 is the price it was listed with): readers keep the highest. */
  priceVersion: number;
}

export function productPriceChanged(payload: ProductPriceChanged): EventEnvelope<ProductPriceChanged> {
  return newEvent({
    type: CATALOG_EVENTS.productPriceChanged,
    aggregateType: 'Product',
    aggregateId: payload.productId,
    version: payload.priceVersion,
    payload,
    tenantId: payload.vendorId,
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A price-changed event whose payload keeps the contract (anything else is refused by its readers). */
export function isProductPriceChanged(event: EventEnvelope): event is EventEnvelope<ProductPriceChanged> {
  if (event.type !== CATALOG_EVENTS.productPriceChanged) return false;
  const payload = event.payload as Partial<ProductPriceChanged> | null; // checked field by field below
  return (
    typeof payload === 'object' &&
    payload !== null &&
    typeof payload.productId === 'string' &&
    UUID.test(payload.productId) &&
    typeof payload.vendorId === 'string' &&
    UUID.test(payload.vendorId) &&
    typeof payload.price?.amount === 'string' &&
    /^\d{1,10}\.\d{2}$/.test(payload.price.amount) &&
    typeof payload.price.currencyCode === 'string' &&
    /^[A-Z]{3}$/.test(payload.price.currencyCode) &&
    Number.isInteger(payload.priceVersion) &&
    (payload.priceVersion ?? 0) >= 1
  );
}
