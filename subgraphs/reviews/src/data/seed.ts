import type { DemoData } from '@commerce/kit';
import type { ReviewsDb } from './client.js';

export async function seedReviews(db: ReviewsDb, data: DemoData): Promise<void> {
  await db.$transaction([
    db.reviewableProduct.createMany({ data: data.products.map((product) => ({ id: product.id })) }),
    db.review.createMany({ data: data.reviews }),
  ]);
}
