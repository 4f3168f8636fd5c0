import type { DemoData } from '@commerce/kit';
import type { InventoryDb } from './client.js';

export async function seedInventory(db: InventoryDb, data: DemoData): Promise<void> {
  await db.$transaction([
    db.warehouse.createMany({ data: data.warehouses }),
    db.inventoryItem.createMany({ data: data.products.map((product) => ({ productId: product.id, vendorId: product.vendorId })) }),
    db.stockLevel.createMany({
      data: data.stock.map(({ productId, warehouseId, onHand }) => ({ productId, warehouseId, onHand })),
    }),
  ]);
}
