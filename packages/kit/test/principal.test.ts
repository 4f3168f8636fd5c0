import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { principalHeaders, PrincipalHeaderError, readPrincipal, type Principal } from '../src/principal.js';

const secret = 'a-test-secret-that-is-long-enough-1234';
const principal: Principal = { userId: 'u1', role: 'vendor_staff', vendorId: 'v1', scopes: ['inventory:write'] };

describe('signed principal headers', () => {
  it('round-trips a principal signed with the shared secret', () => {
    assert.deepEqual(readPrincipal(principalHeaders(principal, secret), secret), principal);
  });

  it('treats a request without principal headers as anonymous', () => {
    assert.equal(readPrincipal({}, secret), undefined);
  });

  it('refuses a principal signed with another secret, tampered with, or too old', () => {
    const headers = principalHeaders(principal, secret);
    assert.throws(() => readPrincipal(headers, 'another-secret-that-is-long-enough-5678'), PrincipalHeaderError);
    const tampered = principalHeaders({ ...principal, role: 'admin' }, 'another-secret-that-is-long-enough-5678');
    assert.throws(
      () => readPrincipal({ ...headers, 'x-commerce-principal': tampered['x-commerce-principal'] }, secret),
      PrincipalHeaderError,
    );
    const old = principalHeaders(principal, secret, Date.now() - 10 * 60_000);
    assert.throws(() => readPrincipal(old, secret), /stale/);
    assert.throws(() => readPrincipal({ 'x-commerce-principal': 'x' }, secret), PrincipalHeaderError);
  });
});
