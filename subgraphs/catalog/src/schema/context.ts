import type { ServiceEvents } from '@commerce/events';
import type { RequestContext } from '@commerce/kit';
import type { CatalogDb } from '../data/client.js';
import type { CatalogLoaders } from '../data/loaders.js';

export interface CatalogContext extends RequestContext {
  db: CatalogDb;
  loaders: CatalogLoaders;
  events: Pick<ServiceEvents, 'nudge'>;
}
