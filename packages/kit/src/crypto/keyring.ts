import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigError } from '../config.js';
import { defined } from '../defined.js';

/**
 * AES-256-GCM for secrets and personal data at rest (orders' shipping addresses, identity's signing keys). Each
 * sealed value names the key that sealed it, so keys can rotate: the first key of the ring encrypts, every key
 * of the ring decrypts. Plaintext never goes to logs or errors.
 */
// A type, not an interface: sealed values go into JSON columns, and only type aliases are assignable to JSON types.
export type SealedValue = {
  keyId: string;
  /** base64url */
  iv: string;
  /** base64url GCM authentication tag */
  tag: string;
  /** base64url */
  ciphertext: string;
};

export interface Keyring {
  /** The id of the key that encrypts. */
  readonly currentKeyId: string;
  /** The environment variable the keys came from, for error messages. */
  readonly variable: string;
  has(keyId: string): boolean;
  seal(plaintext: string, associatedData: string): SealedValue;
  /** Throws when the key is not in the ring, or the value does not open with it (wrong key, tampered, other row). */
  open(sealed: SealedValue, associatedData: string): string;
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * A fixed, public key for embedded mode (npm start, tests), so `.data/` stays readable across restarts: `label`
 * makes it differ per use. Never for production: the standalone services refuse to start without their variable.
 */
export function embeddedDevKeys(label: string): string {
  return `dev-embedded:${createHash('sha256').update(`commerce-supergraph embedded ${label} key (not secret)`).digest('base64')}`;
}

/** Parses `id1:base64key,id2:base64key` (32-byte keys); a bad value is a one-line ConfigError naming the variable. */
export function parseKeyring(value: string, variable: string): Keyring {
  const keys = new Map<string, Buffer>();
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new ConfigError(`${variable} must list at least one key as id:base64key`);
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(':');
    const id = separator > 0 ? entry.slice(0, separator) : '';
    const material = separator > 0 ? entry.slice(separator + 1) : '';
    if (!KEY_ID.test(id))
      throw new ConfigError(`${variable}: entry ${index + 1} needs an id (letters, digits, _.-, at most 32) before ":"`);
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(material)) throw new ConfigError(`${variable}: key "${id}" is not base64`);
    const key = Buffer.from(material, 'base64');
    if (key.length !== 32) throw new ConfigError(`${variable}: key "${id}" must be 32 bytes (AES-256), got ${key.length}`);
    if (keys.has(id)) throw new ConfigError(`${variable}: key id "${id}" appears twice`);
    keys.set(id, key);
  }
  const currentKeyId = defined([...keys.keys()][0], `${variable}: the first key`);
  return {
    currentKeyId,
    variable,
    has: (keyId) => keys.has(keyId),
    seal(plaintext, associatedData) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', defined(keys.get(currentKeyId), `${variable}: key ${currentKeyId}`), iv);
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

/** The keyring in `variable`; `fallback` (embedded mode only) when it is unset. */
export function keyringFromEnv(env: Record<string, string | undefined>, variable: string, fallback?: string): Keyring {
  const value = env[variable];
  if (value === undefined || value === '') {
    if (fallback !== undefined) return parseKeyring(fallback, variable);
    throw new ConfigError(`${variable} is required (id:base64key of 32 random bytes, e.g. "k1:$(openssl rand -base64 32)")`);
  }
  return parseKeyring(value, variable);
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
