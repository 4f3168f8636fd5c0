import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventMetricsSource } from '../src/metrics/events.js';
import { drainBus } from '../src/testing/drain-bus.js';

/** A service's side of the bus whose state the test sets; `onLook` runs in the middle of every look (a handler racing it). */
function fakeBus() {
  const state = { unpublished: 0, pending: 0, undelivered: 0 as number | null, published: 0, handled: 0, failed: 0, looks: 0 };
  let onLook: () => void = () => {};
  const bus: EventMetricsSource = {
    stats: () => ({
      relay: { published: state.published, failedRounds: 0 },
      consumers: [{ streams: ['s'], handled: state.handled, failed: state.failed }],
    }),
    gauges: async () => {
      state.looks += 1;
      const outbox = { unpublished: state.unpublished, oldestAgeMs: null };
      onLook();
      return {
        outbox,
        streams: [{ stream: 's', group: 'g', lag: { pending: state.pending, undelivered: state.undelivered }, deadLetters: 0 }],
      };
    },
  };
  const setOnLook = (hook: () => void) => {
    onLook = hook;
  };
  return { bus, state, setOnLook };
}

describe('drainBus', () => {
  it('resolves on the second of two drained looks when nothing moves', async () => {
    const { bus, state } = fakeBus();
    await drainBus([bus, undefined]);
    assert.equal(state.looks, 2);
  });

  it('waits while a delivery is pending (a failed one waiting for its retry too) or undelivered', async () => {
    const { bus, state, setOnLook } = fakeBus();
    Object.assign(state, { pending: 1, undelivered: 2 });
    setOnLook(() => {
      if (state.looks === 3) Object.assign(state, { pending: 0, undelivered: 0, handled: 3 });
    });
    await drainBus([bus]);
    assert.equal(state.looks, 5, 'looks 1-3 saw the backlog, 4 and 5 the drained bus');
  });

  it('does not resolve on a look a replying handler slipped through (outbox read before its commit, stream after its ack)', async () => {
    const { bus, state, setOnLook } = fakeBus();
    Object.assign(state, { pending: 1 });
    setOnLook(() => {
      // during look 2 the handler commits its reply to the outbox and acks, after the outbox was read
      if (state.looks === 2) Object.assign(state, { pending: 0, unpublished: 1, handled: 1 });
      // the relay publishes the reply and the other service handles it during look 4
      if (state.looks === 4) Object.assign(state, { unpublished: 0, published: 1, handled: 2 });
    });
    await drainBus([bus]);
    assert.equal(state.looks, 6, 'look 2 saw counters move, 3 and 4 the reply in the outbox; only 5 and 6 agree');
  });

  it('does not count an unknown lag (Redis cannot compute it) as drained, and names the backlog when it times out', async () => {
    const { bus, state } = fakeBus();
    Object.assign(state, { undelivered: null, unpublished: 2 });
    await assert.rejects(drainBus([bus], 200), /2 unpublished in the outbox; g on s: 0 pending, unknown undelivered/);
  });
});
