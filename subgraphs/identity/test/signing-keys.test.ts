import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  applyMigrations,
  ConfigError,
  createLogger,
  migrationsDir,
  openScratchDatabase,
  parseKeyring,
  type ScratchDatabase,
} from '@commerce/kit';
import { createLocalJWKSet, exportPKCS8, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { createClient, type IdentityDb } from '../src/data/client.js';
import { KEY_ENCRYPTION_KEYS_VARIABLE, SigningKeys } from '../src/data/key-store.js';
import { AUDIENCE, ISSUER, signAccessToken } from '../src/domain/tokens.js';

const kek = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const ring = (value: string) => parseKeyring(value, KEY_ENCRYPTION_KEYS_VARIABLE);
const logger = createLogger('identity-test', 'silent');
const user = {
  id: '00000000-0000-4000-8000-000000000001',
  email: 'a@b.cd',
  name: 'A',
  role: 'customer' as const,
  tenantId: null,
  createdAt: new Date(),
};
const RETAIN_SECONDS = 3600;

describe(`signing keys at rest (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let scratch: ScratchDatabase;
  let db: IdentityDb;
  const rows = () =>
    scratch.db.query<Record<string, unknown>>(
      'select kid, public_jwk, private_pem, private_key_encrypted, private_key_key_id, active, retired_at from signing_keys',
    );
  const verify = async (token: string, keys: SigningKeys) =>
    jwtVerify(token, createLocalJWKSet({ keys: await keys.publicKeys() }), { issuer: ISSUER, audience: AUDIENCE });
  const assertNoPlaintext = async () => {
    const text = JSON.stringify(await rows());
    assert.doesNotMatch(text, /PRIVATE KEY/, 'no PEM private key in the table');
    assert.doesNotMatch(text, /"d":/, 'no private JWK member in the table');
    for (const row of await rows()) assert.equal(row.private_pem, null);
  };

  before(async () => {
    scratch = await openScratchDatabase('identity-keys');
    await applyMigrations(scratch.db, migrationsDir('identity'));
    db = createClient(scratch.db);
  });
  after(async () => {
    await db?.$disconnect();
    await scratch?.drop();
  });

  it('seals keys left in plaintext by older versions at start, and never stores a private key in clear', async () => {
    // as the previous version wrote it
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const legacyPem = await exportPKCS8(privateKey);
    await scratch.db.query(
      `insert into signing_keys (kid, public_jwk, private_pem, active) values ('legacy', '{"kty":"OKP","kid":"legacy"}', $1, false)`,
      [legacyPem],
    );
    const keys = new SigningKeys(db, ring(kek('k1')), RETAIN_SECONDS);
    assert.deepEqual(await keys.prepare(logger), { sealed: 1, resealed: 0 });
    const created = await keys.active();
    assert.notEqual(created.kid, 'legacy');
    await assertNoPlaintext();
    const [legacy] = (await rows()).filter((row) => row.kid === 'legacy');
    assert.equal(legacy!.private_key_key_id, 'k1');
    assert.ok(!String(legacy!.private_key_encrypted).includes(legacyPem.slice(30, 60)));
    // a second start has nothing left to do
    assert.deepEqual(await keys.prepare(logger), { sealed: 0, resealed: 0 });
    await scratch.db.query(`delete from signing_keys where kid = 'legacy'`);
  });

  it('re-seals every key when a new key-encryption key comes first; tokens signed before still verify', async () => {
    const k1 = kek('k1');
    const before = new SigningKeys(db, ring(k1), RETAIN_SECONDS);
    await db.signingKey.deleteMany();
    await before.prepare(logger);
    const signing = await before.active();
    const oldToken = await signAccessToken(user, signing, 'session-1');

    const rotated = new SigningKeys(db, ring(`${kek('k2')},${k1}`), RETAIN_SECONDS);
    assert.deepEqual(await rotated.prepare(logger), { sealed: 0, resealed: 1 });
    assert.deepEqual(
      (await rows()).map((row) => row.private_key_key_id),
      ['k2'],
    );
    await assertNoPlaintext();
    assert.equal((await verify(oldToken, rotated)).payload.sub, user.id);
    const newToken = await signAccessToken(user, await rotated.active(), 'session-1');
    assert.equal((await verify(newToken, rotated)).protectedHeader.kid, signing.kid, 'same signing key, re-sealed');
    assert.equal((await before.active()).kid, signing.kid, 'an instance still on the old list keeps signing (rolling deploy)');

    // once re-sealed, the old KEK can go
    const k2 = (await rows())[0]!.private_key_key_id;
    assert.equal(k2, 'k2');
  });

  it('refuses to start with a clear message when the key-encryption key is wrong or missing', async () => {
    await db.signingKey.deleteMany();
    const right = kek('k1');
    await new SigningKeys(db, ring(right), RETAIN_SECONDS).prepare(logger);
    const wrongMaterial = new SigningKeys(db, ring(kek('k1')), RETAIN_SECONDS);
    await assert.rejects(wrongMaterial.prepare(logger), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /IDENTITY_KEY_ENCRYPTION_KEYS: key "k1" does not open signing key \w+/);
      return true;
    });
    const missing = new SigningKeys(db, ring(kek('k9')), RETAIN_SECONDS);
    await assert.rejects(missing.prepare(logger), /IDENTITY_KEY_ENCRYPTION_KEYS has no key "k1", which sealed signing key/);
    assert.ok(!JSON.stringify(await rows()).includes(right.slice(3)), 'the KEK itself is not stored');
  });

  it('rotates the signing key: the old one stops signing, loses its private half, and stays in the JWKS while its tokens live', async () => {
    await db.signingKey.deleteMany();
    const keys = new SigningKeys(db, ring(kek('k1')), RETAIN_SECONDS);
    await keys.prepare(logger);
    const old = await keys.active();
    const oldToken = await signAccessToken(user, old, 'session-1');
    const { kid, retired } = await keys.rotate();
    assert.deepEqual(retired, [old.kid]);
    const current = await keys.active();
    assert.equal(current.kid, kid);
    assert.notEqual(kid, old.kid);
    const [retiredRow] = (await rows()).filter((row) => row.kid === old.kid);
    assert.equal(retiredRow!.private_key_encrypted, null, 'the retired private key is gone');
    assert.equal(retiredRow!.active, false);
    assert.deepEqual(
      (await keys.publicKeys()).map((key: JWK) => key.kid),
      [kid, old.kid],
    );
    assert.equal((await verify(oldToken, keys)).payload.sub, user.id, 'a token of the old key still verifies');
    assert.equal((await verify(await signAccessToken(user, current, 'session-1'), keys)).protectedHeader.kid, kid);
    // after its tokens have expired the old key leaves the JWKS
    const later = new Date(Date.now() + (RETAIN_SECONDS + 1) * 1000);
    assert.deepEqual(
      (await keys.publicKeys(later)).map((key: JWK) => key.kid),
      [kid],
    );
    await assertNoPlaintext();
  });
});
