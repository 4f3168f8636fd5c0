import { randomBytes } from 'node:crypto';
import { exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import type { SigningKeyRecord } from '../domain/tokens.js';
import type { IdentityDb } from './client.js';

/**
 * Signing keys live in identity's database so every identity instance signs with the same keys and the JWKS
 * lists them all. The first start generates one.
 */
export async function activeSigningKey(db: IdentityDb): Promise<SigningKeyRecord> {
  const existing = await db.signingKey.findFirst({ where: { active: true }, orderBy: { createdAt: 'desc' } });
  if (existing) return existing;
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = randomBytes(8).toString('hex');
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return db.signingKey.create({ data: { kid, publicJwk, privatePem: await exportPKCS8(privateKey) } });
}

export async function publicKeys(db: IdentityDb): Promise<JWK[]> {
  const keys = await db.signingKey.findMany({ orderBy: { createdAt: 'desc' } });
  return keys.map((key) => key.publicJwk as JWK);
}
