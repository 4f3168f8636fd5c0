import { Money, pageFromRows, requireRole, userError, type Principal, type ReferenceResolvers, defined } from '@commerce/kit';
import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { addToCart, removeFromCart } from '../data/cart-store.js';
import { findByIdempotencyKey, placeOrder, type OrderRecord } from '../data/order-store.js';
import { cartFull, lineTotal, quantityOutOfRange, validateAddToCart } from '../domain/cart.js';
import { requestHash, validateCheckout } from '../domain/checkout.js';
import { addressContext } from '../domain/encryption.js';
import { sum } from '../domain/money.js';
import { OrderConcurrencyError, OrderDomainError } from '../domain/order.js';
import { NotCancellableError } from '../domain/saga.js';
import { canSeeOrder, canSeePersonalData, orderCursor, orderPageKey, ordersOfUserVisibleTo } from '../domain/visibility.js';
import type { OrdersContext } from './context.js';
import {
  AddToCartInput,
  Cart,
  CartLine,
  CartPayload,
  CheckoutInput,
  CheckoutPayload,
  Order,
  OrderConnection,
  OrderEvent,
  OrderLine,
  OrderPayload,
  Product,
  ShippingAddress,
  User,
} from './types.js';

const cartOf = (principal: Principal): Cart => ({ userId: principal.userId });
const orderNotFound = () => userError('ORDER_NOT_FOUND', 'No such order', ['orderId']);

@Resolver(() => Cart)
export class CartResolver {
  @Directive('@authenticated')
  @Directive('@requiresScopes(scopes: [["orders:write"]])')
  @Query(() => Cart, { description: "The signed-in customer's cart (scope orders:write)." })
  cart(@Ctx() ctx: OrdersContext): Cart {
    return cartOf(requireRole(ctx.principal, 'customer'));
  }

  @FieldResolver(() => [CartLine], { description: 'Oldest first.' })
  async lines(@Root() cart: Cart, @Ctx() ctx: OrdersContext): Promise<CartLine[]> {
    const lines = await ctx.loaders.cartLines.load(cart.userId);
    return lines.map((line) => ({
      product: { id: line.productId },
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      lineTotal: lineTotal(line),
    }));
  }

  @FieldResolver(() => Money, { nullable: true, description: 'Sum of the lines at current prices; null when the cart is empty.' })
  async subtotal(@Root() cart: Cart, @Ctx() ctx: OrdersContext): Promise<Money | null> {
    const lines = await ctx.loaders.cartLines.load(cart.userId);
    if (lines.length === 0) return null;
    const currency = defined(lines[0], 'a line of the cart').unitPrice.currencyCode;
    if (lines.some((line) => line.unitPrice.currencyCode !== currency)) return null;
    return sum(lines.map(lineTotal), currency);
  }

  @FieldResolver(() => Int, { description: 'Units over all lines.' })
  async itemCount(@Root() cart: Cart, @Ctx() ctx: OrdersContext): Promise<number> {
    return (await ctx.loaders.cartLines.load(cart.userId)).reduce((count, line) => count + line.quantity, 0);
  }

  @Directive('@authenticated')
  @Directive('@requiresScopes(scopes: [["orders:write"]])')
  @Mutation(() => CartPayload, { description: 'Signed-in customers (scope orders:write). Adds to the quantity already in the cart.' })
  async addToCart(@Arg('input') input: AddToCartInput, @Ctx() ctx: OrdersContext): Promise<CartPayload> {
    const principal = requireRole(ctx.principal, 'customer');
    const invalid = validateAddToCart(input);
    if (invalid.length) return { userErrors: invalid };
    if (!(await ctx.loaders.price.load(input.productId))) {
      return { userErrors: [userError('PRODUCT_NOT_FOUND', 'No such product', ['input', 'productId'])] };
    }
    const result = await addToCart(ctx.db, principal.userId, input.productId, input.quantity);
    if (result === 'QUANTITY_OUT_OF_RANGE') return { userErrors: [quantityOutOfRange()] };
    if (result === 'CART_FULL') return { userErrors: [cartFull()] };
    ctx.loaders.cartLines.clear(principal.userId);
    return { cart: cartOf(principal), userErrors: [] };
  }

