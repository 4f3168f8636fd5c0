import { byIdLoader } from '@commerce/kit';
import type { IdentityDb } from './client.js';
import { usersByIds } from './user-store.js';

/** Fresh per request, so batching never leaks data between callers. */
export function createLoaders(db: IdentityDb) {
  return { user: byIdLoader((ids) => usersByIds(db, ids)) };
}

export type IdentityLoaders = ReturnType<typeof createLoaders>;
