import type { Principal } from '@commerce/kit';
import type { AuthorizationPlan } from './policies/authorization/plan.js';

/** Per-request context of the router; the policies read and write it. */
export interface RouterContext {
  principal?: Principal;
  /** The client's address (behind the proxies TRUST_PROXY trusts, see client-address.ts); the rate limit's key for anonymous callers. */
  clientAddress?: string;
  /**
   * performance.now() time by which the request must be answered (ROUTER_REQUEST_TIMEOUT_MS after it arrived):
   * no subgraph fetch starts or runs past it. Unset for a subscription's event fetches.
   */
  deadline?: number;
  /** Set by demand control before planning; the rate limiter weighs the request by it. */
  estimatedCost?: number;
  /** Set by demand control once the response is known (lists counted as returned). */
  actualCost?: number;
  /** Set by the authorization policy when it rewrote the operation; applied to the gateway's result. */
  authorization?: AuthorizationPlan;
}
