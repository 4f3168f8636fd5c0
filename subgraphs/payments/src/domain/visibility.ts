import type { Principal } from '@commerce/kit';
import type { PaymentIntentRecord } from './payment-intent.js';

/**
 * Who may see an order's payment, decided here as well as by the router's `order_owner_or_admin` policy (defence in
 * depth): the buyer and admins. Vendor staff never do; an intent whose buyer payments was never told is for admins.
 */
export function canSeePayment(principal: Principal | undefined, intent: Pick<PaymentIntentRecord, 'customerId'>): boolean {
  if (!principal) return false;
  if (principal.role === 'admin') return true;
  return intent.customerId !== null && intent.customerId === principal.userId.toLowerCase();
}
