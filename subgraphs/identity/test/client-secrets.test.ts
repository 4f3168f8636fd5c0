import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  activeSecrets,
  checkRetirement,
  type ClientSecretRecord,
  DEFAULT_GRACE_PERIOD_HOURS,
  newClientSecret,
  planRotation,
  validateGracePeriod,
} from '../src/domain/client-secrets.js';

const HOUR_MS = 3600_000;
const now = new Date('2026-12-04T12:00:00Z');
const at = (hours: number) => new Date(now.getTime() + hours * HOUR_MS);
const secret = (id: string, fields: Partial<ClientSecretRecord> = {}): ClientSecretRecord => ({
  id,
  hint: 'abcd',
  createdAt: at(-48),
  expiresAt: null,
  retiredAt: null,
  ...fields,
});
const live = { revokedAt: null };
const codes = (result: object) => ('userErrors' in result ? (result.userErrors as { code: string }[]).map((error) => error.code) : []);

describe('partner client secrets: rules', () => {
  it('a secret is active until it expires or is retired', () => {
    const secrets = [secret('a'), secret('b', { expiresAt: at(1) }), secret('c', { expiresAt: now }), secret('d', { retiredAt: at(-1) })];
    assert.deepEqual(
      activeSecrets(secrets, now).map((s) => s.id),
      ['a', 'b'],
    );
    assert.deepEqual(
      activeSecrets(secrets, at(2)).map((s) => s.id),
      ['a'],
    );
  });

  it('rotating sets the grace period on the current secret (never lengthening an earlier expiry)', () => {
    assert.deepEqual(planRotation(live, [secret('a')], DEFAULT_GRACE_PERIOD_HOURS, now), { expire: [{ id: 'a', expiresAt: at(168) }] });
    assert.deepEqual(planRotation(live, [secret('a', { expiresAt: at(3) }), secret('b', { expiresAt: at(-1) })], 24, now), {
      expire: [{ id: 'a', expiresAt: at(3) }],
    });
    assert.deepEqual(planRotation(live, [secret('a', { retiredAt: at(-1) })], 1, now), { expire: [] });
  });

  it('never more than two active secrets; a revoked client keeps its secrets; the grace period is bounded', () => {
    assert.deepEqual(codes(planRotation(live, [secret('a', { expiresAt: at(1) }), secret('b')], 1, now)), ['TOO_MANY_ACTIVE_SECRETS']);
    assert.deepEqual(codes(planRotation(live, [secret('a', { expiresAt: at(1) }), secret('b')], 1, at(1))), []);
    assert.deepEqual(codes(planRotation({ revokedAt: at(-1) }, [secret('a')], 1, now)), ['PARTNER_CLIENT_REVOKED']);
    for (const hours of [0, -1, 721, 1.5, Number.NaN])
      assert.deepEqual(codes({ userErrors: validateGracePeriod(hours) }), ['INVALID_GRACE_PERIOD']);
    for (const hours of [1, 168, 720]) assert.deepEqual(validateGracePeriod(hours), []);
  });

  it('retiring: never the last active secret; again changes nothing; unknown ids refused', () => {
    const pair = [secret('a', { expiresAt: at(1) }), secret('b')];
    assert.deepEqual(checkRetirement(live, pair, 'a', now), { retire: true, secret: pair[0] });
    assert.deepEqual(checkRetirement(live, pair, 'b', now), { retire: true, secret: pair[1] });
    assert.deepEqual(codes(checkRetirement(live, pair, 'b', at(2))), ['LAST_ACTIVE_SECRET']);
    assert.deepEqual(checkRetirement(live, pair, 'a', at(2)), { retire: true, secret: pair[0] }, 'an expired secret can be retired');
    const retired = secret('a', { retiredAt: at(-1) });
    assert.deepEqual(checkRetirement(live, [retired, secret('b')], 'a', now), { retire: false, secret: retired });
    assert.deepEqual(codes(checkRetirement(live, pair, 'z', now)), ['SECRET_NOT_FOUND']);
    assert.deepEqual(codes(checkRetirement({ revokedAt: now }, pair, 'a', now)), ['PARTNER_CLIENT_REVOKED']);
  });

  it('new secrets are 256 random bits with a 4-character hint', () => {
    const made = newClientSecret();
    assert.match(made.secret, /^[\w-]{43}$/);
    assert.equal(made.hint, made.secret.slice(-4));
    assert.notEqual(newClientSecret().secret, made.secret);
  });
});
