import DataLoader from 'dataloader';
import type { ReviewPageKey } from '../domain/review.js';
import type { ReviewsDb } from './client.js';
import { ratingSummaries, reviewPages } from './review-store.js';

const pageKey = (key: ReviewPageKey) => JSON.stringify([key.ownerId, key.first, key.after?.createdAt.toISOString(), key.after?.id]);

/** Fresh per request, so batching never leaks data between callers. */
export function createLoaders(db: ReviewsDb) {
  return {
    reviewsOfProduct: new DataLoader((keys: readonly ReviewPageKey[]) => reviewPages(db, 'product', keys), { cacheKeyFn: pageKey }),
    reviewsOfAuthor: new DataLoader((keys: readonly ReviewPageKey[]) => reviewPages(db, 'author', keys), { cacheKeyFn: pageKey }),
    rating: new DataLoader((productIds: readonly string[]) => ratingSummaries(db, productIds)),
  };
}

export type ReviewsLoaders = ReturnType<typeof createLoaders>;
