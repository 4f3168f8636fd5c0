/** Money arithmetic on decimal strings with two fraction digits, in integer cents (never a float). */
// Types, not interfaces, here and in order.ts: event payloads are stored as JSON, and only type aliases are
// assignable to JSON types (an interface has no implicit index signature).
export type MoneyValue = {
  amount: string;
  currencyCode: string;
};

const DECIMAL = /^-?\d+(\.\d{1,2})?$/;

export function toCents(amount: string): bigint {
  if (!DECIMAL.test(amount)) throw new Error(`not a decimal amount: ${amount}`);
  const negative = amount.startsWith('-');
  const [whole, fraction = ''] = amount.replace('-', '').split('.');
  const cents = BigInt(whole ?? '') * 100n + BigInt(fraction.padEnd(2, '0'));
  return negative ? -cents : cents;
}

export function fromCents(cents: bigint): string {
  const negative = cents < 0n;
  const absolute = negative ? -cents : cents;
  return `${negative ? '-' : ''}${absolute / 100n}.${(absolute % 100n).toString().padStart(2, '0')}`;
}

export function times(amount: string, quantity: number): string {
  return fromCents(toCents(amount) * BigInt(quantity));
}

/** Sum of amounts in one currency; throws on mixed currencies (callers check first). */
export function sum(values: readonly MoneyValue[], currencyCode: string): MoneyValue {
  let cents = 0n;
  for (const value of values) {
    if (value.currencyCode !== currencyCode) throw new Error('cannot add amounts in different currencies');
    cents += toCents(value.amount);
  }
  return { amount: fromCents(cents), currencyCode };
}
