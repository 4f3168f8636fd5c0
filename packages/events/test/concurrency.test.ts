import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  InProcessTransport,
  newEvent,
  RedisStreamsTransport,
  StreamsTransport,
  type ConsumerSettings,
  type EventEnvelope,
  type EventHandler,
  type EventSubscription,
} from '../src/index.js';
import { MemoryStreamStore } from '../src/transport/memory-stream-store.js';
import { StreamConsumer } from '../src/transport/stream-consumer.js';
import { deleteRedisKeys, drain, REDIS_URL, silentLogger, uniquePrefix, waitFor, within, work } from './support.js';
import { letTimePass, requireTestRedis } from '@commerce/kit';

before(requireTestRedis); // fails at once, with one line, when Redis is not running

/** Short times, so that retries happen within a test. */
const SETTINGS: Partial<ConsumerSettings> = {
  maxAttempts: 3,
  retryBaseMs: 20,
  retryMaxMs: 100,
  claimIdleMs: 300,
  blockMs: 50,
  batchSize: 10,
};

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

    /** Gates still closed at the end of a test are opened, so that stopping its consumer does not hang. */
    const gates: (() => void)[] = [];
    const gate = () => {
      let open = () => {};
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      gates.push(open);
      return { opened, open };
    };

    before(() => {
      transport = pair.open();
    });
    afterEach(async () => {
      for (const open of gates.splice(0)) open();
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
        await within('the other three in flight', barrier, 3000).catch(() => timedOut.push(label(e)));
      });
      await subscription.ready;
      await transport.publish(
        stream,
        ['a', 'b', 'c', 'd'].map((a) => event(a, 1)),
      );
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
          await work(15);
          track.end(e);
        });
        await subscription.ready;
        const events = interleaved(['a', 'b', 'c', 'd', 'e'], 4);
        await transport.publish(stream, events);
        await waitFor('20 handled', () => subscription.stats().handled === 20, 5000);
        await drain({ transport, streams: [stream], group, subscriptions: [subscription] });
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
        await work(e.aggregateId === 'a' ? 10 : 3); // a is slower, so others overtake it
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
      await transport.publish(
        stream,
        [1, 2, 3, 4, 5].map((v) => event('a', v)),
      );
      await waitFor('5 handled', () => subscription.stats().handled === 5, 5000);
      // a3's failure is settled (left pending, its idle time restarted) before a4 starts. Its retry comes from the
      // consumer's maintenance once the backoff has passed, and waits behind a4 and a5: as when handling one message at
      // a time, a retried message can arrive after later ones of its aggregate (handlers order by `version` where it
      // matters).
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

    it('stop() finishes every message in hand, acknowledges them, and stops reading', async () => {
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

    it('a slow handler of one aggregate does not hold up other aggregates read after it', async () => {
      const { stream, group } = names();
      const slow = gate();
      let aRunning = false;
      const handled: string[] = [];
      const subscription = subscribe(stream, group, { concurrency: 4 }, async (e) => {
        if (e.aggregateId === 'a') {
          aRunning = true;
          await slow.opened; // e.g. a payment provider that takes its time
          aRunning = false;
        }
        handled.push(label(e));
      });
      await subscription.ready;
      await transport.publish(stream, [event('a', 1)]);
      await waitFor('a1 to start', () => aRunning);
      const others = ['b1', 'b2', 'b3', 'b4', 'b5'];
      await transport.publish(
        stream,
        others.map((aggregate) => event(aggregate, 1)),
      );
      await waitFor('the five others', () => handled.length === 5, 3000);
      assert.ok(aRunning, 'a1 is still running');
      assert.deepEqual(
        [...handled].sort(),
        others.map((aggregate) => `${aggregate}1`),
      );
      slow.open();
      await waitFor('a1', () => subscription.stats().handled === 6);
      assert.deepEqual(subscription.stats(), { handled: 6, failed: 0, deadLettered: 0, malformed: 0, reclaimed: 0 });
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 0 });
    });

    it('messages of a busy aggregate wait, in order, and run after it', async () => {
      const { stream, group } = names();
      const slow = gate();
      const starts: { message: string; handledBefore: number; pending: number }[] = [];
      const subscription: EventSubscription = subscribe(stream, group, { concurrency: 4 }, async (e) => {
        const handledBefore = subscription.stats().handled;
        const { pending } = await transport.groupLag(stream, group);
        if (e.aggregateId === 'a') starts.push({ message: label(e), handledBefore, pending });
        if (label(e) === 'a1') await slow.opened;
      });
      await subscription.ready;
      await transport.publish(stream, [event('a', 1)]);
      await waitFor('a1 to start', () => starts.length === 1);
      await transport.publish(stream, [event('a', 2)]);
      await transport.publish(stream, [event('a', 3)]);
      await transport.publish(stream, [event('b', 1)]);
      await waitFor('b1, past the waiting a2 and a3', () => subscription.stats().handled === 1);
      await waitFor('a2 and a3 read', async () => (await transport.groupLag(stream, group)).pending === 3);
      assert.equal(starts.length, 1, 'a2 and a3 wait while a1 runs');
      slow.open();
      await waitFor('all four', () => subscription.stats().handled === 4);
      // Each starts once the one before it is acknowledged (counted, and no longer pending).
      assert.deepEqual(starts, [
        { message: 'a1', handledBefore: 0, pending: 1 },
        { message: 'a2', handledBefore: 2, pending: 2 },
        { message: 'a3', handledBefore: 3, pending: 1 },
      ]);
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 0 });
    });

    // With concurrency 1 the blocked handler leaves no slot free, so nothing more is read; with 2, the messages of
    // the blocked aggregate pile up behind it until the bound, max(batchSize, concurrency) * 4 = 8, stops the reads.
    for (const [concurrency, heldWhileBlocked] of [
      [1, 1],
      [2, 8],
    ] as const) {
      it(`memory stays bounded: messages held never exceed the bound (concurrency ${concurrency}, batchSize 2)`, async () => {
        const { stream, group } = names();
        const slow = gate();
        const starts: string[] = [];
        let most = 0;
        const consumer = subscribe(stream, group, { concurrency, batchSize: 2 }, async (e) => {
          most = Math.max(most, held());
          starts.push(label(e));
          if (label(e) === 'a1') await slow.opened;
        });
        assert.ok(consumer instanceof StreamConsumer);
        const held = () => consumer.held;
        assert.equal(consumer.heldLimit, 8);
        const sampler = setInterval(() => {
          most = Math.max(most, held());
        }, 1);
        try {
          await consumer.ready;
          await transport.publish(stream, [event('a', 1)]);
          await waitFor('a1 to start', () => starts.length === 1);
          // a2 x1 a3 x2 ... a26 x25: half of them wait behind a1.
          const rest = Array.from({ length: 25 }, (_, i) => [event('a', i + 2), event(`x${i + 1}`, 1)]).flat();
          await transport.publish(stream, rest);
          const readingStopped = async () =>
            held() === heldWhileBlocked && (await transport.groupLag(stream, group)).pending === heldWhileBlocked;
          await waitFor(`${heldWhileBlocked} held`, readingStopped);
          await letTimePass(100, 'a consumer that can read does so within blockMs');
          const lag = await transport.groupLag(stream, group);
          assert.equal(held(), heldWhileBlocked, 'reading stopped');
          assert.equal(lag.pending, heldWhileBlocked);
          assert.ok(lag.undelivered === null || lag.undelivered > 0, 'messages left in the stream');
          slow.open();
          await waitFor('all 51', () => consumer.stats().handled === 51, 5000);
          await drain({ transport, streams: [stream], group, subscriptions: [consumer] });
        } finally {
          clearInterval(sampler);
        }
        assert.ok(most <= 8, `at most 8 held (${most})`);
        if (concurrency === 2) assert.equal(most, 8, 'the bound was reached');
        assert.equal(held(), 0);
        assert.equal(starts.length, 51, 'each message once');
        assert.deepEqual([...starts].sort(), ['a1', ...restLabels()].sort());
        assert.deepEqual(
          starts.filter((s) => s.startsWith('a')),
          Array.from({ length: 26 }, (_, i) => `a${i + 1}`),
        );
        assert.deepEqual(consumer.stats(), { handled: 51, failed: 0, deadLettered: 0, malformed: 0, reclaimed: 0 });
        assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 0 });

        function restLabels() {
          return Array.from({ length: 25 }, (_, i) => [`a${i + 2}`, `x${i + 1}1`]).flat();
        }
      });
    }

    it('stop() finishes and acknowledges the messages waiting behind a busy aggregate before it resolves', async () => {
      const { stream, group } = names();
      const slow = gate();
      const starts: string[] = [];
      const subscription = subscribe(stream, group, { concurrency: 4 }, async (e) => {
        starts.push(label(e));
        if (label(e) === 'a1') await slow.opened;
        await work(5);
      });
      await subscription.ready;
      await transport.publish(stream, [event('a', 1)]);
      await waitFor('a1 to start', () => starts.length === 1);
      await transport.publish(stream, [event('a', 2), event('b', 1), event('a', 3), event('a', 4)]);
      await waitFor('b1', () => subscription.stats().handled === 1);
      await waitFor('a2 to a4 read', async () => (await transport.groupLag(stream, group)).pending === 4);
      let stopped = false;
      const stopping = subscription.stop().then(() => {
        stopped = true;
      });
      await letTimePass(50, 'the read waiting when stop() was called returns (a message appended before that is read)');
      await transport.publish(stream, [event('c', 1)]); // not read any more
      await letTimePass(100, 'stop() would resolve once nothing runs');
      assert.equal(stopped, false, 'stop() waits for a1 and what waits behind it');
      slow.open();
      await stopping;
      assert.deepEqual(starts, ['a1', 'b1', 'a2', 'a3', 'a4']);
      assert.deepEqual(subscription.stats(), { handled: 5, failed: 0, deadLettered: 0, malformed: 0, reclaimed: 0 });
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 1 });
    });

    it('abort() leaves the running and the waiting messages pending and starts nothing more', async () => {
      const { stream, group } = names();
      const slow = gate();
      const starts: string[] = [];
      const subscription = subscribe(stream, group, { concurrency: 4 }, async (e) => {
        starts.push(label(e));
        if (label(e) === 'a1') await slow.opened;
      });
      await subscription.ready;
      await transport.publish(stream, [event('a', 1)]);
      await waitFor('a1 to start', () => starts.length === 1);
      await transport.publish(stream, [event('a', 2)]);
      await waitFor('a2 read', async () => (await transport.groupLag(stream, group)).pending === 2);
      await subscription.abort();
      slow.open();
      await letTimePass(100, 'an aborted consumer that went on would start a2 once a1 returns');
      assert.deepEqual(starts, ['a1']);
      assert.equal(subscription.stats().handled, 0);
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 2, undelivered: 0 });
    });

    it('does not deliver again a message that runs or waits longer than the retry backoff (its own consumer)', async () => {
      const { stream, group } = names();
      const deliveries: string[] = [];
      // 200 ms: ten times the retry backoff (20 ms), below claimIdleMs (300 ms); maintenance runs every 20 ms.
      const subscription = subscribe(stream, group, { concurrency: 2 }, async (e, delivery) => {
        deliveries.push(`${label(e)}#${delivery.attempt}`);
        await work(200);
      });
      await subscription.ready;
      await transport.publish(stream, [event('a', 1), event('a', 2)]);
      await waitFor('both', () => subscription.stats().handled === 2, 3000);
      await drain({ transport, streams: [stream], group, subscriptions: [subscription] });
      assert.deepEqual(deliveries, ['a1#1', 'a2#1']);
      assert.deepEqual(subscription.stats(), { handled: 2, failed: 0, deadLettered: 0, malformed: 0, reclaimed: 0 });
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 0 });
    });
  });
}

