import type { EventEnvelope } from '../envelope.js';

/**
 * The event bus port: durable, ordered streams of events with consumer groups (Redis Streams semantics).
 *
 * - `publish` appends to a stream (one per producing service or event family, e.g. `inventory`).
 * - Each consuming service subscribes with its own group: every group gets every event of the streams it reads;
 *   within a group, each event goes to one of its consumers (instances).
 * - An event is acknowledged only after its handler resolved. A handler that throws gets it again after an
 *   exponential backoff; after `maxAttempts` deliveries the event goes to the stream's dead-letter stream
 *   (`<stream>:dead`, with the error) and is acknowledged. So is a message that is not a valid envelope, at once.
 * - Events a consumer read but never acknowledged (it died) are reclaimed by another consumer of the group once
 *   they have been idle for `claimIdleMs`.
 *
 * Delivery is at least once, and not strictly ordered once retries happen: handlers deduplicate by event id
 * (`consume` does it with the inbox) and order by the aggregate's `version` where it matters.
 *
 * A consumer runs up to `concurrency` handlers at once, for different aggregates (the envelope's `aggregateId`):
 * within one consumer the messages of an aggregate are handled one after another, in stream order, each one settled
 * (acknowledged, left for a retry, or dead-lettered) before the next one starts. It reads on while a handler slot is
 * free, so a slow handler holds up only the later messages of its own aggregate; those wait in memory, up to a bound
 * (4 x the largest of `batchSize`, `concurrency` and the number of streams), where it stops reading until
 * handlers finish.
 */
export interface EventTransport {
  readonly kind: 'redis-streams' | 'in-process';
  /** Appends the events to `stream`, in order and atomically; resolves with their message ids once stored. */
  publish(stream: string, events: readonly EventEnvelope[]): Promise<string[]>;
  /** Starts one consumer of `group` (its group is created if needed, reading from the stream's start). */
  subscribe(options: SubscribeOptions): EventSubscription;
  /** The newest dead letters of `stream`, oldest first. */
  deadLetters(stream: string, limit?: number): Promise<DeadLetter[]>;
  /**
   * Puts dead letters (ids in `<stream>:dead`) back on `stream`, each atomically (removed from the dead-letter stream
   * exactly when appended): every group of the stream gets them again, so groups that had handled them see a
   * duplicate, which their inbox absorbs. A dead letter that is not a valid envelope is not replayed (`malformed`).
   */
  replayDeadLetters(stream: string, ids: readonly string[]): Promise<DeadLetterOutcome[]>;
  /** Deletes dead letters for good (e.g. malformed ones, once looked at). */
  discardDeadLetters(stream: string, ids: readonly string[]): Promise<DeadLetterOutcome[]>;
  /** Gauge: messages in the dead-letter stream of `stream`. */
  deadLetterCount(stream: string): Promise<number>;
  /** Gauges: a group's consumer lag on `stream`. */
  groupLag(stream: string, group: string): Promise<GroupLag>;
  /** Stops every subscription of this transport (gracefully) and releases its connections. */
  close(): Promise<void>;
}

export type EventHandler = (event: EventEnvelope, delivery: Delivery) => Promise<void>;

export interface Delivery {
  stream: string;
  /** The transport's message id (Redis: `<ms>-<seq>`). */
  messageId: string;
  group: string;
  consumer: string;
  /** 1 on the first delivery; `maxAttempts` on the last one before the dead-letter stream. */
  attempt: number;
}

export interface SubscribeOptions {
  /** The consuming service, e.g. `orders`: one group per service, shared by its instances. */
  group: string;
  streams: readonly string[];
  handler: EventHandler;
  /** This instance's name within the group; defaults to `<host>-<pid>-<random>`. */
  consumer?: string;
  /** Overrides of the transport's settings for this subscription. */
  settings?: Partial<ConsumerSettings>;
}

export interface ConsumerSettings {
  /** Deliveries before an event goes to the dead-letter stream. */
  maxAttempts: number;
  /** Backoff before the n-th retry: retryBaseMs * 2^(n-1), at most retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /**
   * A message pending this long on another consumer is taken over (that consumer is presumed dead). Keep it above
   * the longest handler run: a slower handler's message is delivered a second time (the inbox absorbs it).
   */
  claimIdleMs: number;
  /** Longest wait of one blocking read; also bounds how late retries and reclaims are looked for. */
  blockMs: number;
  /**
   * Most messages one read asks a stream for; a read asks for no more than the free handler slots and a few more.
   */
  batchSize: number;
  /**
   * Handlers running at once, each for a different aggregate (`aggregateId`); the messages of one aggregate are
   * handled one at a time, in stream order. 1: one message at a time. The consumer reads while fewer run.
   */
  concurrency: number;
}

export interface EventSubscription {
  readonly group: string;
  readonly consumer: string;
  /** Settles once the groups exist and the consumer reads; rejects if it cannot start (it has then stopped). */
  readonly ready: Promise<void>;
  /** Counters since the start. */
  stats(): ConsumerStats;
  /** Stops reading, finishes (and acknowledges) the messages already read, then resolves. */
  stop(): Promise<void>;
  /**
   * Stops at once, like a crash: a handler still running is not awaited and its message is never acknowledged,
   * so another consumer of the group reclaims it after `claimIdleMs`.
   */
  abort(): Promise<void>;
}

export interface ConsumerStats {
  /** Handler runs that resolved (and were acknowledged). */
  handled: number;
  /** Handler runs that threw. */
  failed: number;
  /** Messages sent to the dead-letter stream (failed too often, or malformed). */
  deadLettered: number;
  /** Of those, messages that were not a valid envelope. */
  malformed: number;
  /** Messages taken over from another (presumably dead) consumer. */
  reclaimed: number;
}

export interface DeadLetter {
  /** The dead-letter stream's own message id. */
  id: string;
  stream: string;
  /** The message's id in `stream`. */
  messageId: string;
  group: string;
  consumer: string;
  attempts: number;
  error: string;
  failedAt: string;
  /** The original message's fields, as they were (a malformed message may have anything here). */
  fields: Record<string, string>;
}

export interface DeadLetterOutcome {
  /** The dead letter's id. */
  id: string;
  outcome: 'replayed' | 'discarded' | 'not-found' | 'malformed';
  /** Replayed: the message's new id in the stream. */
  messageId?: string;
}

export interface GroupLag {
  /** Delivered to a consumer, not yet acknowledged. */
  pending: number;
  /** Not yet delivered to any consumer of the group (null when Redis cannot tell, e.g. after trimming). */
  undelivered: number | null;
}

export const CONSUMER_DEFAULTS: ConsumerSettings = {
  maxAttempts: 5,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  claimIdleMs: 60_000,
  blockMs: 2_000,
  batchSize: 10,
  concurrency: 8,
};
