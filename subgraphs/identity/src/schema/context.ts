import type { RequestContext } from '@commerce/kit';
import type { LogInThrottle } from '../app/log-in-throttle.js';
import type { IdentityDb } from '../data/client.js';
import type { SigningKeys } from '../data/key-store.js';
import type { IdentityLoaders } from '../data/loaders.js';

export interface IdentityContext extends RequestContext {
  db: IdentityDb;
  loaders: IdentityLoaders;
  signingKeys: SigningKeys;
  logInThrottle: LogInThrottle;
  /** The client's address (signed by the router), for log-in throttling. */
  clientAddress: string;
  /** Decides which partner client secrets are active (tests move it forward). */
  clock(): Date;
}
