import type { RequestContext } from '@commerce/kit';
import type { NotificationsDb } from '../data/client.js';
import type { NotificationsLoaders } from '../data/loaders.js';

export interface NotificationsContext extends RequestContext {
  db: NotificationsDb;
  loaders: NotificationsLoaders;
}
