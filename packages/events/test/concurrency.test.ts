import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  InProcessTransport,
  newEvent,
  RedisStreamsTransport,
  type ConsumerSettings,
  type EventEnvelope,
  type EventHandler,
  type EventSubscription,
  type StreamsTransport,
} from '../src/index.js';
import { runPartitioned } from '../src/transport/run-partitioned.js';
import { delay, deleteRedisKeys, REDIS_URL, silentLogger, uniquePrefix, waitFor } from './support.js';

/** Short times, so that retries happen within a test. */
const SETTINGS: Partial<ConsumerSettings> = { maxAttempts: 3, retryBaseMs: 20, retryMaxMs: 100, claimIdleMs: 300, blockMs: 50, batchSize: 10 };

const prefix = uniquePrefix();
const transports: { name: string; open(): StreamsTransport; cleanUp(): Promise<void> }[] = [
  {
    name: 'in-process',
    open: () => new InProcessTransport({ logger: silentLogger(), prefix, consumer: SETTINGS }),
    cleanUp: async () => undefined,
  },
  {
    name: 'redis-streams',
    open: () => new RedisStreamsTransport({ url: REDIS_URL, logger: silentLogger(), prefix, consumer: SETTINGS }),
    cleanUp: () => deleteRedisKeys(prefix),
  },
];

let counter = 0;
function names() {
  counter += 1;
  return { stream: `conc${counter}`, group: `group${counter}` };
}

function event(aggregateId: string, version: number): EventEnvelope {
  return newEvent({ type: 'test.thing-happened', aggregateType: 'Thing', aggregateId, version, payload: {} });
}

/** `aggregates` x `versions` events, interleaved as a busy stream would hold them: a1 b1 c1 a2 b2 c2 ... */
function interleaved(aggregates: string[], versions: number): EventEnvelope[] {
  return Array.from({ length: versions }, (_, v) => aggregates.map((a) => event(a, v + 1))).flat();
}

const label = (e: EventEnvelope) => `${e.aggregateId}${e.version}`;

/** Counts handlers in flight, the most at once, and runs of one aggregate that overlapped (must stay empty). */
function tracker() {
  const running = new Set<string>();
  const overlaps: string[] = [];
  let inFlight = 0;
  let most = 0;
  return {
    overlaps,
    get inFlight() {
      return inFlight;
    },
    get most() {
      return most;
    },
    begin(e: EventEnvelope) {
      if (running.has(e.aggregateId)) overlaps.push(label(e));
      running.add(e.aggregateId);
      inFlight += 1;
      most = Math.max(most, inFlight);
    },
    end(e: EventEnvelope) {
      running.delete(e.aggregateId);
      inFlight -= 1;
    },
  };
}

