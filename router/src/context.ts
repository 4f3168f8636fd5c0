import type { Principal } from '@commerce/kit';

/** Per-request context of the router; the policies read and write it. */
export interface RouterContext {
  principal?: Principal;
}
