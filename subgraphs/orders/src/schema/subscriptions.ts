import { badUserInput, isUuid, unauthenticated } from '@commerce/kit';
import { GraphQLError } from 'graphql';
import { Arg, Ctx, Directive, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { OrderUpdate } from '../data/order-updates.js';
import type { OrderRecord } from '../data/order-store.js';
import type { OrdersContext } from './context.js';
import { Order } from './types.js';

@Resolver()
export class OrderSubscriptionResolver {
  // The router subscribes on behalf of its clients and enforces the owner-or-admin policy itself (the policy is
  // decided from the orderId argument); its connections carry its own signed admin principal. Here, as defence in
  // depth, only that principal, an admin or the buyer may follow an order: an unsigned connection gets nothing.
  @Directive('@authenticated')
  @Directive('@policy(policies: [["order_owner_or_admin"]])')
  @Subscription(() => Order, {
    description: 'The order as it is now, then after every change (checkout saga steps, cancellation). Its buyer and admins only.',
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, { orderId: string }, OrdersContext>) => {
      if (!isUuid(args.orderId)) throw badUserInput('orderId is not a valid id', ['orderId']);
      if (!context.principal) throw unauthenticated();
      const order = await context.loaders.order.load(args.orderId);
      if (!order || (context.principal.role !== 'admin' && order.userId !== context.principal.userId)) {
        throw new GraphQLError('No such order', { extensions: { code: 'NOT_FOUND' } }); // another's order is not told apart
      }
      return context.updates.follow(args.orderId);
    },
  })
  async orderUpdated(
    @Root() update: OrderUpdate,
    @Arg('orderId', () => ID) _orderId: string,
    @Ctx() ctx: OrdersContext,
  ): Promise<OrderRecord> {
    const order = await ctx.loaders.order.load(update.orderId);
    if (!order) throw new GraphQLError('No such order', { extensions: { code: 'NOT_FOUND' } });
    return order;
  }
}
