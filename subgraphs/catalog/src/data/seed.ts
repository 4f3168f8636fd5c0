import type { DemoData } from '@commerce/kit';
import type { CatalogDb } from './client.js';

export async function seedCatalog(db: CatalogDb, data: DemoData): Promise<void> {
  await db.$transaction([
    db.vendor.createMany({ data: data.vendors }),
    db.category.createMany({ data: data.categories }),
    db.product.createMany({
      data: data.products.map(({ priceAmount, ...product }) => ({ ...product, priceAmount })),
    }),
  ]);
}
