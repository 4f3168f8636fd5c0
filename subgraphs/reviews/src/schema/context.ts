import type { RequestContext } from '@commerce/kit';
import type { ReviewsDb } from '../data/client.js';
import type { ReviewsLoaders } from '../data/loaders.js';

export interface ReviewsContext extends RequestContext {
  db: ReviewsDb;
  loaders: ReviewsLoaders;
}