  @Directive('@authenticated')
  @Directive('@requiresScopes(scopes: [["orders:write"]])')
  @Mutation(() => CartPayload, { description: 'Signed-in customers (scope orders:write). Removes the whole line.' })
  async removeFromCart(@Arg('productId', () => ID) productId: string, @Ctx() ctx: OrdersContext): Promise<CartPayload> {
    const principal = requireRole(ctx.principal, 'customer');
    if (!(await ctx.loaders.cartLines.load(principal.userId)).some((line) => line.productId === productId)) {
      return { userErrors: [userError('NOT_IN_CART', 'This product is not in the cart', ['productId'])] };
    }
    if (!(await removeFromCart(ctx.db, principal.userId, productId))) {
      return { userErrors: [userError('NOT_IN_CART', 'This product is not in the cart', ['productId'])] };
    }
    ctx.loaders.cartLines.clear(principal.userId);
    return { cart: cartOf(principal), userErrors: [] };
  }
}

@Resolver(() => Order)
export class OrderResolver {
  @Directive('@authenticated')
  @Directive('@requiresScopes(scopes: [["orders:read"], ["orders:write"]])')
  @Query(() => Order, {
    nullable: true,
    description:
      'One order: for its buyer, staff of a vendor with a line in it (who see only their lines) and admins; null for ' +
      'anyone else, as for an order that does not exist.',
  })
  order(@Arg('id', () => ID) id: string, @Ctx() ctx: OrdersContext): Promise<OrderRecord | null> {
    return visibleOrder(ctx, id);
  }

  @Directive('@authenticated')
  @Directive('@requiresScopes(scopes: [["orders:write"]])')
  @Mutation(() => CheckoutPayload, {
    description:
      'Signed-in customers (scope orders:write): turns the cart into a PENDING order and empties the cart. The same ' +
      'idempotencyKey with the same input returns the same order; with other input, IDEMPOTENCY_KEY_REUSED.',
  })
  async checkout(@Arg('input') input: CheckoutInput, @Ctx() ctx: OrdersContext): Promise<CheckoutPayload> {
    const principal = requireRole(ctx.principal, 'customer');
    const invalid = validateCheckout(input);
    if (invalid.length) return { userErrors: invalid };
    const hash = requestHash(input);
    const replay = (order: OrderRecord): CheckoutPayload =>
      order.requestHash === hash
        ? { order, userErrors: [] }
        : {
            userErrors: [
              userError('IDEMPOTENCY_KEY_REUSED', 'This idempotencyKey was already used for a checkout with other input', [
                'input',
                'idempotencyKey',
              ]),
            ],
          };
    const previous = await findByIdempotencyKey(ctx.db, principal.userId, input.idempotencyKey);
    if (previous) return replay(previous);
    const result = await placeOrder(ctx.db, ctx.keyring, principal.userId, input, hash, (tx, order) => ctx.saga.begin(tx, order));
    if ('existing' in result) return replay(result.existing);
    if ('error' in result) {
      const messages = {
        CART_EMPTY: 'The cart is empty',
        PRODUCT_UNAVAILABLE: 'A product in the cart is no longer sold',
        CURRENCY_MISMATCH: 'The cart holds products priced in different currencies',
      } as const;
      return { userErrors: [userError(result.error, messages[result.error])] };
    }
    ctx.loaders.cartLines.clear(principal.userId);
    await ctx.saga.announce({ orderId: result.placed.id, version: result.placed.version });
    return { order: result.placed, userErrors: [] };
  }

  @Directive('@authenticated')
  @Directive('@requiresScopes(scopes: [["orders:write"]])')
  @Mutation(() => OrderPayload, { description: 'The buyer (or an admin), while the order is PENDING (scope orders:write).' })
  async cancelOrder(@Arg('orderId', () => ID) orderId: string, @Ctx() ctx: OrdersContext): Promise<OrderPayload> {
    const principal = requireRole(ctx.principal, 'customer', 'admin');
    const order = await ctx.loaders.order.load(orderId);
    if (!order || (principal.role !== 'admin' && order.userId !== principal.userId)) return { userErrors: [orderNotFound()] };
    try {
      await ctx.saga.cancel(orderId, principal.userId);
    } catch (error) {
      if (error instanceof NotCancellableError) return { userErrors: [userError('ORDER_NOT_CANCELLABLE', error.message, ['orderId'])] };
      if (error instanceof OrderDomainError) {
        const code = error.code === 'ORDER_NOT_FOUND' ? 'ORDER_NOT_FOUND' : 'ORDER_NOT_CANCELLABLE';
        return { userErrors: [userError(code, error.message, ['orderId'])] };
      }
      if (error instanceof OrderConcurrencyError) {
        return { userErrors: [userError('ORDER_CHANGED_CONCURRENTLY', 'The order changed meanwhile; try again', ['orderId'])] };
      }
      throw error;
    }
    ctx.loaders.order.clear(orderId);
    ctx.loaders.orderEvents.clear(orderId);
    return { order: (await ctx.loaders.order.load(orderId)) ?? undefined, userErrors: [] };
  }

