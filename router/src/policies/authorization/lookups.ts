import type { Logger } from '@commerce/kit';
import type { EntityLookups } from './policies.js';

const PRODUCT_VENDORS = `query ProductVendors($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id vendor { id } } }
}`;
const TIMEOUT_MS = 2000;
/** Which vendor sells a product changes rarely: answers are reused for this long. */
const CACHE_TTL_MS = 30_000;
const CACHE_SIZE = 10_000;

/**
 * Entity lookups for per-entity policies, answered by the subgraph that owns the data (one `_entities`
 * request per batch, answers cached for CACHE_TTL_MS). A failed lookup denies (fails closed) and is logged.
 */
export function subgraphLookups(urlOf: (subgraph: string) => string | undefined, logger: Logger): EntityLookups {
  const known = new Map<string, { vendor: string | null; until: number }>();
  return {
    async productVendors(productIds) {
      const vendors = new Map<string, string | null>();
      const now = Date.now();
      const missing = productIds.filter((id) => {
        const hit = known.get(id);
        if (hit && hit.until > now) vendors.set(id, hit.vendor);
        return !vendors.has(id);
      });
      const url = urlOf('catalog');
      if (!url || missing.length === 0) return vendors;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: PRODUCT_VENDORS,
            variables: { representations: missing.map((id) => ({ __typename: 'Product', id })) },
          }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        const body = (await response.json()) as { data?: { _entities?: ({ id: string; vendor: { id: string } | null } | null)[] } };
        body.data?._entities?.forEach((entity, index) => {
          const vendor = entity?.vendor?.id ?? null;
          vendors.set(missing[index]!, vendor);
          if (known.size >= CACHE_SIZE) known.clear();
          known.set(missing[index]!, { vendor, until: now + CACHE_TTL_MS });
        });
      } catch (error) {
        logger.warn({ err: error }, 'authorization lookup of product vendors failed; denying');
      }
      return vendors;
    },
  };
}