/** The in-process store, with acknowledgements that fail while `failAcks` > 0. */
class FlakyStore extends MemoryStreamStore {
  failAcks = 0;

  override async ack(key: string, group: string, ids: readonly string[]): Promise<void> {
    if (this.failAcks > 0) {
      this.failAcks -= 1;
      throw new Error('the store is away');
    }
    return super.ack(key, group, ids);
  }
}

class FlakyTransport extends StreamsTransport {
  readonly kind = 'in-process' as const;

  constructor(store: FlakyStore) {
    super(store, { logger: silentLogger(), prefix, consumer: SETTINGS });
  }
}

describe('concurrent consumer (a store failing to settle a message)', () => {
  it('lets the running handlers finish, then delivers the waiting messages again after the backoff, in order', async () => {
    const store = new FlakyStore();
    const transport = new FlakyTransport(store);
    const { stream, group } = names();
    let release = () => {};
    const b1Gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const deliveries: string[] = [];
    const subscription = transport.subscribe({
      group,
      streams: [stream],
      settings: { concurrency: 2 },
      handler: async (e, delivery) => {
        deliveries.push(`${label(e)}#${delivery.attempt}`);
        if (label(e) === 'b1') await b1Gate;
      },
    });
    try {
      await subscription.ready;
      store.failAcks = 1; // a1's
      await transport.publish(stream, [event('a', 1), event('b', 1), event('a', 2)]);
      await waitFor('a1 and b1 to start', () => deliveries.length === 2);
      await letTimePass(100, 'a retry would come after the backoff (20 ms)');
      assert.deepEqual(deliveries, ['a1#1', 'b1#1'], 'after the failed ack nothing starts, and nothing is retried, while b1 runs');
      release();
      await waitFor('all three acknowledged', () => subscription.stats().handled === 3, 3000);
      // a2 was read but never started: it stays pending and comes back as a retry, after a1's.
      assert.deepEqual(deliveries, ['a1#1', 'b1#1', 'a1#2', 'a2#2']);
      assert.deepEqual(subscription.stats(), { handled: 3, failed: 0, deadLettered: 0, malformed: 0, reclaimed: 0 });
      assert.deepEqual(await transport.groupLag(stream, group), { pending: 0, undelivered: 0 });
    } finally {
      release();
      await transport.close();
    }
  });
});
