import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@commerce/kit';
import { accountKey, addressKey, backoffSeconds, logInThrottleConfigFromEnv } from '../src/domain/throttling.js';

describe('throttling rules', () => {
  it('backs off from the N-th failure, doubling, capped', () => {
    const policy = { maxFailures: 5, baseSeconds: 1, maxSeconds: 300, windowSeconds: 3600 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 1000].map((failures) => backoffSeconds(failures, policy)),
      [0, 0, 0, 0, 1, 2, 4, 8, 128, 256, 300, 300],
    );
  });

  it('keys addresses: IPv4-mapped as IPv4, IPv6 by its /64', () => {
    assert.equal(addressKey('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(addressKey('203.0.113.9'), '203.0.113.9');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });

  it('keys accounts by a hash, never the email', () => {
    assert.doesNotMatch(accountKey('someone@example.com'), /someone|example/);
    assert.equal(accountKey('a@b.cd'), accountKey('a@b.cd'));
  });

  it('reads its settings, refusing bad values', () => {
    const config = logInThrottleConfigFromEnv({ LOGIN_MAX_FAILURES: '3', AUTH_BACKOFF_MAX_SECONDS: '60' });
    assert.equal(config.pair.maxFailures, 3);
    assert.equal(config.account.maxSeconds, 60);
    assert.throws(() => logInThrottleConfigFromEnv({ AUTH_BACKOFF_BASE_SECONDS: '10', AUTH_BACKOFF_MAX_SECONDS: '5' }), ConfigError);
    assert.throws(() => logInThrottleConfigFromEnv({ LOGIN_KNOWN_ADDRESS_DAYS: '30' }), ConfigError);
  });
});
