import { Money, UserError } from '@commerce/kit';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

/** The GraphQL names of the domain's statuses (the values are the domain's). */
export enum PaymentIntentStatus {
  REQUIRES_AUTHORIZATION = 'requires_authorization',
  AUTHORIZED = 'authorized',
  CAPTURED = 'captured',
  VOIDED = 'voided',
  REFUNDED = 'refunded',
  FAILED = 'failed',
}

registerEnumType(PaymentIntentStatus, {
  name: 'PaymentIntentStatus',
  description: 'REQUIRES_AUTHORIZATION -> AUTHORIZED -> CAPTURED -> REFUNDED; AUTHORIZED -> VOIDED; a failed authorization -> FAILED.',
});

/** Owned by the orders subgraph; payments only contributes `payment`. */
@Directive('@key(fields: "id")')
@ObjectType()
export class Order {
  @Field(() => ID)
  id!: string;
}

@ObjectType({ description: 'The payment of one order. Card data is never stored: `method` is the payment method token.' })
export class PaymentIntent {
  @Field(() => ID)
  id!: string;

  @Field(() => PaymentIntentStatus)
  status!: PaymentIntentStatus;

  @Field(() => Money)
  amount!: Money;

  @Field({ description: 'The payment method token, e.g. "pm_card_ok".' })
  method!: string;

  @Field(() => String, { nullable: true, description: 'Why the authorization failed (FAILED only), e.g. CARD_DECLINED.' })
  failureReason!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Order, { description: 'The order this payment is for.' })
  order!: Order;
}

@ObjectType()
export class RefundPaymentPayload {
  @Field(() => PaymentIntent, { nullable: true })
  payment?: PaymentIntent;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
