/**
 * An async iterator fed by `push`: what a subscriber reads its events from. Bounded: when a slow client
 * lets more than `capacity` events pile up, the oldest are dropped (and counted) rather than holding
 * memory without limit.
 */
export class PushQueue<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private readonly waiting: ((result: IteratorResult<T>) => void)[] = [];
  private done = false;
  dropped = 0;

  constructor(
    private readonly capacity: number,
    private readonly onReturn: () => void,
  ) {}

  push(value: T): void {
    if (this.done) return;
    const waiter = this.waiting.shift();
    if (waiter) return waiter({ value, done: false });
    if (this.buffer.length >= this.capacity) {
      this.buffer.shift();
      this.dropped += 1;
    }
    this.buffer.push(value);
  }

  /** Ends the stream after what is buffered has been read. */
  end(): void {
    if (this.done) return;
    this.done = true;
    if (this.buffer.length === 0) for (const waiter of this.waiting.splice(0)) waiter({ value: undefined, done: true });
    this.onReturn();
  }

  next(): Promise<IteratorResult<T>> {
    const value = this.buffer.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.buffer.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
