import { checkPageSize, decodeCursor, encodeCursor, type Principal } from '@commerce/kit';

/**
 * Who may see which orders, decided from the principal alone and applied inside every query (defence in
 * depth behind the router's @policy): customers their own, vendor staff the orders holding a line of their
 * vendor, admins all (or one user's, when asking about another user).
 */
export type OrderVisibility = { kind: 'owner'; userId: string } | { kind: 'vendor'; vendorId: string } | { kind: 'all' } | { kind: 'none' };

/** The orders `User(id: userId).orders` lists to `principal`. */
export function ordersOfUserVisibleTo(principal: Principal | undefined, userId: string): OrderVisibility {
  if (!principal) return { kind: 'none' };
  if (principal.role === 'admin') return userId === principal.userId ? { kind: 'all' } : { kind: 'owner', userId };
  if (userId !== principal.userId) return { kind: 'none' };
  if (principal.role === 'customer') return { kind: 'owner', userId };
  if (principal.role === 'vendor_staff' && principal.vendorId) return { kind: 'vendor', vendorId: principal.vendorId };
  return { kind: 'none' };
}

/** May `principal` see this one order? */
export function canSeeOrder(principal: Principal | undefined, order: { userId: string; vendorIds: readonly string[] }): boolean {
  if (!principal) return false;
  if (principal.role === 'admin') return true;
  if (principal.role === 'vendor_staff')
    return principal.vendorId !== undefined && principal.vendorId !== '' && order.vendorIds.includes(principal.vendorId);
  return principal.role === 'customer' && order.userId === principal.userId;
}

/** Only the buyer and admins see personal data such as the shipping address. */
export function canSeePersonalData(principal: Principal | undefined, order: { userId: string }): boolean {
  return principal?.role === 'admin' || (principal !== undefined && principal.userId === order.userId);
}

export interface OrderPageKey {
  visibility: OrderVisibility;
  first: number;
  after?: { createdAt: Date; id: string };
}

export function orderPageKey(
  visibility: OrderVisibility,
  first: number | null | undefined,
  after: string | null | undefined,
): OrderPageKey {
  return { visibility, first: checkPageSize(first ?? 10), after: after ? decodeOrderCursor(after) : undefined };
}

export function orderCursor(order: { createdAt: Date; id: string }): string {
  return encodeCursor([order.createdAt.toISOString(), order.id]);
}

function decodeOrderCursor(cursor: string): { createdAt: Date; id: string } {
  const [createdAt, id] = decodeCursor(cursor, 2);
  const at = new Date(String(createdAt));
  if (Number.isNaN(at.getTime())) return decodeCursor('', 2) as never; // throws BAD_USER_INPUT
  return { createdAt: at, id: String(id) };
}
