import { Arg, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { checkProductId, type StockChangeEvent } from '../domain/stock-change.js';
import type { InventoryContext } from './context.js';
import { StockChange } from './types.js';

@Resolver()
export class StockSubscriptionResolver {
  // Stock availability is public: anyone may subscribe. The iterator comes from the pub/sub port, filtered
  // by product, so type-graphql's own PubSub is not involved.
  @Subscription(() => StockChange, {
    description: "Pushed after every change of the product's stock (adjustments, reservations, releases). Anyone may subscribe.",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, { productId: string }, InventoryContext>) =>
      context.stockEvents.follow(checkProductId(args.productId)),
  })
  stockChanged(@Root() event: StockChangeEvent, @Arg('productId', () => ID) _productId: string): StockChange {
    return { product: { id: event.productId }, available: event.available, at: event.at };
  }
}
