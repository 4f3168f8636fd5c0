import type { RequestContext } from '@commerce/kit';
import type { IdentityDb } from '../data/client.js';
import type { IdentityLoaders } from '../data/loaders.js';

export interface IdentityContext extends RequestContext {
  db: IdentityDb;
  loaders: IdentityLoaders;
}
