import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigError } from '@commerce/kit';

/**
 * AES-256-GCM for personal data at rest (shipping addresses). Each sealed value names the key that sealed
 * it, so keys can rotate: the first key of the ring encrypts, every key of the ring decrypts.
 * Plaintext never goes to logs or errors.
 */
export interface SealedValue {
  keyId: string;
  /** base64url */
  iv: string;
  /** base64url GCM authentication tag */
  tag: string;
  /** base64url */
  ciphertext: string;
}

export interface Keyring {
  /** The id of the key that encrypts. */
  readonly currentKeyId: string;
  seal(plaintext: string, associatedData: string): SealedValue;
  open(sealed: SealedValue, associatedData: string): string;
}

export const ENCRYPTION_KEYS_VARIABLE = 'ORDERS_ENCRYPTION_KEYS';
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * The embedded mode's key (npm start, tests) when ORDERS_ENCRYPTION_KEYS is unset: fixed and public, so
 * `.data/` stays readable across restarts. Never use it in production: the standalone service refuses to
 * start without ORDERS_ENCRYPTION_KEYS.
 */
export const EMBEDDED_DEV_KEYS = `dev-embedded:${createHash('sha256').update('commerce-supergraph embedded orders key (not secret)').digest('base64')}`;

/** Parses `id1:base64key,id2:base64key` (32-byte keys); a bad value is a one-line ConfigError naming the variable. */
export function parseKeyring(value: string, variable = ENCRYPTION_KEYS_VARIABLE): Keyring {
  const keys = new Map<string, Buffer>();
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) throw new ConfigError(`${variable} must list at least one key as id:base64key`);
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(':');
    const id = separator > 0 ? entry.slice(0, separator) : '';
    const material = separator > 0 ? entry.slice(separator + 1) : '';
    if (!KEY_ID.test(id)) throw new ConfigError(`${variable}: entry ${index + 1} needs an id (letters, digits, _.-, at most 32) before ":"`);
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(material)) throw new ConfigError(`${variable}: key "${id}" is not base64`);
    const key = Buffer.from(material, 'base64');
    if (key.length !== 32) throw new ConfigError(`${variable}: key "${id}" must be 32 bytes (AES-256), got ${key.length}`);
    if (keys.has(id)) throw new ConfigError(`${variable}: key id "${id}" appears twice`);
    keys.set(id, key);
  }
  const currentKeyId = [...keys.keys()][0]!;
  return {
    currentKeyId,
    seal(plaintext, associatedData) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keys.get(currentKeyId)!, iv);
      cipher.setAAD(Buffer.from(associatedData));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return {
        keyId: currentKeyId,
        iv: iv.toString('base64url'),
        tag: cipher.getAuthTag().toString('base64url'),
        ciphertext: ciphertext.toString('base64url'),
      };
    },
    open(sealed, associatedData) {
      const key = keys.get(sealed.keyId);
      if (!key) throw new Error(`no encryption key "${sealed.keyId}" in ${variable} (was it rotated out too early?)`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
      decipher.setAAD(Buffer.from(associatedData));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** ORDERS_ENCRYPTION_KEYS from the environment; `fallback` (embedded mode only) when it is unset. */
export function keyringFromEnv(env: Record<string, string | undefined>, fallback?: string): Keyring {
  const value = env[ENCRYPTION_KEYS_VARIABLE];
  if (value === undefined || value === '') {
    if (fallback !== undefined) return parseKeyring(fallback);
    throw new ConfigError(`${ENCRYPTION_KEYS_VARIABLE} is required (id:base64key of 32 random bytes, e.g. "k1:$(openssl rand -base64 32)")`);
  }
  return parseKeyring(value);
}

/** One string column holds the envelope; the key id has its own column beside it. */
export function packSealed(sealed: SealedValue): string {
  return `${sealed.iv}.${sealed.tag}.${sealed.ciphertext}`;
}

export function unpackSealed(keyId: string, packed: string): SealedValue {
  const [iv, tag, ciphertext] = packed.split('.');
  if (!iv || !tag || ciphertext === undefined) throw new Error('malformed sealed value');
  return { keyId, iv, tag, ciphertext };
}

/** Associated data binding a shipping address to its order: a ciphertext copied to another order fails to open. */
export function addressContext(orderId: string): string {
  return `orders:shipping-address:${orderId}`;
}
