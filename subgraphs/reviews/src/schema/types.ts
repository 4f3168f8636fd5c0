import { Connection, UserError } from '@commerce/kit';
import { Directive, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';

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

@ObjectType()
export class Review {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: '1 to 5 stars.' })
  rating!: number;

  @Field()
  body!: string;

  @Field()
  createdAt!: Date;

  // resolved to entity references by ReviewResolver
  productId!: string;
  authorId!: string;
}

@ObjectType()
export class ReviewConnection extends Connection(Review) {}

@ObjectType()
export class RatingSummary {
  @Field(() => Float, { nullable: true, description: 'Mean rating, two decimals; null without reviews.' })
  average!: number | null;

  @Field(() => Int)
  count!: number;
}

@InputType()
export class AddReviewInput {
  @Field(() => ID)
  productId!: string;

  @Field(() => Int, { description: '1 to 5 stars.' })
  rating!: number;

  @Field()
  body!: string;
}

@ObjectType()
export class AddReviewPayload {
  @Field(() => Review, { nullable: true })
  review?: Review;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
