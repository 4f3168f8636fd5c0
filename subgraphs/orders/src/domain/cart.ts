import { isUuid, userError, type UserError } from '@commerce/kit';
import { times, type MoneyValue } from './money.js';

/** Cart rules, independent of GraphQL and Prisma. */
export const MIN_QUANTITY = 1;
export const MAX_QUANTITY = 99;
export const MAX_CART_LINES = 50;

export interface CartLineRecord {
  productId: string;
  quantity: number;
  /** The current price from the local price read model. */
  unitPrice: MoneyValue;
}

export interface CartRecord {
  userId: string;
  lines: CartLineRecord[];
}

export function lineTotal(line: { quantity: number; unitPrice: MoneyValue }): MoneyValue {
  return { amount: times(line.unitPrice.amount, line.quantity), currencyCode: line.unitPrice.currencyCode };
}

export function validateAddToCart(input: { productId: string; quantity: number }): UserError[] {
  const errors: UserError[] = [];
  if (!isUuid(input.productId)) errors.push(userError('PRODUCT_NOT_FOUND', 'No such product', ['input', 'productId']));
  if (!Number.isInteger(input.quantity) || input.quantity < MIN_QUANTITY || input.quantity > MAX_QUANTITY) {
    errors.push(quantityOutOfRange());
  }
  return errors;
}

export function quantityOutOfRange(): UserError {
  return userError('QUANTITY_OUT_OF_RANGE', `quantity must be a whole number from ${MIN_QUANTITY} to ${MAX_QUANTITY} per product`, [
    'input',
    'quantity',
  ]);
}

export function cartFull(): UserError {
  return userError('CART_FULL', `A cart holds at most ${MAX_CART_LINES} different products`, ['input', 'productId']);
}
