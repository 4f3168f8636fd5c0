import { checkPageSize, decodeCursor, encodeCursor, isUuid, userError, type UserError } from '@commerce/kit';

/** Review rules, independent of GraphQL and Prisma. */
export interface ReviewRecord {
  id: string;
  productId: string;
  authorId: string;
  rating: number;
  body: string;
  createdAt: Date;
}

export interface RatingSummaryRecord {
  average: number | null;
  count: number;
}

export const MAX_BODY_LENGTH = 5000;

export interface NewReview {
  productId: string;
  rating: number;
  body: string;
}

export function validateReview(input: NewReview): UserError[] {
  const errors: UserError[] = [];
  if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5) {
    errors.push(userError('RATING_OUT_OF_RANGE', 'rating must be a whole number from 1 to 5', ['input', 'rating']));
  }
  const body = input.body.trim();
  if (body.length === 0) errors.push(userError('BODY_REQUIRED', 'Write a few words about the product', ['input', 'body']));
  if (body.length > MAX_BODY_LENGTH) {
    errors.push(userError('BODY_TOO_LONG', `body must be at most ${MAX_BODY_LENGTH} characters`, ['input', 'body']));
  }
  if (!isUuid(input.productId)) errors.push(userError('PRODUCT_NOT_FOUND', 'No such product', ['input', 'productId']));
  return errors;
}

export function summarizeRatings(count: number, sum: number): RatingSummaryRecord {
  return { count, average: count === 0 ? null : Math.round((sum / count) * 100) / 100 };
}

/** A page request of the reviews of one product or one author, newest first. */
export interface ReviewPageKey {
  ownerId: string;
  first: number;
  after?: { createdAt: Date; id: string };
}

export function reviewPageKey(ownerId: string, first: number | null | undefined, after: string | null | undefined): ReviewPageKey {
  return { ownerId, first: checkPageSize(first ?? 10), after: after ? decodeReviewCursor(after) : undefined };
}

export function reviewCursor(review: ReviewRecord): string {
  return encodeCursor([review.createdAt.toISOString(), review.id]);
}

function decodeReviewCursor(cursor: string): { createdAt: Date; id: string } {
  const [createdAt, id] = decodeCursor(cursor, 2);
  return { createdAt: new Date(String(createdAt)), id: String(id) };
}
