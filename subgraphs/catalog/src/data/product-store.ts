import { appendToOutbox, prismaSql, productPriceChanged, STREAMS } from '@commerce/events';
import { Prisma } from '../generated/prisma/client.js';
import type { CategoryRecord, ProductRecord, VendorRecord } from '../domain/product.js';
import type { ProductSearch, SearchPosition } from '../domain/product-search.js';
import type { CatalogDb } from './client.js';

type ProductRow = Prisma.ProductGetPayload<object>;

export function toProductRecord(row: ProductRow): ProductRecord {
  return {
    id: row.id,
    vendorId: row.vendorId,
    categoryId: row.categoryId,
    name: row.name,
    description: row.description,
    price: { amount: row.priceAmount.toFixed(2), currencyCode: row.currencyCode },
    createdAt: row.createdAt,
  };
}

export interface SearchHit {
  product: ProductRecord;
  position: SearchPosition;
}

/**
 * One page of a product search in two statements: matching ids in order (full-text match on the GIN-indexed
 * tsvector, ranked when searching, newest first otherwise), then the rows. Fetches `first + 1` to know
 * whether a next page exists.
 */
export async function searchProducts(db: CatalogDb, search: ProductSearch): Promise<SearchHit[]> {
  const conditions: Prisma.Sql[] = [Prisma.sql`TRUE`];
  const query = search.text ? Prisma.sql`websearch_to_tsquery('english', ${search.text})` : undefined;
  if (query) conditions.push(Prisma.sql`p.search @@ ${query}`);
  if (search.categoryId) conditions.push(Prisma.sql`p.category_id = ${search.categoryId}::uuid`);
  if (search.categorySlug) {
    conditions.push(Prisma.sql`p.category_id = (SELECT id FROM categories WHERE slug = ${search.categorySlug})`);
  }
  if (search.vendorId) conditions.push(Prisma.sql`p.vendor_id = ${search.vendorId}::uuid`);
  if (search.minPrice) conditions.push(Prisma.sql`p.price_amount >= ${search.minPrice}::numeric`);
  if (search.maxPrice) conditions.push(Prisma.sql`p.price_amount <= ${search.maxPrice}::numeric`);
  const rank = query ? Prisma.sql`ts_rank(p.search, ${query})::real` : Prisma.sql`0::real`;
  const after = search.after;
  if (after?.kind === 'relevance') conditions.push(Prisma.sql`(${rank}, p.id) < (${after.rank}::real, ${after.id}::uuid)`);
  if (after?.kind === 'newest') {
    conditions.push(Prisma.sql`(p.created_at, p.id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
  }
  const order = query ? Prisma.sql`rank DESC, p.id DESC` : Prisma.sql`p.created_at DESC, p.id DESC`;
  const matches = await db.$queryRaw<{ id: string; rank: number }[]>`
    SELECT p.id::text AS id, ${rank} AS rank FROM products p
    WHERE ${Prisma.join(conditions, ' AND ')}
    ORDER BY ${order}
    LIMIT ${search.first + 1}`;
  if (matches.length === 0) return [];
  const rows = await db.product.findMany({ where: { id: { in: matches.map((match) => match.id) } } });
  const byId = new Map(rows.map((row) => [row.id, toProductRecord(row)]));
  return matches.flatMap((match) => {
    const product = byId.get(match.id);
    if (!product) return [];
    const position: SearchPosition = query
      ? { kind: 'relevance', rank: Number(match.rank), id: product.id }
      : { kind: 'newest', createdAt: product.createdAt, id: product.id };
    return [{ product, position }];
  });
}

export async function listCategories(db: CatalogDb): Promise<CategoryRecord[]> {
  return db.category.findMany({ orderBy: { name: 'asc' } });
}

export async function productsByIds(db: CatalogDb, ids: readonly string[]): Promise<ProductRecord[]> {
  return (await db.product.findMany({ where: { id: { in: [...ids] } } })).map(toProductRecord);
}

export async function categoriesByIds(db: CatalogDb, ids: readonly string[]): Promise<CategoryRecord[]> {
  return db.category.findMany({ where: { id: { in: [...ids] } } });
}

export async function vendorsByIds(db: CatalogDb, ids: readonly string[]): Promise<VendorRecord[]> {
  return db.vendor.findMany({ where: { id: { in: [...ids] } } });
}

/**
 * Sets a product's price and writes the price-changed event to the outbox, in one transaction: the row lock orders
 * concurrent changes, and their events carry increasing versions. Returns undefined for an unknown product; the
 * same price again changes nothing and writes no event.
 */
export async function changePrice(
  db: CatalogDb,
  productId: string,
  amount: string,
): Promise<{ product: ProductRecord; changed: boolean } | undefined> {
  return db.$transaction(async (tx) => {
    const [current] = await tx.$queryRaw<{ price_amount: string }[]>`
      SELECT price_amount::text AS price_amount FROM products WHERE id = ${productId}::uuid FOR UPDATE`;
    if (!current) return undefined;
    if (current.price_amount === amount) {
      return { product: toProductRecord(await tx.product.findUniqueOrThrow({ where: { id: productId } })), changed: false };
    }
    const row = await tx.product.update({
      where: { id: productId },
      data: { priceAmount: amount, priceVersion: { increment: 1 } },
    });
    const product = toProductRecord(row);
    await appendToOutbox(prismaSql(tx), STREAMS.catalog, [
      productPriceChanged({ productId, vendorId: row.vendorId, price: product.price, priceVersion: row.priceVersion }),
    ]);
    return { product, changed: true };
  });
}
