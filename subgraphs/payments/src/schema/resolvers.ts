import { requireRole, userError, type ReferenceResolvers } from '@commerce/kit';
import { Arg, Ctx, Directive, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { PaymentError, type PaymentIntentRecord } from '../domain/payment-intent.js';
import { canSeePayment } from '../domain/visibility.js';
import type { PaymentsContext } from './context.js';
import { Order, PaymentIntent, PaymentIntentStatus, RefundPaymentPayload } from './types.js';

export function toGraphQL(intent: PaymentIntentRecord): PaymentIntent {
  return {
    id: intent.id,
    status: intent.status as PaymentIntentStatus,
    amount: { amount: intent.amount, currencyCode: intent.currency },
    method: intent.paymentMethod,
    failureReason: intent.failureReason,
    createdAt: intent.createdAt,
    order: { id: intent.orderId },
  };
}

@Resolver(() => Order)
export class OrderPaymentResolver {
  @Directive('@authenticated')
  @Directive('@policy(policies: [["order_owner_or_admin"]])')
  @FieldResolver(() => PaymentIntent, {
    nullable: true,
    description:
      "The order's payment, for its buyer and admins (null for anyone else, vendor staff included); null before checkout starts one.",
  })
  async payment(@Root() order: Order, @Ctx() ctx: PaymentsContext): Promise<PaymentIntent | null> {
    const intent = await ctx.loaders.intentByOrder.load(order.id);
    return intent && canSeePayment(ctx.principal, intent) ? toGraphQL(intent) : null;
  }

  @Directive('@authenticated')
  @Directive('@requiresScopes(scopes: [["admin"]])')
  @Mutation(() => RefundPaymentPayload, { description: 'Admins: refunds a captured payment in full. Idempotent.' })
  async refundPayment(@Arg('orderId', () => ID) orderId: string, @Ctx() ctx: PaymentsContext): Promise<RefundPaymentPayload> {
    requireRole(ctx.principal, 'admin');
    try {
      return { payment: toGraphQL(await ctx.payments.refundPayment(orderId)), userErrors: [] };
    } catch (error) {
      if (error instanceof PaymentError) return { userErrors: [userError(error.code, error.message, ['orderId'])] };
      throw error;
    }
  }
}

export const referenceResolvers: ReferenceResolvers = {
  // Payments only adds a field to Order: the reference itself is all it needs.
  Order: { __resolveReference: (ref) => ({ id: (ref as Order).id }) },
};
