import type { Principal } from '@commerce/kit';

/**
 * The functions behind `@policy(policies: [["name"]])`. A policy first decides from the principal alone;
 * when the answer depends on which entity the field belongs to, it says `per-entity` and is asked again
 * with the keys of those entities: on a root field the key comes from an argument (decided before the
 * operation runs, so a refused mutation never executes), elsewhere from the nearest ancestor of the entity
 * type in the response (the router adds the key field to the operation and decides before answering).
 */
export type PrincipalDecision = boolean | 'per-entity';

/** Data a per-entity decision may need from the graph, fetched in one batch per request. */
export interface EntityLookups {
  /** The vendor id of each product (null for an unknown product). */
  productVendors(productIds: readonly string[]): Promise<Map<string, string | null>>;
  /** The buyer (user id) of each order (null for an unknown order). */
  orderBuyers(orderIds: readonly string[]): Promise<Map<string, string | null>>;
}

export interface Policy {
  decide(principal: Principal | undefined): PrincipalDecision;
  /** Where the entity key comes from, for `per-entity` decisions. */
  entity?: {
    type: string;
    keyField: string;
    /** Argument path holding the key when the policy guards a root field, e.g. `['input', 'productId']`. */
    argument?: readonly string[];
  };
  /** The keys (of `entity`) for which the principal is allowed. */
  allowedKeys?(principal: Principal, keys: readonly string[], lookups: EntityLookups): Promise<Set<string>>;
}

export type PolicyRegistry = Record<string, Policy>;

export const POLICIES: PolicyRegistry = {
  /** The user themself or an admin: `User.email`. */
  self_or_admin: {
    decide: (principal) => (principal === undefined ? false : principal.role === 'admin' ? true : 'per-entity'),
    entity: { type: 'User', keyField: 'id' },
    allowedKeys: async (principal, keys) => new Set(keys.filter((id) => id === principal.userId)),
  },
  /** Staff of the vendor selling the product, or an admin: stock details, adjustStock. */
  vendor_owns_product: {
    decide: (principal) => {
      if (principal?.role === 'admin') return true;
      return principal?.role === 'vendor_staff' && principal.vendorId ? 'per-entity' : false;
    },
    entity: { type: 'Product', keyField: 'id', argument: ['input', 'productId'] },
    allowedKeys: async (principal, keys, lookups) => {
      const vendors = await lookups.productVendors(keys);
      // Only a known product of the principal's vendor: an unknown product (null) and a failed lookup (no entry)
      // deny, so a value that is not a product id can never pass for one.
      return new Set(keys.filter((id) => Boolean(principal.vendorId) && vendors.get(id) === principal.vendorId));
    },
  },
  /** The order's buyer or an admin: `orderUpdated(orderId)`. An unknown order is refused like someone else's. */
  order_owner_or_admin: {
    decide: (principal) => (principal === undefined ? false : principal.role === 'admin' ? true : 'per-entity'),
    entity: { type: 'Order', keyField: 'id', argument: ['orderId'] },
    allowedKeys: async (principal, keys, lookups) => {
      const buyers = await lookups.orderBuyers(keys);
      return new Set(keys.filter((id) => buyers.get(id) === principal.userId));
    },
  },
  /** Admins only, for admin fields. */
  admin: { decide: (principal) => principal?.role === 'admin' },
};
