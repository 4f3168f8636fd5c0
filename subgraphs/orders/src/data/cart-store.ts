import { isUuid } from '@commerce/kit';
import { Prisma } from '../generated/prisma/client.js';
import { MAX_CART_LINES, MAX_QUANTITY, type CartLineRecord } from '../domain/cart.js';
import type { OrdersDb } from './client.js';

export interface PriceRecord {
  productId: string;
  vendorId: string;
  price: { amount: string; currencyCode: string };
}

/** Prices and vendors from the local read model (never a call to catalog). */
export async function pricesByProductIds(db: OrdersDb, productIds: readonly string[]): Promise<PriceRecord[]> {
  const rows = await db.productPrice.findMany({ where: { productId: { in: [...productIds] } } });
  return rows.map((row) => ({
    productId: row.productId,
    vendorId: row.vendorId,
    price: { amount: row.priceAmount.toFixed(2), currencyCode: row.currencyCode },
  }));
}

/** The cart lines of many users at once, priced from the read model, oldest line first. */
export async function cartLinesOfUsers(db: OrdersDb, userIds: readonly string[]): Promise<(CartLineRecord & { userId: string })[]> {
  const valid = userIds.filter(isUuid);
  if (!valid.length) return [];
  const rows = await db.$queryRaw<{ userId: string; productId: string; quantity: number; amount: string; currencyCode: string }[]>`
    SELECT l.user_id::text AS "userId", l.product_id::text AS "productId", l.quantity,
           p.price_amount::text AS amount, p.currency_code AS "currencyCode"
    FROM cart_lines l JOIN product_prices p ON p.product_id = l.product_id
    WHERE l.user_id IN (${Prisma.join(valid.map((id) => Prisma.sql`${id}::uuid`))})
    ORDER BY l.added_at, l.product_id`;
  return rows.map((row) => ({
    userId: row.userId,
    productId: row.productId,
    quantity: row.quantity,
    unitPrice: { amount: row.amount, currencyCode: row.currencyCode },
  }));
}

export type AddToCartResult = 'ok' | 'QUANTITY_OUT_OF_RANGE' | 'CART_FULL';

/**
 * Adds `quantity` of a product to the user's cart (to the line when there is one). The cart row is locked
 * first, so concurrent adds cannot overfill it; the conditional upsert keeps a line at most MAX_QUANTITY.
 */
export async function addToCart(db: OrdersDb, userId: string, productId: string, quantity: number): Promise<AddToCartResult> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`
      INSERT INTO carts (user_id, updated_at) VALUES (${userId}::uuid, now())
      ON CONFLICT (user_id) DO UPDATE SET updated_at = now()`;
    const existing = await tx.cartLine.findUnique({ where: { userId_productId: { userId, productId } } });
    if (!existing && (await tx.cartLine.count({ where: { userId } })) >= MAX_CART_LINES) return 'CART_FULL';
    const rows = await tx.$queryRaw<{ quantity: number }[]>`
      INSERT INTO cart_lines (user_id, product_id, quantity) VALUES (${userId}::uuid, ${productId}::uuid, ${quantity})
      ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = cart_lines.quantity + EXCLUDED.quantity
        WHERE cart_lines.quantity + EXCLUDED.quantity <= ${MAX_QUANTITY}
      RETURNING quantity`;
    return rows.length ? 'ok' : 'QUANTITY_OUT_OF_RANGE';
  });
}

/** False when the product was not in the cart. */
export async function removeFromCart(db: OrdersDb, userId: string, productId: string): Promise<boolean> {
  const { count } = await db.cartLine.deleteMany({ where: { userId, productId } });
  return count > 0;
}
