import type { DemoData } from '@commerce/kit';
import type { OrdersDb } from './client.js';

/** Embedded mode: the price read model starts as catalog's demo prices. Carts and orders start empty. */
export async function seedOrders(db: OrdersDb, data: DemoData): Promise<void> {
  await db.productPrice.createMany({
    data: data.products.map((product) => ({
      productId: product.id,
      vendorId: product.vendorId,
      priceAmount: product.priceAmount,
      currencyCode: product.currencyCode,
    })),
  });
}
