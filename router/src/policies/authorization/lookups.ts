import type { Logger } from '@commerce/kit';
import type { EntityLookups } from './policies.js';

const PRODUCT_VENDORS = `query ProductVendors($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id vendor { id } } }
}`;
const TIMEOUT_MS = 2000;

/**
 * Entity lookups for per-entity policies, answered by the subgraph that owns the data (one `_entities`
 * request per batch). A failed lookup denies (fails closed) and is logged.
 */
export function subgraphLookups(urlOf: (subgraph: string) => string | undefined, logger: Logger): EntityLookups {
  return {
    async productVendors(productIds) {
      const vendors = new Map<string, string | null>();
      const url = urlOf('catalog');
      if (!url || productIds.length === 0) return vendors;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: PRODUCT_VENDORS,
            variables: { representations: productIds.map((id) => ({ __typename: 'Product', id })) },
          }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        const body = (await response.json()) as { data?: { _entities?: ({ id: string; vendor: { id: string } | null } | null)[] } };
        body.data?._entities?.forEach((entity, index) => vendors.set(productIds[index]!, entity?.vendor?.id ?? null));
      } catch (error) {
        logger.warn({ err: error }, 'authorization lookup of product vendors failed; denying');
      }
      return vendors;
    },
  };
}
