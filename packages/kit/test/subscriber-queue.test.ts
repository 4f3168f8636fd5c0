import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../src/log.js';
import { SubscriberQueue } from '../src/pubsub/subscriber-queue.js';

/** A queue fed directly, as the router feeds its subscribers (no pub/sub transport behind it). */
function queue<T>(capacity: number, onEnd: () => void = () => {}): SubscriberQueue<T> {
  return new SubscriberQueue<T>({
    topic: 'direct',
    capacity,
    logger: createLogger('queue-test', 'silent'),
    ready: Promise.resolve(),
    onEnd,
  });
}

describe('SubscriberQueue fed directly', () => {
  it('hands typed messages to a waiting reader, then buffers in order up to its capacity, dropping the oldest', async () => {
    const events = queue<{ n: number }>(2);
    const waiting = events.next();
    events.push({ n: 1 });
    assert.deepEqual(await waiting, { value: { n: 1 }, done: false });
    for (const n of [2, 3, 4]) events.push({ n });
    assert.equal(events.dropped, 1);
    assert.deepEqual(await events.next(), { value: { n: 3 }, done: false });
    assert.deepEqual(await events.next(), { value: { n: 4 }, done: false });
  });

  it('end(): what is buffered is still read, then done; pending reads finish; onEnd runs once', async () => {
    let ended = 0;
    const events = queue<string>(10, () => (ended += 1));
    events.push('a');
    events.end();
    events.end();
    events.push('late');
    assert.equal(ended, 1);
    assert.deepEqual(await events.next(), { value: 'a', done: false });
    assert.deepEqual(await events.next(), { value: undefined, done: true });

    const idle = queue<string>(10);
    const pending = idle.next();
    idle.end();
    assert.deepEqual(await pending, { value: undefined, done: true });
  });

  it('return() drops what is buffered and ends; for await stops there', async () => {
    let ended = 0;
    const events = queue<number>(10, () => (ended += 1));
    for (const n of [1, 2, 3]) events.push(n);
    const seen: number[] = [];
    for await (const n of events) {
      seen.push(n);
      if (n === 1) break; // calls return()
    }
    assert.deepEqual(seen, [1]);
    assert.equal(ended, 1);
    assert.deepEqual(await events.next(), { value: undefined, done: true });
  });
});
