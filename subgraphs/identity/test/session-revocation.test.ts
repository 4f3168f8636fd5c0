import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { applyMigrations, createLogger, keyringFromEnv, migrationsDir, openScratchDatabase, type ScratchDatabase } from '@commerce/kit';
import { createClient, type IdentityDb } from '../src/data/client.js';
import { EMBEDDED_DEV_KEK, KEY_ENCRYPTION_KEYS_VARIABLE, SigningKeys } from '../src/data/key-store.js';
import { revokedSince, revokeSession, revokeUserSessions } from '../src/data/session-revocation.js';
import { rotateSession, startSession } from '../src/data/session-store.js';
import { ACCESS_TOKEN_TTL_MS } from '../src/domain/revocation.js';
import { signAccessToken } from '../src/domain/tokens.js';
import { revocationsEndpoint } from '../src/http/revocations-endpoint.js';

describe(`session revocation (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let database: ScratchDatabase;
  let db: IdentityDb;

  const user = async () =>
    (await db.user.create({ data: { email: `${randomUUID()}@example.com`, name: 'U', role: 'customer', passwordHash: 'x' } })).id;
  const sids = (list: { sessionId: string }[]) => list.map((entry) => entry.sessionId).sort();

  before(async () => {
    database = await openScratchDatabase('identity-revocation');
    await applyMigrations(database.db, migrationsDir('identity'));
    db = createClient(database.db);
  });
  after(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  it('access tokens carry their session id as sid', async () => {
    const userId = await user();
    const session = await startSession(db, userId);
    const record = (await db.user.findUniqueOrThrow({ where: { id: userId } })) as Parameters<typeof signAccessToken>[0];
    const keys = new SigningKeys(db, keyringFromEnv({}, KEY_ENCRYPTION_KEYS_VARIABLE, EMBEDDED_DEV_KEK), 960);
    await keys.prepare(createLogger('identity-test', 'silent'));
    const token = await signAccessToken(record, await keys.active(), session.sessionId);
    assert.equal(decodeJwt(token).sid, session.sessionId);
    const rotated = await rotateSession(db, session.refreshToken);
    assert.ok('sessionId' in rotated && rotated.sessionId === session.sessionId, 'a rotation stays in the session');
  });

  it('a reused refresh token revokes its session, which the feed then lists; other sessions are not listed', async () => {
    const userId = await user();
    const since = new Date();
    const reused = await startSession(db, userId);
    const other = await startSession(db, userId);
    await rotateSession(db, reused.refreshToken);
    assert.deepEqual(await rotateSession(db, reused.refreshToken), { rejected: 'REUSED' });
    assert.deepEqual(sids(await revokedSince(db, since)), [reused.sessionId]);
    assert.notEqual(reused.sessionId, other.sessionId);
  });

  it("revoking all of a user's sessions lists each of them, and no one else's", async () => {
    const [alice, bob] = [await user(), await user()];
    const since = new Date();
    const sessions = [await startSession(db, alice), await startSession(db, alice), await startSession(db, bob)];
    assert.equal(await revokeUserSessions(db, alice), 2);
    assert.deepEqual(sids(await revokedSince(db, since)), [sessions[0]!.sessionId, sessions[1]!.sessionId].sort());
    // Their refresh tokens are dead too; bob's is not.
    assert.deepEqual(await rotateSession(db, sessions[0]!.refreshToken), { rejected: 'INVALID' });
    assert.ok('refreshToken' in (await rotateSession(db, sessions[2]!.refreshToken)));
    assert.equal(await revokeSession(db, sessions[0]!.sessionId), 0, 'revoking again changes nothing');
  });

  it('the feed reports a revocation for one access-token lifetime, then forgets it', async () => {
    const userId = await user();
    const session = await startSession(db, userId);
    const revokedAt = new Date(Date.now() - ACCESS_TOKEN_TTL_MS - 1000);
    await revokeSession(db, session.sessionId, revokedAt);
    assert.ok(!sids(await revokedSince(db, undefined)).includes(session.sessionId), 'no access token of it is left alive');

    const fresh = await startSession(db, userId);
    await revokeSession(db, fresh.sessionId);
    const feed = revocationsEndpoint(db, createLogger('identity-test', 'silent'));
    const answer = await feed({});
    assert.equal(answer.status, 200);
    if (answer.status !== 200) return;
    const entry = answer.body.revoked.find((denied) => denied.sid === fresh.sessionId);
    assert.ok(entry && entry.until > Date.now() && entry.until <= Date.now() + ACCESS_TOKEN_TTL_MS);
    assert.ok(!answer.body.revoked.some((denied) => denied.sid === session.sessionId));
    const later = await feed({ since: String(answer.body.now) });
    assert.equal(later.status, 200);
    if (later.status === 200) assert.ok(!later.body.revoked.some((denied) => denied.sid === fresh.sessionId), 'only what is new since');
    assert.equal((await feed({ since: 'yesterday' })).status, 400);
  });
});
