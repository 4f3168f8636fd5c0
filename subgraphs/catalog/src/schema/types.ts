import { Connection, Money, UserError } from '@commerce/kit';
import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A vendor on the marketplace (the identity subgraph calls it a tenant).' })
export class Vendor {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  slug!: string;

  @Field()
  description!: string;
}

@ObjectType()
export class Category {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  slug!: string;
}

@Directive('@key(fields: "id")')
@ObjectType()
export class Product {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  description!: string;

  @Field(() => Money)
  price!: Money;

  @Field({ description: 'When the product was listed (ISO 8601).' })
  createdAt!: Date;

  // resolved by ProductResolver from these keys
  categoryId!: string;
  vendorId!: string;
}

@ObjectType()
export class ProductConnection extends Connection(Product) {}

@InputType({ description: 'All given conditions must hold.' })
export class ProductFilter {
  @Field(() => ID, { nullable: true })
  categoryId?: string;

  @Field({ nullable: true })
  categorySlug?: string;

  @Field(() => ID, { nullable: true })
  vendorId?: string;

  @Field({ nullable: true, description: 'Lowest price, a decimal string such as "10.00".' })
  minPrice?: string;

  @Field({ nullable: true, description: 'Highest price, a decimal string such as "99.99".' })
  maxPrice?: string;
}

@InputType()
export class ChangeProductPriceInput {
  @Field(() => ID)
  productId!: string;

  @Field({ description: 'The new price, a decimal string with at most two decimals, such as "19.99".' })
  amount!: string;

  @Field({ description: 'ISO 4217 code: the currency the product is sold in.' })
  currencyCode!: string;
}

@ObjectType()
export class ChangeProductPricePayload {
  @Field(() => Product, { nullable: true })
  product?: Product;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