  @FieldResolver(() => [OrderLine], { description: 'Vendor staff see only the lines of their own vendor.' })
  async lines(@Root() order: Order, @Ctx() ctx: OrdersContext): Promise<OrderLine[]> {
    const principal = ctx.principal;
    const lines = await ctx.loaders.orderLines.load(order.id);
    const visible = principal?.role === 'vendor_staff' ? lines.filter((line) => line.vendorId === principal.vendorId) : lines;
    return visible.map((line) => ({
      product: { id: line.productId },
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      lineTotal: lineTotal(line),
    }));
  }

  @FieldResolver(() => [OrderEvent], { description: 'Every event of the order, oldest first.' })
  async history(@Root() order: Order, @Ctx() ctx: OrdersContext): Promise<OrderEvent[]> {
    return (await ctx.loaders.orderEvents.load(order.id)).map((event) => ({
      type: event.type,
      version: event.version,
      at: event.occurredAt,
    }));
  }

  @FieldResolver(() => User, { nullable: true, description: 'The buyer and admins only (null for vendor staff).' })
  buyer(@Root() order: Order, @Ctx() ctx: OrdersContext): User | null {
    return canSeePersonalData(ctx.principal, order) ? { id: order.userId } : null;
  }

  @FieldResolver(() => ShippingAddress, { nullable: true, description: 'The buyer and admins only (null for vendor staff).' })
  shippingAddress(@Root() order: Order, @Ctx() ctx: OrdersContext): ShippingAddress | null {
    if (!canSeePersonalData(ctx.principal, order)) return null;
    return JSON.parse(ctx.keyring.open(order.sealedShippingAddress, addressContext(order.id))) as ShippingAddress;
  }
}

@Resolver(() => User)
export class UserOrdersResolver {
  @Directive('@authenticated')
  @Directive('@requiresScopes(scopes: [["orders:read"], ["orders:write"]])')
  @Directive('@policy(policies: [["self_or_admin"]])')
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  @FieldResolver(() => OrderConnection, {
    description:
      "Newest first. Customers: their own orders; vendor staff: orders with a product of their vendor; admins: all (or this user's).",
  })
  async orders(
    @Root() user: User,
    @Ctx() ctx: OrdersContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 10 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<OrderConnection> {
    const key = orderPageKey(ordersOfUserVisibleTo(ctx.principal, user.id), first, after);
    const rows = await ctx.loaders.orderPage.load(key);
    for (const row of rows) ctx.loaders.order.prime(row.id, row);
    return pageFromRows(rows, key.first, Boolean(after), orderCursor, (row) => row);
  }
}

/** The order if `ctx.principal` may see it, else null (whether or not it exists). */
async function visibleOrder(ctx: OrdersContext, id: string): Promise<OrderRecord | null> {
  const order = await ctx.loaders.order.load(id);
  if (!order) return null;
  const vendorIds =
    ctx.principal?.role === 'vendor_staff' ? (await ctx.loaders.orderLines.load(order.id)).map((line) => line.vendorId) : [];
  return canSeeOrder(ctx.principal, { userId: order.userId, vendorIds }) ? order : null;
}

/** Order references are checked against the principal: anyone else gets null, never another customer's order. */
function resolveOrderReference(reference: unknown, context: unknown): Promise<OrderRecord | null> {
  return visibleOrder(context as OrdersContext, String((reference as { id: unknown }).id));
}

export const referenceResolvers: ReferenceResolvers = {
  Order: { __resolveReference: resolveOrderReference },
  // Orders only adds fields to these entities: the reference itself is all it needs.
  Product: { __resolveReference: (ref) => ({ id: (ref as Product).id }) },
  User: { __resolveReference: (ref) => ({ id: (ref as User).id }) },
};
