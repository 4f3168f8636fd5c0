import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { applyMigrations, migrationsDir, openScratchDatabase, type ScratchDatabase } from '@commerce/kit';
import { createClient, type IdentityDb } from '../src/data/client.js';
import { changeClientSecrets, createPartnerClient, recordPartnerToken } from '../src/data/partner-store.js';
import { hashClientSecret } from '../src/domain/partners.js';

/** The record of issued partner tokens, which lets retiring a secret revoke them. */
describe(`partner token records (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let scratch: ScratchDatabase;
  let db: IdentityDb;

  before(async () => {
    scratch = await openScratchDatabase('identity-partner-tokens');
    await applyMigrations(scratch.db, migrationsDir('identity'));
    db = createClient(scratch.db);
  });
  after(async () => {
    await db?.$disconnect();
    await scratch?.drop();
  });

  const newClient = async () => {
    const secrets = [randomUUID(), randomUUID()];
    const client = await createPartnerClient(db, {
      clientId: `pc_${randomUUID().slice(0, 16)}`,
      name: 'Records',
      scopes: ['catalog:read'],
      createdById: null,
      secret: { id: secrets[0]!, hint: 'abcd', secretHash: await hashClientSecret('first'), createdAt: new Date() },
    });
    await changeClientSecrets(db, client.id, () => ({
      outcome: undefined,
      change: { add: { id: secrets[1]!, hint: 'efgh', secretHash: 'scrypt$1$1$1$a$b', createdAt: new Date() } },
    }));
    return { client, secrets };
  };
  const tokenRows = () => scratch.db.query<{ token_id: string }>('select token_id from partner_tokens');
  const revocations = () => scratch.db.query<{ token_id: string }>('select token_id from partner_token_revocations');

  it('retiring a secret revokes its live tokens only, and a token for a retired secret is not recorded (not handed out)', async () => {
    const { client, secrets } = await newClient();
    const [first, second] = secrets as [string, string];
    const soon = new Date(Date.now() + 60_000);
    const live = randomUUID();
    const expired = randomUUID();
    const other = randomUUID();
    assert.equal(await recordPartnerToken(db, { tokenId: expired, secretId: first, expiresAt: new Date(Date.now() - 1000) }), true);
    assert.equal(await recordPartnerToken(db, { tokenId: live, secretId: first, expiresAt: soon }), true);
    assert.equal(await recordPartnerToken(db, { tokenId: other, secretId: second, expiresAt: soon }), true);
    assert.ok(!(await tokenRows()).some((row) => row.token_id === expired), 'expired records are pruned');

    const changed = await changeClientSecrets(db, client.id, () => ({
      outcome: undefined,
      change: { retire: { id: first, at: new Date() } },
    }));
    assert.equal(changed?.revokedTokens, 1);
    const revoked = (await revocations()).map((row) => row.token_id);
    assert.ok(revoked.includes(live) && !revoked.includes(other) && !revoked.includes(expired));
    assert.deepEqual(
      (await tokenRows()).map((row) => row.token_id),
      [other],
    );

    const late = randomUUID();
    assert.equal(await recordPartnerToken(db, { tokenId: late, secretId: first, expiresAt: soon }), false);
    assert.ok(!(await tokenRows()).some((row) => row.token_id === late));
  });

  it("revoking a client revokes the live tokens of all its secrets, no other client's, and its new tokens are not recorded", async () => {
    const { client, secrets } = await newClient();
    const { secrets: othersSecrets } = await newClient();
    const soon = new Date(Date.now() + 60_000);
    const tokens = [randomUUID(), randomUUID()];
    const others = randomUUID();
    for (const [i, secretId] of secrets.entries()) {
      assert.equal(await recordPartnerToken(db, { tokenId: tokens[i]!, secretId, expiresAt: soon }), true);
    }
    assert.equal(await recordPartnerToken(db, { tokenId: others, secretId: othersSecrets[0]!, expiresAt: soon }), true);

    const at = new Date();
    const changed = await changeClientSecrets(db, client.id, () => ({ outcome: undefined, change: { revokeClient: { at } } }));
    assert.equal(changed?.revokedTokens, 2);
    const revoked = (await revocations()).map((row) => row.token_id);
    assert.ok(tokens.every((token) => revoked.includes(token)) && !revoked.includes(others));
    const rows = (await tokenRows()).map((row) => row.token_id);
    assert.ok(rows.includes(others) && !tokens.some((token) => rows.includes(token)));

    const late = randomUUID();
    assert.equal(await recordPartnerToken(db, { tokenId: late, secretId: secrets[1]!, expiresAt: soon }), false);
    assert.ok(!(await tokenRows()).some((row) => row.token_id === late));
    // Revoking again keeps the first time.
    await changeClientSecrets(db, client.id, () => ({ outcome: undefined, change: { revokeClient: { at: new Date(Date.now() + 1000) } } }));
    const [row] = await scratch.db.query<{ revoked_at: Date }>('select revoked_at from partner_clients where id = $1', [client.id]);
    assert.equal(new Date(row!.revoked_at).getTime(), at.getTime());
  });
});
