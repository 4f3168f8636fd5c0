import { Connection, UserError } from '@commerce/kit';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { CHANNELS, NOTIFICATION_KINDS, type Channel, type NotificationKind as Kind } from '../domain/notification.js';

export const NotificationKind = Object.fromEntries(NOTIFICATION_KINDS.map((kind) => [kind, kind])) as { [K in Kind]: K };
registerEnumType(NotificationKind, {
  name: 'NotificationKind',
  description:
    'Buyers: ORDER_PLACED, ORDER_CONFIRMED, ORDER_FAILED, ORDER_CANCELLED. Vendors: VENDOR_ORDER_CONFIRMED, PRODUCT_SOLD_OUT ' +
    "(admins get PRODUCT_SOLD_OUT when the product's vendor is unknown).",
});

export const NotificationChannel = Object.fromEntries(CHANNELS.map((channel) => [channel, channel])) as { [C in Channel]: C };
registerEnumType(NotificationChannel, { name: 'NotificationChannel', description: 'IN_APP (always), EMAIL, SMS.' });

/** Owned by identity; notifications only contributes `notifications`. */
@Directive('@key(fields: "id")')
@ObjectType()
export class User {
  @Field(() => ID)
  id!: string;
}

/** Owned by orders: a reference only. */
@Directive('@key(fields: "id", resolvable: false)')
@ObjectType()
export class Order {
  @Field(() => ID)
  id!: string;
}

/** Owned by catalog: a reference only. */
@Directive('@key(fields: "id", resolvable: false)')
@ObjectType()
export class Product {
  @Field(() => ID)
  id!: string;
}

@ObjectType({ description: 'Something that happened to an order or a product, told to a buyer, a vendor or the admins.' })
export class Notification {
  @Field(() => ID)
  id!: string;

  @Field(() => NotificationKind)
  kind!: Kind;

  @Field()
  title!: string;

  @Field()
  body!: string;

  @Field(() => [NotificationChannel], { description: 'Where it was delivered: IN_APP, and EMAIL and/or SMS besides.' })
  channels!: Channel[];

  @Field(() => Date, { nullable: true, description: "Null while unread. A vendor's notification is read for all its staff at once." })
  readAt!: Date | null;

  @Field({ description: 'When it happened.' })
  createdAt!: Date;

  @Field(() => Order, {
    nullable: true,
    description: "The order it is about (null for a product's notification, or when the order is not visible).",
  })
  order!: Order | null;

  @Field(() => Product, { nullable: true, description: 'The product it is about (PRODUCT_SOLD_OUT).' })
  product!: Product | null;
}

@ObjectType()
export class NotificationConnection extends Connection(Notification) {}

@ObjectType()
export class MarkNotificationReadPayload {
  @Field(() => Notification, { nullable: true })
  notification?: Notification;

  // Also what puts User (and so User.notifications) in this subgraph's schema: type-graphql leaves out types that no
  // root field reaches, and kit's buildFederatedSchema takes no orphaned types.
  @Field(() => User, {
    nullable: true,
    description: 'The reader, to fetch their notifications again (e.g. the unread ones) in the same request.',
  })
  user?: User;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
