import type { Logger } from '../log.js';

/**
 * The pub/sub port: fire-and-forget messages on named topics, JSON payloads, at-most-once delivery to the
 * subscribers present when a message is published (nothing is stored for later). Not the event bus: state
 * changes that must not be lost go through an outbox; this is for pushing live updates.
 */
export interface PubSub {
  /** Delivers `payload` (serialized as JSON) to every subscriber of `topic` in every process sharing the transport. */
  publish(topic: string, payload: unknown): Promise<void>;
  /** A subscription; `return()` unsubscribes. Each subscriber gets its own copy of every payload. */
  subscribe(topic: string, options?: SubscribeOptions): PubSubSubscription;
  /** Subscribers of `topic` in this process whose subscription is in place (metrics, tests). */
  subscriberCount(topic: string): number;
  /** Ends every subscription (their iterators finish) and releases the transport. */
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /** Only payloads this accepts are buffered, so the bound never drops a wanted message for unwanted ones. */
  filter?: (payload: unknown) => boolean;
}

export interface PubSubSubscription extends AsyncIterableIterator<unknown> {
  /**
   * Settles once every message published from then on is delivered (Redis: SUBSCRIBE acknowledged). Rejects
   * when the transport cannot subscribe; the subscription has then ended.
   */
  readonly ready: Promise<void>;
  return(): Promise<IteratorResult<unknown>>;
}

export interface PubSubOptions {
  logger: Logger;
  /** Prepended to every topic, so deployments (and parallel test runs) sharing one Redis never cross. */
  prefix?: string;
  /** Messages a slow subscriber may have waiting; beyond that the oldest are dropped with a warning. */
  bufferSize?: number;
}

export const PUBSUB_DEFAULTS = { prefix: 'ps:', bufferSize: 100 } as const;
