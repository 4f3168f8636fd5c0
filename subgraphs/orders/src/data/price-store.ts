import type { ProductPriceChanged } from '@commerce/events';
import type { OrdersTx } from './client.js';

/**
 * Applies catalog's price change to orders' price read model, unless the row already holds this version or a
 * newer one (events of one product may arrive out of order after a retry). A product orders did not know yet is
 * added. Returns whether the row changed.
 */
export async function applyPriceChange(tx: OrdersTx, change: ProductPriceChanged): Promise<boolean> {
  const changed = await tx.$executeRaw`
    INSERT INTO product_prices (product_id, vendor_id, price_amount, currency_code, price_version, updated_at)
    VALUES (${change.productId}::uuid, ${change.vendorId}::uuid, ${change.price.amount}::numeric, ${change.price.currencyCode},
            ${change.priceVersion}, CURRENT_TIMESTAMP)
    ON CONFLICT (product_id) DO UPDATE SET
      vendor_id = EXCLUDED.vendor_id, price_amount = EXCLUDED.price_amount, currency_code = EXCLUDED.currency_code,
      price_version = EXCLUDED.price_version, updated_at = EXCLUDED.updated_at
    WHERE product_prices.price_version < EXCLUDED.price_version`;
  return changed > 0;
}
