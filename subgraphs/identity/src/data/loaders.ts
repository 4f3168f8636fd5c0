import { byIdLoader, groupLoader } from '@commerce/kit';
import type { IdentityDb } from './client.js';
import { secretsOfClients } from './partner-store.js';
import { usersByIds } from './user-store.js';

/** Fresh per request, so batching never leaks data between callers. */
export function createLoaders(db: IdentityDb) {
  return {
    user: byIdLoader((ids) => usersByIds(db, ids)),
    /** A partner client's secrets (never their hashes), oldest first. */
    clientSecrets: groupLoader(
      (ids: readonly string[]) => secretsOfClients(db, ids),
      (secret) => secret.partnerClientId,
    ),
  };
}

export type IdentityLoaders = ReturnType<typeof createLoaders>;
