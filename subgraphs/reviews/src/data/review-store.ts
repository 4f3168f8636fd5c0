import { isUuid, defined } from '@commerce/kit';
import { Prisma } from '../generated/prisma/client.js';
import type { NewReview, RatingSummaryRecord, ReviewPageKey, ReviewRecord } from '../domain/review.js';
import { summarizeRatings } from '../domain/review.js';
import type { ReviewsDb } from './client.js';

const OWNER_COLUMN = { product: Prisma.sql`product_id`, author: Prisma.sql`author_id` } as const;

/**
 * The newest reviews of many products (or authors) at once: one windowed query per distinct (first, after),
 * fetching `first + 1` per owner so each page knows whether there is more.
 */
export async function reviewPages(
  db: ReviewsDb,
  owner: keyof typeof OWNER_COLUMN,
  keys: readonly ReviewPageKey[],
): Promise<ReviewRecord[][]> {
  const column = OWNER_COLUMN[owner];
  const pageOf = (key: ReviewPageKey) => JSON.stringify([key.first, key.after?.createdAt.toISOString(), key.after?.id]);
  const groups = new Map<string, ReviewPageKey[]>();
  for (const key of keys) groups.set(pageOf(key), [...(groups.get(pageOf(key)) ?? []), key]);
  const found = new Map<string, ReviewRecord[]>();
  for (const [page, group] of groups) {
    const { first, after } = defined(group[0], 'a page key');
    const owners = group.map((key) => key.ownerId).filter(isUuid);
    if (owners.length === 0 || first === 0) continue;
    const afterCondition = after ? Prisma.sql`AND (created_at, id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)` : Prisma.empty;
    const rows = await db.$queryRaw<(ReviewRecord & { ownerId: string })[]>`
      SELECT id::text AS id, product_id::text AS "productId", author_id::text AS "authorId", rating, body,
             created_at AS "createdAt", owner_id AS "ownerId"
      FROM (
        SELECT r.*, ${column}::text AS owner_id,
               row_number() OVER (PARTITION BY ${column} ORDER BY created_at DESC, id DESC) AS position
        FROM reviews r
        WHERE ${column} IN (${Prisma.join(owners.map((id) => Prisma.sql`${id}::uuid`))}) ${afterCondition}
      ) ranked
      WHERE position <= ${first + 1}
      ORDER BY owner_id, position`;
    for (const { ownerId, ...review } of rows) {
      const slot = `${page}|${ownerId}`;
      found.set(slot, [...(found.get(slot) ?? []), { ...review, createdAt: new Date(review.createdAt) }]);
    }
  }
  return keys.map((key) => found.get(`${pageOf(key)}|${key.ownerId}`) ?? []);
}

export async function ratingSummaries(db: ReviewsDb, productIds: readonly string[]): Promise<RatingSummaryRecord[]> {
  const valid = productIds.filter(isUuid);
  const rows = valid.length
    ? await db.review.groupBy({ by: ['productId'], where: { productId: { in: valid } }, _count: { _all: true }, _sum: { rating: true } })
    : [];
  const byProduct = new Map(rows.map((row) => [row.productId, summarizeRatings(row._count._all, row._sum.rating ?? 0)]));
  return productIds.map((id) => byProduct.get(id) ?? summarizeRatings(0, 0));
}

export async function productExists(db: ReviewsDb, productId: string): Promise<boolean> {
  return (await db.reviewableProduct.count({ where: { id: productId } })) > 0;
}

export async function hasReviewed(db: ReviewsDb, productId: string, authorId: string): Promise<boolean> {
  return (await db.review.count({ where: { productId, authorId } })) > 0;
}

export type CreateResult = { review: ReviewRecord } | { duplicate: true };

export async function createReview(db: ReviewsDb, input: NewReview, authorId: string): Promise<CreateResult> {
  try {
    const review = await db.review.create({
      data: { productId: input.productId, authorId, rating: input.rating, body: input.body.trim() },
    });
    return { review };
  } catch (error) {
    // the unique (product, author) index is the last line against a double submit
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return { duplicate: true };
    throw error;
  }
}
