import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientAddressHeaderError, clientAddressHeaders, readClientAddress } from '../src/client-address.js';
import { principalHeaders } from '../src/principal.js';

const secret = 'a-test-secret-that-is-long-enough-1234';

describe('signed client address headers', () => {
  it('round-trips the address; none is undefined', () => {
    assert.equal(readClientAddress(clientAddressHeaders('203.0.113.9', secret), secret), '203.0.113.9');
    assert.equal(readClientAddress({}, secret), undefined);
  });

  it('refuses another secret, a tampered or stale value, and a principal signature', () => {
    const headers = clientAddressHeaders('203.0.113.9', secret);
    assert.throws(() => readClientAddress(headers, 'another-secret-that-is-long-enough-5678'), ClientAddressHeaderError);
    const other = clientAddressHeaders('198.51.100.1', 'another-secret-that-is-long-enough-5678');
    assert.throws(
      () => readClientAddress({ ...headers, 'x-commerce-client-address': other['x-commerce-client-address'] }, secret),
      ClientAddressHeaderError,
    );
    assert.throws(() => readClientAddress(clientAddressHeaders('203.0.113.9', secret, Date.now() - 10 * 60_000), secret), /stale/);
    assert.throws(() => readClientAddress({ 'x-commerce-client-address': 'x' }, secret), ClientAddressHeaderError);
    const principal = principalHeaders({ userId: 'u', role: 'customer', scopes: [] }, secret);
    assert.throws(
      () =>
        readClientAddress(
          {
            'x-commerce-client-address': principal['x-commerce-principal'],
            'x-commerce-client-address-signature': principal['x-commerce-principal-signature'],
          },
          secret,
        ),
      ClientAddressHeaderError,
    );
  });
});
