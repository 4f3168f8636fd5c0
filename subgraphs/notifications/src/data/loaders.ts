import DataLoader from 'dataloader';
import type { NotificationPageKey } from '../domain/notification.js';
import type { NotificationsDb } from './client.js';
import { notificationPages } from './notification-store.js';

const pageKey = (key: NotificationPageKey) =>
  JSON.stringify([key.recipients, key.unreadOnly, key.first, key.after?.createdAt.toISOString(), key.after?.id]);

/** Fresh per request, so batching never leaks data between callers. */
export function createLoaders(db: NotificationsDb) {
  return {
    notificationPage: new DataLoader((keys: readonly NotificationPageKey[]) => notificationPages(db, keys), { cacheKeyFn: pageKey }),
  };
}

export type NotificationsLoaders = ReturnType<typeof createLoaders>;
