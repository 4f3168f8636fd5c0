import type { Logger } from '../log.js';
import type { PubSubSubscription } from './pubsub.js';

export interface SubscriberQueueOptions<T = unknown> {
  /** What the subscriber listens to: a pub/sub topic, or another name for the drop warning. */
  topic: string;
  capacity: number;
  logger: Logger;
  /** Settles when the transport delivers to this subscriber (see PubSubSubscription.ready). */
  ready: Promise<void>;
  filter?: (payload: T) => boolean;
  /** Called once when the subscription ends (return(), or the transport failed to subscribe). */
  onEnd(): void;
}

const DROP_WARNING_INTERVAL_MS = 10_000;

/**
 * One subscriber's messages, read as an async iterator. Bounded: when the reader falls more than `capacity`
 * messages behind, the oldest are dropped (counted, and logged at most every 10 s) instead of holding memory
 * without limit. `T` types the messages for a producer that is not pub/sub (the router's subscriptions).
 */
export class SubscriberQueue<T = unknown> implements PubSubSubscription, AsyncIterableIterator<T> {
  readonly ready: Promise<void>;
  readonly topic: string;
  dropped = 0;
  private readonly buffer: T[] = [];
  private readonly waiting: ((result: IteratorResult<T>) => void)[] = [];
  private done = false;
  private subscribed = false;
  private lastWarning = 0;

  constructor(private readonly options: SubscriberQueueOptions<T>) {
    this.topic = options.topic;
    this.ready = options.ready.then(
      () => {
        this.subscribed = true;
      },
      (error: unknown) => {
        this.end();
        throw error;
      },
    );
    this.ready.catch(() => {}); // a reader that never awaits `ready` still sees the end of the stream
  }

  /** True while the subscription is in place and not ended. */
  get active(): boolean {
    return this.subscribed && !this.done;
  }

  push(payload: T): void {
    if (this.done || (this.options.filter && !this.options.filter(payload))) return;
    const waiter = this.waiting.shift();
    if (waiter) {
      waiter({ value: payload, done: false });
      return;
    }
    if (this.buffer.length >= this.options.capacity) {
      this.buffer.shift();
      this.dropped += 1;
      this.warnDropped();
    }
    this.buffer.push(payload);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift() as T, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.buffer.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream: pending reads finish, later reads get what is still buffered, then done. */
  end(): void {
    if (this.done) return;
    this.done = true;
    for (const waiter of this.waiting.splice(0)) waiter({ value: undefined, done: true });
    this.options.onEnd();
  }

  private warnDropped(): void {
    const now = Date.now();
    if (now - this.lastWarning < DROP_WARNING_INTERVAL_MS) return;
    this.lastWarning = now;
    this.options.logger.warn(
      { topic: this.topic, dropped: this.dropped, capacity: this.options.capacity },
      'slow subscriber: dropped its oldest buffered messages',
    );
  }
}
