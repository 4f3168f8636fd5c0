/** What the catalog knows about a product, independent of GraphQL and Prisma. */
export interface ProductRecord {
  id: string;
  vendorId: string;
  categoryId: string;
  name: string;
  description: string;
  price: { amount: string; currencyCode: string };
  createdAt: Date;
}

export interface CategoryRecord {
  id: string;
  name: string;
  slug: string;
}

export interface VendorRecord {
  id: string;
  name: string;
  slug: string;
  description: string;
}

/** Highest price a product may have: the column is DECIMAL(12, 2). */
const MAX_PRICE_CENTS = 10n ** 12n - 1n;

/**
 * A new price for `product`, normalised to two decimal places, or why it is refused. The currency stays the one the
 * product is listed in: carts and orders add prices up in one currency.
 */
export function checkNewPrice(
  product: Pick<ProductRecord, 'price'>,
  input: { amount: string; currencyCode: string },
): { amount: string } | { code: 'INVALID_PRICE' | 'CURRENCY_MISMATCH'; message: string; field: string } {
  const match = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(input.amount.trim());
  if (!match)
    return { code: 'INVALID_PRICE', message: 'Price must be a decimal amount with at most two decimals, such as "19.99"', field: 'amount' };
  const cents = BigInt(match[1] ?? '') * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
  if (cents <= 0n || cents > MAX_PRICE_CENTS)
    return { code: 'INVALID_PRICE', message: 'Price must be above 0 and below 10000000000', field: 'amount' };
  if (input.currencyCode !== product.price.currencyCode) {
    return { code: 'CURRENCY_MISMATCH', message: `This product is sold in ${product.price.currencyCode}`, field: 'currencyCode' };
  }
  return { amount: `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}` };
}
