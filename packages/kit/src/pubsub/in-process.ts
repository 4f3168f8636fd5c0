import { EventEmitter } from 'node:events';
import type { Logger } from '../log.js';
import { PUBSUB_DEFAULTS, type PubSub, type PubSubOptions, type PubSubSubscription, type SubscribeOptions } from './pubsub.js';
import { SubscriberQueue } from './subscriber-queue.js';

/**
 * Pub/sub inside one process (the embedded mode): an EventEmitter. Payloads go through JSON as they would
 * through Redis, so both adapters deliver the same thing (and each subscriber gets its own copy).
 */
export class InProcessPubSub implements PubSub {
  private readonly emitter = new EventEmitter();
  private readonly subscribers = new Set<SubscriberQueue>();
  private readonly logger: Logger;
  private readonly prefix: string;
  private readonly bufferSize: number;
  private closed = false;

  constructor(options: PubSubOptions) {
    this.logger = options.logger;
    this.prefix = options.prefix ?? PUBSUB_DEFAULTS.prefix;
    this.bufferSize = options.bufferSize ?? PUBSUB_DEFAULTS.bufferSize;
    this.emitter.setMaxListeners(0); // one listener per subscriber, as many as there are
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    if (this.closed) throw new Error('pub/sub is closed');
    this.emitter.emit(this.prefix + topic, JSON.stringify(payload ?? null));
  }

  subscribe(topic: string, options: SubscribeOptions = {}): PubSubSubscription {
    if (this.closed) throw new Error('pub/sub is closed');
    const channel = this.prefix + topic;
    const listener = (message: string) => queue.push(JSON.parse(message));
    const queue: SubscriberQueue = new SubscriberQueue({
      topic,
      capacity: this.bufferSize,
      logger: this.logger,
      ready: Promise.resolve(),
      filter: options.filter,
      onEnd: () => {
        this.emitter.off(channel, listener);
        this.subscribers.delete(queue);
      },
    });
    this.emitter.on(channel, listener);
    this.subscribers.add(queue);
    return queue;
  }

  subscriberCount(topic: string): number {
    return [...this.subscribers].filter((queue) => queue.topic === topic && queue.active).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const queue of [...this.subscribers]) queue.end();
    this.emitter.removeAllListeners();
  }
}
