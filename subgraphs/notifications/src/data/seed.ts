import type { DemoData } from '@commerce/kit';
import type { NotificationsDb } from './client.js';

/** Embedded mode: the product -> vendor read model starts as catalog's demo products. Notifications start empty. */
export async function seedNotifications(db: NotificationsDb, data: DemoData): Promise<void> {
  await db.productVendor.createMany({ data: data.products.map((product) => ({ productId: product.id, vendorId: product.vendorId })) });
}
