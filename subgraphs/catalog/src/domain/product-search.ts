import { badUserInput, checkPageSize, decodeCursor, encodeCursor, isUuid } from '@commerce/kit';

/** The rules of a product search: validated criteria, ordering and cursors. */
export interface ProductFilterInput {
  categoryId?: string | null;
  categorySlug?: string | null;
  vendorId?: string | null;
  minPrice?: string | null;
  maxPrice?: string | null;
}

export type SearchPosition = { kind: 'newest'; createdAt: Date; id: string } | { kind: 'relevance'; rank: number; id: string };

export interface ProductSearch {
  text?: string;
  categoryId?: string;
  categorySlug?: string;
  vendorId?: string;
  minPrice?: string;
  maxPrice?: string;
  first: number;
  after?: SearchPosition;
}

const DECIMAL = /^\d{1,10}(\.\d{1,2})?$/;

export const MAX_SEARCH_LENGTH = 200;

function checkId(value: string | null | undefined, field: string): string | undefined {
  if (value == null) return undefined;
  if (!isUuid(value)) throw badUserInput(`${field} is not a valid id`, ['filter', field]);
  return value;
}

function checkPrice(value: string | null | undefined, field: string): string | undefined {
  if (value == null) return undefined;
  if (!DECIMAL.test(value)) throw badUserInput(`${field} must be a decimal amount like "19.99"`, ['filter', field]);
  return value;
}

export function productSearch(args: {
  first: number;
  after?: string | null;
  search?: string | null;
  filter?: ProductFilterInput | null;
}): ProductSearch {
  const first = checkPageSize(args.first);
  const text = args.search?.trim() || undefined;
  if (text && text.length > MAX_SEARCH_LENGTH) {
    throw badUserInput(`search must be at most ${MAX_SEARCH_LENGTH} characters`, ['search']);
  }
  const filter = args.filter ?? {};
  const minPrice = checkPrice(filter.minPrice, 'minPrice');
  const maxPrice = checkPrice(filter.maxPrice, 'maxPrice');
  if (minPrice && maxPrice && Number(minPrice) > Number(maxPrice)) {
    throw badUserInput('minPrice must not be above maxPrice', ['filter', 'minPrice']);
  }
  return {
    text,
    categoryId: checkId(filter.categoryId, 'categoryId'),
    categorySlug: filter.categorySlug ?? undefined,
    vendorId: checkId(filter.vendorId, 'vendorId'),
    minPrice,
    maxPrice,
    first,
    after: args.after ? decodePosition(args.after, text !== undefined) : undefined,
  };
}

export function positionCursor(position: SearchPosition): string {
  return position.kind === 'newest'
    ? encodeCursor(['n', position.createdAt.toISOString(), position.id])
    : encodeCursor(['r', position.rank, position.id]);
}

function decodePosition(cursor: string, relevance: boolean): SearchPosition {
  const [kind, key, id] = decodeCursor(cursor, 3);
  if (relevance && kind === 'r' && typeof key === 'number' && typeof id === 'string' && isUuid(id)) {
    return { kind: 'relevance', rank: key, id };
  }
  if (!relevance && kind === 'n' && typeof key === 'string' && typeof id === 'string' && isUuid(id)) {
    const createdAt = new Date(key);
    if (!Number.isNaN(createdAt.getTime())) return { kind: 'newest', createdAt, id };
  }
  throw badUserInput('The cursor does not belong to this search', ['after']);
}
