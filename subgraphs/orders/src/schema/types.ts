import { Connection, Money, UserError } from '@commerce/kit';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ORDER_STATUSES, type OrderStatus as OrderStatusValue } from '../domain/order.js';
import type { SealedValue } from '../domain/encryption.js';

export const OrderStatus = Object.fromEntries(ORDER_STATUSES.map((status) => [status, status])) as { [S in OrderStatusValue]: S };
registerEnumType(OrderStatus, {
  name: 'OrderStatus',
  description: 'PENDING until the checkout saga confirms (CONFIRMED) or fails (FAILED) the order; CANCELLED by the buyer while PENDING.',
});

@Directive('@key(fields: "id")')
@ObjectType()
export class Product {
  @Field(() => ID)
  id!: string;
}

@Directive('@key(fields: "id")')
@ObjectType()
export class User {
  @Field(() => ID)
  id!: string;
}

@ObjectType({ description: 'A product in the cart at its current price.' })
export class CartLine {
  @Field(() => Product)
  product!: Product;

  @Field(() => Int)
  quantity!: number;

  @Field(() => Money)
  unitPrice!: Money;

  @Field(() => Money)
  lineTotal!: Money;
}

@ObjectType({ description: "The signed-in customer's cart." })
export class Cart {
  // resolved by CartResolver
  userId!: string;
}

@ObjectType()
export class OrderLine {
  @Field(() => Product)
  product!: Product;

  @Field(() => Int)
  quantity!: number;

  @Field(() => Money, { description: 'The price when the order was placed.' })
  unitPrice!: Money;

  @Field(() => Money)
  lineTotal!: Money;
}

@ObjectType({ description: "One event of the order's history, oldest first." })
export class OrderEvent {
  @Field({ description: 'OrderPlaced, StockReserved, PaymentAuthorized, OrderConfirmed, OrderFailed or OrderCancelled.' })
  type!: string;

  @Field(() => Int)
  version!: number;

  @Field()
  at!: Date;
}

@ObjectType()
export class ShippingAddress {
  @Field()
  name!: string;

  @Field()
  line1!: string;

  @Field(() => String, { nullable: true })
  line2?: string | null;

  @Field()
  city!: string;

  @Field()
  postalCode!: string;

  @Field({ description: 'ISO 3166-1 alpha-2' })
  country!: string;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'Visible to its buyer, admins, and staff of a vendor with a line in it.' })
export class Order {
  @Field(() => ID)
  id!: string;

  @Field(() => OrderStatus)
  status!: OrderStatusValue;

  @Field(() => Money)
  total!: Money;

  @Field(() => String, {
    nullable: true,
    description:
      'Why a FAILED order failed: OUT_OF_STOCK, PAYMENT_DECLINED, PAYMENT_FAILED, STOCK_RESERVATION_TIMEOUT, PAYMENT_TIMEOUT or STOCK_RESERVATION_EXPIRED; null otherwise.',
  })
  failureReason?: string | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;

  // resolved by OrderResolver
  userId!: string;
  sealedShippingAddress!: SealedValue;
}

@ObjectType()
export class OrderConnection extends Connection(Order) {}

@InputType()
export class AddToCartInput {
  @Field(() => ID)
  productId!: string;

  @Field(() => Int, { description: '1 to 99; added to the quantity already in the cart (at most 99 per product).' })
  quantity!: number;
}

@InputType()
export class ShippingAddressInput {
  @Field()
  name!: string;

  @Field()
  line1!: string;

  @Field(() => String, { nullable: true })
  line2?: string | null;

  @Field()
  city!: string;

  @Field()
  postalCode!: string;

  @Field({ description: 'ISO 3166-1 alpha-2, e.g. "NL"' })
  country!: string;
}

@InputType()
export class CheckoutInput {
  @Field({
    description:
      'Chosen by the client per checkout attempt (8-100 printable ASCII characters, e.g. a UUID); a retry with the same input returns the same order.',
  })
  idempotencyKey!: string;

  @Field({ description: 'pm_card_ok, pm_card_declined, pm_card_slow or pm_card_flaky (the fake provider).' })
  paymentMethod!: string;

  @Field(() => ShippingAddressInput)
  shippingAddress!: ShippingAddressInput;
}

@ObjectType()
export class CartPayload {
  @Field(() => Cart, { nullable: true })
  cart?: Cart;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class CheckoutPayload {
  @Field(() => Order, { nullable: true })
  order?: Order;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class OrderPayload {
  @Field(() => Order, { nullable: true })
  order?: Order;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
