import { principalHeaders, type Logger, type Principal } from '@commerce/kit';
import type { EntityLookups } from './policies.js';

const PRODUCT_VENDORS = `query ProductVendors($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id vendor { id } } }
}`;
const ORDER_BUYERS = `query OrderBuyers($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Order { id buyer { id } } }
}`;
/** Fails closed after this long; generous because an embedded subgraph under load answers slowly. */
const TIMEOUT_MS = 5000;
/** Who sells a product changes rarely, who bought an order never: answers are reused for this long. */
const CACHE_TTL_MS = 30_000;
const CACHE_SIZE = 10_000;
/** The router itself, asking a subgraph for data that only admins may read (an order's buyer). */
const ROUTER_PRINCIPAL: Principal = { userId: '00000000-0000-0000-0000-000000000000', role: 'admin', scopes: [] };

/**
 * Entity lookups for per-entity policies, answered by the subgraph that owns the data (one `_entities`
 * request per batch, answers cached for CACHE_TTL_MS). A failed lookup denies (fails closed) and is logged.
 */
export function subgraphLookups(urlOf: (subgraph: string) => string | undefined, logger: Logger, routerSecret?: string): EntityLookups {
  const productVendors = cachedLookup({
    subgraph: 'catalog',
    typename: 'Product',
    query: PRODUCT_VENDORS,
    pick: (entity) => (entity as { vendor?: { id: string } | null }).vendor?.id ?? null,
    urlOf,
    logger,
  });
  const orderBuyers = cachedLookup({
    subgraph: 'orders',
    typename: 'Order',
    query: ORDER_BUYERS,
    pick: (entity) => (entity as { buyer?: { id: string } | null }).buyer?.id ?? null,
    headers: () => (routerSecret ? principalHeaders(ROUTER_PRINCIPAL, routerSecret) : {}),
    urlOf,
    logger,
  });
  return { productVendors, orderBuyers };
}

interface LookupOptions {
  subgraph: string;
  typename: string;
  query: string;
  /** The looked-up value from one `_entities` answer. */
  pick(entity: object): string | null;
  headers?(): Record<string, string>;
  urlOf(subgraph: string): string | undefined;
  logger: Logger;
}

function cachedLookup(options: LookupOptions): (ids: readonly string[]) => Promise<Map<string, string | null>> {
  const known = new Map<string, { value: string | null; until: number }>();
  return async (ids) => {
    const values = new Map<string, string | null>();
    const now = Date.now();
    const missing = ids.filter((id) => {
      const hit = known.get(id);
      if (hit && hit.until > now) values.set(id, hit.value);
      return !values.has(id);
    });
    const url = options.urlOf(options.subgraph);
    if (!url || missing.length === 0) return values;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers?.() },
        body: JSON.stringify({
          query: options.query,
          variables: { representations: missing.map((id) => ({ __typename: options.typename, id })) },
        }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const body = (await response.json()) as { data?: { _entities?: (object | null)[] } };
      body.data?._entities?.forEach((entity, index) => {
        const value = entity ? options.pick(entity) : null;
        values.set(missing[index]!, value);
        if (known.size >= CACHE_SIZE) known.clear();
        known.set(missing[index]!, { value, until: now + CACHE_TTL_MS });
      });
    } catch (error) {
      options.logger.warn({ err: error, subgraph: options.subgraph }, `authorization lookup of ${options.typename} failed; denying`);
    }
    return values;
  };
}
