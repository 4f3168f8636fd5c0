import { embeddedDevKeys, keyringFromEnv as keyringFrom, parseKeyring as parse, type Keyring } from '@commerce/kit';

/**
 * Shipping addresses are sealed with AES-256-GCM (kit's keyring: the key id beside the ciphertext, so keys can
 * rotate). Plaintext never goes to logs or errors.
 */
export { packSealed, unpackSealed, type Keyring, type SealedValue } from '@commerce/kit';

export const ENCRYPTION_KEYS_VARIABLE = 'ORDERS_ENCRYPTION_KEYS';

/**
 * The embedded mode's key (npm start, tests) when ORDERS_ENCRYPTION_KEYS is unset: fixed and public, so
 * `.data/` stays readable across restarts. Never use it in production: the standalone service refuses to
 * start without ORDERS_ENCRYPTION_KEYS.
 */
export const EMBEDDED_DEV_KEYS = embeddedDevKeys('orders');

/** Parses `id1:base64key,id2:base64key` (32-byte keys); a bad value is a one-line ConfigError naming the variable. */
export function parseKeyring(value: string, variable = ENCRYPTION_KEYS_VARIABLE): Keyring {
  return parse(value, variable);
}

/** ORDERS_ENCRYPTION_KEYS from the environment; `fallback` (embedded mode only) when it is unset. */
export function keyringFromEnv(env: Record<string, string | undefined>, fallback?: string): Keyring {
  return keyringFrom(env, ENCRYPTION_KEYS_VARIABLE, fallback);
}

/** Associated data binding a shipping address to its order: a ciphertext copied to another order fails to open. */
export function addressContext(orderId: string): string {
  return `orders:shipping-address:${orderId}`;
}
