import { pageFromRows, requireRole, userError, type ReferenceResolvers } from '@commerce/kit';
import { Arg, Ctx, Directive, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import { createReview, hasReviewed, productExists } from '../data/review-store.js';
import { reviewCursor, reviewPageKey, validateReview, type ReviewRecord } from '../domain/review.js';
import type { ReviewsContext } from './context.js';
import { AddReviewInput, AddReviewPayload, Product, RatingSummary, Review, ReviewConnection, User } from './types.js';

function connection(rows: ReviewRecord[], first: number, after: string | null | undefined): ReviewConnection {
  return pageFromRows(rows, first, Boolean(after), reviewCursor, (row) => row);
}

@Resolver(() => Product)
export class ProductReviewsResolver {
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  // Nullable, as rating: if reviews cannot answer, the router returns the rest of the product (graceful degradation).
  @FieldResolver(() => ReviewConnection, {
    nullable: true,
    description: 'Newest first. Null only when the reviews service cannot answer: the rest of the product still comes back.',
  })
  async reviews(
    @Root() product: Product,
    @Ctx() ctx: ReviewsContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 10 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<ReviewConnection> {
    const key = reviewPageKey(product.id, first, after);
    return connection(await ctx.loaders.reviewsOfProduct.load(key), key.first, after);
  }

  @FieldResolver(() => RatingSummary, {
    nullable: true,
    description: 'Null only when the reviews service cannot answer: the rest of the product still comes back.',
  })
  rating(@Root() product: Product, @Ctx() ctx: ReviewsContext) {
    return ctx.loaders.rating.load(product.id);
  }

  @Directive('@authenticated')
  @Directive('@requiresScopes(scopes: [["reviews:write"]])')
  @Mutation(() => AddReviewPayload, { description: 'Signed-in customers (scope reviews:write); one review per product.' })
  async addReview(@Arg('input') input: AddReviewInput, @Ctx() ctx: ReviewsContext): Promise<AddReviewPayload> {
    const principal = requireRole(ctx.principal, 'customer');
    const invalid = validateReview(input);
    if (invalid.length) return { userErrors: invalid };
    if (!(await productExists(ctx.db, input.productId))) {
      return { userErrors: [userError('PRODUCT_NOT_FOUND', 'No such product', ['input', 'productId'])] };
    }
    const duplicate = userError('ALREADY_REVIEWED', 'You have already reviewed this product', ['input', 'productId']);
    if (await hasReviewed(ctx.db, input.productId, principal.userId)) return { userErrors: [duplicate] };
    const result = await createReview(ctx.db, input, principal.userId);
    return 'review' in result ? { review: result.review, userErrors: [] } : { userErrors: [duplicate] };
  }
}

@Resolver(() => User)
export class UserReviewsResolver {
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  @FieldResolver(() => ReviewConnection, { description: 'Newest first.' })
  async reviews(
    @Root() user: User,
    @Ctx() ctx: ReviewsContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 10 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<ReviewConnection> {
    const key = reviewPageKey(user.id, first, after);
    return connection(await ctx.loaders.reviewsOfAuthor.load(key), key.first, after);
  }
}

@Resolver(() => Review)
export class ReviewResolver {
  @FieldResolver(() => User)
  author(@Root() review: Review): User {
    return { id: review.authorId };
  }

  @FieldResolver(() => Product)
  product(@Root() review: Review): Product {
    return { id: review.productId };
  }
}

export const referenceResolvers: ReferenceResolvers = {
  // Reviews only adds fields to these entities: the reference itself is all it needs.
  Product: { __resolveReference: (ref) => ({ id: (ref as Product).id }) },
  User: { __resolveReference: (ref) => ({ id: (ref as User).id }) },
};
