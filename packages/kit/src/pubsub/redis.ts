import { createClient } from 'redis';
import type { Logger } from '../log.js';
import { PUBSUB_DEFAULTS, type PubSub, type PubSubOptions, type PubSubSubscription, type SubscribeOptions } from './pubsub.js';
import { SubscriberQueue } from './subscriber-queue.js';

export interface RedisPubSubOptions extends PubSubOptions {
  /** redis:// or rediss:// */
  url: string;
  /** Connecting, PUBLISH and SUBSCRIBE slower than this fail. Default 2000 ms. */
  timeoutMs?: number;
}

type RedisClient = ReturnType<typeof createClient>;

const WARN_INTERVAL_MS = 30_000;

/**
 * Pub/sub over Redis PUBLISH/SUBSCRIBE, shared by every process using the same Redis and prefix: one client
 * publishes, another (a connection in subscriber mode) receives for every local subscriber. Both connect on
 * first use, so a service that never publishes or subscribes opens no connection. node-redis resubscribes
 * after a reconnect; messages published while a process was disconnected are lost (at most once).
 */
export class RedisPubSub implements PubSub {
  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly connecting = new Map<RedisClient, Promise<void>>();
  private readonly subscribers = new Set<SubscriberQueue>();
  private readonly logger: Logger;
  private readonly prefix: string;
  private readonly bufferSize: number;
  private readonly timeoutMs: number;
  private closed = false;
  private lastWarning = 0;

  constructor(options: RedisPubSubOptions) {
    this.logger = options.logger;
    this.prefix = options.prefix ?? PUBSUB_DEFAULTS.prefix;
    this.bufferSize = options.bufferSize ?? PUBSUB_DEFAULTS.bufferSize;
    this.timeoutMs = options.timeoutMs ?? 2000;
    const socket = { connectTimeout: this.timeoutMs, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) };
    // A publish fails at once while disconnected instead of queueing: the live update is simply missed.
    this.publisher = createClient({ url: options.url, disableOfflineQueue: true, socket });
    // SUBSCRIBE commands wait for a reconnect; node-redis replays the subscriptions it holds.
    this.subscriber = createClient({ url: options.url, socket });
    this.publisher.on('error', (error: unknown) => this.warn(error, 'pub/sub Redis publisher connection error'));
    this.subscriber.on('error', (error: unknown) => this.warn(error, 'pub/sub Redis subscriber connection error'));
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    if (this.closed) throw new Error('pub/sub is closed');
    await this.connected(this.publisher);
    await withTimeout(this.publisher.publish(this.prefix + topic, JSON.stringify(payload ?? null)), this.timeoutMs);
  }

  subscribe(topic: string, options: SubscribeOptions = {}): PubSubSubscription {
    if (this.closed) throw new Error('pub/sub is closed');
    const channel = this.prefix + topic;
    const listener = (message: string) => {
      try {
        queue.push(JSON.parse(message));
      } catch (error) {
        this.warn(error, 'pub/sub message is not JSON; dropped');
      }
    };
    // Subscribed as soon as Redis acknowledges, even after `ready` timed out: the end then unsubscribes.
    const subscribing = this.connected(this.subscriber).then(() => this.subscriber.subscribe(channel, listener));
    subscribing.catch(() => {});
    const queue: SubscriberQueue = new SubscriberQueue({
      topic,
      capacity: this.bufferSize,
      logger: this.logger,
      ready: withTimeout(subscribing, this.timeoutMs),
      filter: options.filter,
      onEnd: () => {
        this.subscribers.delete(queue);
        subscribing
          .then(
            () => (this.subscriber.isOpen ? this.subscriber.unsubscribe(channel, listener) : undefined),
            () => undefined,
          )
          .catch((error: unknown) => this.warn(error, 'pub/sub Redis unsubscribe failed'));
      },
    });
    this.subscribers.add(queue);
    return queue;
  }

  subscriberCount(topic: string): number {
    return [...this.subscribers].filter((queue) => queue.topic === topic && queue.active).length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const queue of [...this.subscribers]) queue.end();
    await Promise.all([this.publisher, this.subscriber].map((client) => this.disconnect(client)));
  }

  /** Connects on first use; later calls wait for that first connection, at most `timeoutMs`. */
  private connected(client: RedisClient): Promise<void> {
    let connecting = this.connecting.get(client);
    if (!connecting) {
      connecting = client.connect().then(() => undefined);
      connecting.catch(() => {}); // failures surface as 'error' events and as the timeout below
      this.connecting.set(client, connecting);
    }
    return withTimeout(connecting, this.timeoutMs, 'Redis pub/sub is not reachable');
  }

  private async disconnect(client: RedisClient): Promise<void> {
    if (!client.isOpen) return;
    try {
      if (client.isReady) await client.close();
      else client.destroy();
    } catch (error) {
      this.logger.warn({ err: error }, 'closing pub/sub Redis client');
    }
  }

  private warn(error: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = now;
    this.logger.warn({ err: error }, message);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message = `Redis did not answer within ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