for (const pair of transports) {
  describe(`concurrent consumer (${pair.name})`, () => {
    let transport: StreamsTransport;
    const subscriptions: EventSubscription[] = [];
    const subscribe = (stream: string, group: string, settings: Partial<ConsumerSettings>, handler: EventHandler) => {
      const subscription = transport.subscribe({ group, streams: [stream], settings, handler });
      subscriptions.push(subscription);
      return subscription;
    };

    before(() => {
      transport = pair.open();
    });
    afterEach(async () => {
      for (const subscription of subscriptions.splice(0)) await subscription.stop();
    });
    after(async () => {
      await transport.close();
      await pair.cleanUp();
    });

    it('runs the handlers of different aggregates at the same time', async () => {
      const { stream, group } = names();
      const parties = 4;
      let arrived = 0;
      let open = () => {};
      const barrier = new Promise<void>((resolve) => {
        open = resolve;
      });
      const timedOut: string[] = [];
      // Each handler waits until all four are in flight: one at a time, the first would wait forever (here: 3 s).
      const subscription = subscribe(stream, group, { concurrency: parties }, async (e) => {
        arrived += 1;
        if (arrived === parties) open();
        const timeout = delay(3000).then(() => 'timeout' as const);
        if ((await Promise.race([barrier, timeout])) === 'timeout') timedOut.push(label(e));
      });
      await subscription.ready;
      await transport.publish(stream, ['a', 'b', 'c', 'd'].map((a) => event(a, 1)));
      await waitFor('4 handled', () => subscription.stats().handled + subscription.stats().failed === 4, 6000);
      assert.deepEqual(timedOut, [], 'every handler saw the other three in flight');
      assert.equal(subscription.stats().handled, 4);
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 0 });
    });

    for (const concurrency of [1, 3]) {
      it(`never runs more than concurrency (${concurrency}) handlers at once, and counts each message once`, async () => {
        const { stream, group } = names();
        const track = tracker();
        const subscription = subscribe(stream, group, { concurrency }, async (e) => {
          track.begin(e);
          await delay(15);
          track.end(e);
        });
        await subscription.ready;
        const events = interleaved(['a', 'b', 'c', 'd', 'e'], 4);
        await transport.publish(stream, events);
        await waitFor('20 handled', () => subscription.stats().handled === 20, 5000);
        await delay(50);
        assert.equal(track.most, concurrency, 'the limit is reached and never passed');
        assert.deepEqual(track.overlaps, []);
        assert.deepEqual(subscription.stats(), { handled: 20, failed: 0, deadLettered: 0, malformed: 0, reclaimed: 0 });
        assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 0 });
      });
    }

    it('handles the messages of one aggregate one at a time and in stream order, also around failures', async () => {
      const { stream, group } = names();
      const track = tracker();
      const starts: string[] = [];
      const subscription = subscribe(stream, group, { concurrency: 8, batchSize: 20 }, async (e, delivery) => {
        track.begin(e);
        if (delivery.attempt === 1) starts.push(label(e));
        await delay(e.aggregateId === 'a' ? 10 : 3); // a is slower, so others overtake it
        track.end(e);
        if (e.version === 2 && delivery.attempt === 1) throw new Error(`${label(e)} fails once`);
      });
      await subscription.ready;
      const events = interleaved(['a', 'b', 'c', 'd'], 4);
      await transport.publish(stream, events);
      await waitFor('16 handled', () => subscription.stats().handled === 16, 5000);
      assert.deepEqual(track.overlaps, [], 'no aggregate had two handlers running at once');
      for (const aggregate of ['a', 'b', 'c', 'd']) {
        assert.deepEqual(
          starts.filter((s) => s.startsWith(aggregate)),
          [1, 2, 3, 4].map((v) => `${aggregate}${v}`),
          `first deliveries of ${aggregate} in stream order`,
        );
      }
      assert.notDeepEqual(starts, events.map(label), 'aggregates overtook each other');
      assert.deepEqual(subscription.stats(), { handled: 16, failed: 4, deadLettered: 0, malformed: 0, reclaimed: 0 });
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 0 });
    });

    it('settles a message of an aggregate (ack, or kept for a retry) before starting its next one', async () => {
      const { stream, group } = names();
      const seen: { message: string; attempt: number; pending: number }[] = [];
      const subscription = subscribe(stream, group, { concurrency: 8 }, async (e, delivery) => {
        // Unsettled messages of the group at this moment: this one and those after it, plus any kept for a retry.
        const { pending } = await transport.groupLag(stream, group);
        seen.push({ message: label(e), attempt: delivery.attempt, pending });
        if (e.version === 3 && delivery.attempt === 1) throw new Error('a3 fails once');
      });
      await subscription.ready;
      await transport.publish(stream, [1, 2, 3, 4, 5].map((v) => event('a', v)));
      await waitFor('5 handled', () => subscription.stats().handled === 5, 5000);
      // a3's failure is settled (left pending, its idle time restarted) before a4 starts. Its retry comes from the
      // consumer's maintenance after the read batch, so after a4 and a5: as when handling one message at a time,
      // a retried message can arrive after later ones of its aggregate (handlers order by `version` where it matters).
      assert.deepEqual(seen, [
        { message: 'a1', attempt: 1, pending: 5 },
        { message: 'a2', attempt: 1, pending: 4 },
        { message: 'a3', attempt: 1, pending: 3 },
        { message: 'a4', attempt: 1, pending: 3 },
        { message: 'a5', attempt: 1, pending: 2 },
        { message: 'a3', attempt: 2, pending: 1 },
      ]);
      assert.equal(subscription.stats().failed, 1);
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 0 });
    });

    it('stop() finishes every message of the read batch in hand, acknowledges them, and stops reading', async () => {
      const { stream, group } = names();
      const track = tracker();
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const subscription = subscribe(stream, group, { concurrency: 4, batchSize: 4 }, async (e) => {
        track.begin(e);
        await gate;
        track.end(e);
      });
      await subscription.ready;
      await transport.publish(stream, interleaved(['a', 'b', 'c', 'd'], 1));
      await waitFor('4 in flight', () => track.inFlight === 4);
      await transport.publish(stream, [event('e', 1)]);
      const stopping = subscription.stop();
      release();
      await stopping;
      assert.equal(subscription.stats().handled, 4);
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 1 });
    });
  });
}

describe('runPartitioned', () => {
  it('with a limit of 1 runs the items in list order', async () => {
    const order: string[] = [];
    await runPartitioned(['a1', 'b1', 'a2', 'x', 'b2'], (item) => (item === 'x' ? undefined : item[0]), 1, async (item) => {
      await delay(1);
      order.push(item);
    });
    assert.deepEqual(order, ['a1', 'b1', 'a2', 'x', 'b2']);
  });

  it('after a failure starts nothing more, waits for the runs in flight, then rejects with the first error', async () => {
    const started: string[] = [];
    const finished: string[] = [];
    const run = runPartitioned(['a1', 'b1', 'a2', 'c1'], (item) => item[0], 2, async (item) => {
      started.push(item);
      if (item === 'a1') throw new Error('a1 failed');
      await delay(20);
      finished.push(item);
    });
    await assert.rejects(run, /a1 failed/);
    assert.deepEqual(started, ['a1', 'b1']);
    assert.deepEqual(finished, ['b1'], 'b1 settled before the rejection');
  });

  it('resolves at once for no items', async () => {
    await runPartitioned([], () => 'p', 4, async () => assert.fail('not called'));
  });
});
