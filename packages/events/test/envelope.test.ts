import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertName, InvalidEnvelopeError, newEvent, parseEnvelope, type EventEnvelope } from '../src/index.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function valid(): EventEnvelope {
  return newEvent({
    type: 'inventory.stock-reserved',
    aggregateType: 'StockLevel',
    aggregateId: 'p1:w1',
    version: 3,
    payload: { quantity: 2 },
  });
}

describe('event envelope', () => {
  it('newEvent fills in id, time, tenant, trace context and schema version', () => {
    const before = Date.now();
    const event = newEvent({
      type: 'inventory.stock-reserved',
      aggregateType: 'StockLevel',
      aggregateId: 'p1:w1',
      version: 3,
      tenantId: 'vendor-1',
      traceContext: { traceparent: TRACEPARENT, tracestate: 'vendor=1' },
      payload: { quantity: 2, note: undefined, at: '2026-01-01T00:00:00.000Z' },
    });
    assert.match(event.id, /^[0-9a-f-]{36}$/);
    assert.ok(Date.parse(event.occurredAt) >= before - 1);
    assert.equal(event.schemaVersion, 1);
    assert.equal(event.tenantId, 'vendor-1');
    assert.deepEqual(event.traceContext, { traceparent: TRACEPARENT, tracestate: 'vendor=1' });
    assert.deepEqual(event.payload, { quantity: 2, at: '2026-01-01T00:00:00.000Z' }, 'as it comes out of JSON');
    assert.deepEqual(parseEnvelope(JSON.parse(JSON.stringify(event))), { ok: true, envelope: event }, 'survives the wire');
  });

  it('defaults the tenant to null and drops an invalid traceparent (W3C: start a new trace)', () => {
    const event = newEvent({
      type: 'orders.order-placed',
      aggregateType: 'Order',
      aggregateId: 'o1',
      version: 1,
      schemaVersion: 2,
      traceContext: { traceparent: 'garbage', tracestate: 'a=b' },
      occurredAt: new Date('2026-03-01T10:00:00Z'),
      payload: null,
    });
    assert.equal(event.tenantId, null);
    assert.deepEqual(event.traceContext, {});
    assert.equal(event.occurredAt, '2026-03-01T10:00:00.000Z');
    assert.equal(event.schemaVersion, 2);
  });

  it('newEvent refuses what consumers could not read', () => {
    const base = { type: 'orders.order-placed', aggregateType: 'Order', aggregateId: 'o1', version: 1, payload: {} };
    assert.throws(() => newEvent({ ...base, type: 'OrderPlaced' }), InvalidEnvelopeError);
    assert.throws(() => newEvent({ ...base, version: -1 }), /version/);
    assert.throws(() => newEvent({ ...base, version: 1.5 }), /version/);
    assert.throws(() => newEvent({ ...base, aggregateId: '' }), /aggregateId/);
    assert.throws(() => newEvent({ ...base, schemaVersion: 0 }), /schemaVersion/);
    assert.throws(() => newEvent({ ...base, payload: { at: new Date() } }), /payload/);
    assert.throws(() => newEvent({ ...base, payload: { n: Number.NaN } }), /payload/);
    assert.throws(() => newEvent({ ...base, payload: { big: 1n } }), /payload/);
    assert.throws(() => newEvent({ ...base, id: 'not-a-uuid' }), /id must be a UUID/);
  });

  it('parseEnvelope rejects malformed envelopes with a reason, and never throws', () => {
    const cases: [unknown, RegExp][] = [
      [null, /not an object/],
      ['a string', /not an object/],
      [[], /not an object/],
      [{ ...valid(), id: undefined }, /id/],
      [{ ...valid(), type: 7 }, /type/],
      [{ ...valid(), aggregateType: null }, /aggregateType/],
      [{ ...valid(), version: '3' }, /version/],
      [{ ...valid(), occurredAt: '2026-01-01 10:00' }, /occurredAt/],
      [{ ...valid(), occurredAt: '2026-13-45T10:00:00Z' }, /occurredAt/],
      [{ ...valid(), tenantId: 5 }, /tenantId/],
      [{ ...valid(), tenantId: undefined }, /tenantId/],
      [{ ...valid(), traceContext: 'x' }, /traceContext/],
      [{ ...valid(), schemaVersion: null }, /schemaVersion/],
      [{ ...valid(), payload: undefined }, /payload/],
    ];
    for (const [value, reason] of cases) {
      const parsed = parseEnvelope(value);
      assert.equal(parsed.ok, false, JSON.stringify(value));
      if (!parsed.ok) assert.match(parsed.error, reason);
    }
  });

  it('parseEnvelope keeps only the known fields', () => {
    const event = valid();
    const parsed = parseEnvelope({ ...event, extra: 'ignored', id: event.id.toUpperCase() });
    assert.deepEqual(parsed, { ok: true, envelope: event });
  });

  it('stream, group and consumer names are safe Redis keys; <name>:dead is reserved', () => {
    assert.doesNotThrow(() => assertName('stream', 'inventory'));
    assert.doesNotThrow(() => assertName('consumer', 'orders-7f9c-1234-ab12cd'));
    assert.throws(() => assertName('stream', 'has space'), TypeError);
    assert.throws(() => assertName('group', ''), TypeError);
    assert.throws(() => assertName('stream', 'inventory:dead'), /dead letters/);
  });
});
