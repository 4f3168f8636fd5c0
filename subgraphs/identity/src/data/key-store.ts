import { randomBytes } from 'node:crypto';
import { ConfigError, embeddedDevKeys, packSealed, unpackSealed, type Keyring, type Logger } from '@commerce/kit';
import { exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import type { SigningKeyRecord } from '../domain/tokens.js';
import type { IdentityDb } from './client.js';

/** The key-encryption keys (KEKs) that seal the private signing keys at rest: `id:base64(32 bytes)`, comma-separated. */
export const KEY_ENCRYPTION_KEYS_VARIABLE = 'IDENTITY_KEY_ENCRYPTION_KEYS';
/** Embedded mode only (npm start, tests): public, so anyone with the database could open the keys. */
export const EMBEDDED_DEV_KEK = embeddedDevKeys('identity signing-key');

/** Associated data: a sealed key copied to another row does not open. */
const sealContext = (kid: string) => `identity:signing-key:${kid}`;

type Row = Awaited<ReturnType<IdentityDb['signingKey']['findFirst']>> & {};

/**
 * Signing keys live in identity's database so every identity instance signs with the same keys and the JWKS
 * lists them all. The private half is stored sealed (AES-256-GCM) with the current KEK of IDENTITY_KEY_ENCRYPTION_KEYS,
 * whose id is stored beside it; read access to the database alone cannot mint tokens.
 *
 * Rotation: a new KEK goes first in the variable with the old one still after it, and the next start re-seals every
 * key with it (`prepare`); a signing key is rotated with `rotate` (`npm run rotate-signing-key -w subgraphs/identity`):
 * the old key stops signing and loses its private half at once, and stays in the JWKS for `retainSeconds` more, as long
 * as the tokens it signed can live.
 */
export class SigningKeys {
  /**
   * Opened private keys by kid (a kid's key never changes, only its sealing): opened once, not per signed token, and
   * an instance still running with the old KEK list keeps signing while a newer one re-seals (rolling deploys).
   */
  private readonly opened = new Map<string, string>();

  constructor(
    private readonly db: IdentityDb,
    private readonly keyring: Keyring,
    private readonly retainSeconds: number,
  ) {}

  /**
   * At start: seals plaintext keys left by older versions, re-seals keys sealed with an older KEK, makes sure every key
   * opens (a wrong or missing KEK stops the start with a ConfigError) and that there is an active key.
   */
  async prepare(logger: Logger): Promise<{ sealed: number; resealed: number }> {
    let sealed = 0;
    let resealed = 0;
    for (const row of await this.db.signingKey.findMany({
      where: { OR: [{ privatePem: { not: null } }, { privateKeyEncrypted: { not: null } }] },
    })) {
      const pem = this.openRow(row);
      if (row.privatePem === null && row.privateKeyKeyId === this.keyring.currentKeyId) continue;
      const envelope = this.keyring.seal(pem, sealContext(row.kid));
      await this.db.signingKey.update({
        where: { kid: row.kid },
        data: { privateKeyEncrypted: packSealed(envelope), privateKeyKeyId: envelope.keyId, privatePem: null },
      });
      if (row.privatePem !== null) sealed += 1;
      else resealed += 1;
    }
    if (sealed || resealed)
      logger.info({ sealed, resealed, keyId: this.keyring.currentKeyId }, 'signing keys sealed with the current key-encryption key');
    await this.active();
    return { sealed, resealed };
  }

  /** The key that signs now; the first call on an empty database creates one. */
  async active(): Promise<SigningKeyRecord> {
    const row = await this.db.signingKey.findFirst({ where: { active: true }, orderBy: { createdAt: 'desc' } });
    if (row) return { kid: row.kid, privatePem: this.openRow(row) };
    return this.create();
  }

  /** Public keys of the active key and of retired keys whose tokens may still be valid. */
  async publicKeys(now = new Date()): Promise<JWK[]> {
    const keptSince = new Date(now.getTime() - this.retainSeconds * 1000);
    const keys = await this.db.signingKey.findMany({
      where: { OR: [{ active: true }, { retiredAt: { gt: keptSince } }] },
      orderBy: { createdAt: 'desc' },
    });
    return keys.map((key) => key.publicJwk as JWK);
  }

  /** A new signing key takes over; the old ones stop signing and their private halves are deleted. */
  async rotate(now = new Date()): Promise<{ kid: string; retired: string[] }> {
    const retiring = await this.db.signingKey.findMany({ where: { active: true }, select: { kid: true } });
    const next = await this.newKey();
    await this.db.$transaction([
      this.db.signingKey.updateMany({
        where: { kid: { in: retiring.map((key) => key.kid) } },
        data: { active: false, retiredAt: now, privatePem: null, privateKeyEncrypted: null, privateKeyKeyId: null },
      }),
      this.db.signingKey.create({ data: next.data }),
    ]);
    for (const key of retiring) this.opened.delete(key.kid);
    return { kid: next.data.kid, retired: retiring.map((key) => key.kid) };
  }

  private async create(): Promise<SigningKeyRecord> {
    const { data, privatePem } = await this.newKey();
    await this.db.signingKey.create({ data });
    return { kid: data.kid, privatePem };
  }

  private async newKey() {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const kid = randomBytes(8).toString('hex');
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
    const privatePem = await exportPKCS8(privateKey);
    const envelope = this.keyring.seal(privatePem, sealContext(kid));
    return { privatePem, data: { kid, publicJwk, privateKeyEncrypted: packSealed(envelope), privateKeyKeyId: envelope.keyId } };
  }

  private openRow(row: Row): string {
    if (row.privateKeyEncrypted === null || row.privateKeyKeyId === null) {
      if (row.privatePem !== null) return row.privatePem; // left by an older version; `prepare` seals it
      throw new Error(`signing key ${row.kid} has no private key`);
    }
    const cached = this.opened.get(row.kid);
    if (cached) return cached;
    const variable = this.keyring.variable;
    if (!this.keyring.has(row.privateKeyKeyId)) {
      throw new ConfigError(
        `${variable} has no key "${row.privateKeyKeyId}", which sealed signing key ${row.kid}: keep the old key in the list (after the new one) until a start has re-sealed the keys`,
      );
    }
    let pem: string;
    try {
      pem = this.keyring.open(unpackSealed(row.privateKeyKeyId, row.privateKeyEncrypted), sealContext(row.kid));
    } catch {
      throw new ConfigError(
        `${variable}: key "${row.privateKeyKeyId}" does not open signing key ${row.kid}; it is not the key that sealed it (wrong key material?)`,
      );
    }
    this.opened.set(row.kid, pem);
    return pem;
  }
}
