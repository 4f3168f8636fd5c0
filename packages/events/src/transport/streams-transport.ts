import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '@commerce/kit';
import type { EventEnvelope } from '../envelope.js';
import { assertName } from '../names.js';
import { resolveConsumerSettings } from './settings.js';
import { StreamConsumer } from './stream-consumer.js';
import type { StreamStore } from './stream-store.js';
import type {
  ConsumerSettings,
  DeadLetter,
  DeadLetterOutcome,
  EventSubscription,
  EventTransport,
  GroupLag,
  SubscribeOptions,
} from './transport.js';
import { decodeEvent, encodeEvent } from './wire.js';

export interface StreamsTransportOptions {
  logger: Logger;
  /** Prepended to every stream key (`events:` -> `events:inventory`), so deployments and test runs never cross. */
  prefix?: string;
  /** Streams (dead-letter streams too) are trimmed to about this many messages; 0: never trimmed. */
  maxLength?: number;
  /** Defaults of every subscription (CONSUMER_DEFAULTS otherwise). */
  consumer?: Partial<ConsumerSettings>;
}

export const TRANSPORT_DEFAULTS = { prefix: 'events:', maxLength: 1_000_000 } as const;

/** An EventTransport over a StreamStore: the Redis Streams and in-process transports differ only in the store. */
export abstract class StreamsTransport implements EventTransport {
  abstract readonly kind: EventTransport['kind'];
  readonly prefix: string;
  protected readonly logger: Logger;
  private readonly maxLength: number;
  private readonly defaults: ConsumerSettings;
  private readonly subscriptions = new Set<StreamConsumer>();
  private closed = false;

  protected constructor(
    private readonly store: StreamStore,
    options: StreamsTransportOptions,
  ) {
    this.logger = options.logger;
    this.prefix = options.prefix ?? TRANSPORT_DEFAULTS.prefix;
    this.maxLength = options.maxLength ?? TRANSPORT_DEFAULTS.maxLength;
    if (!Number.isInteger(this.maxLength) || this.maxLength < 0) throw new RangeError('maxLength must be a whole number >= 0');
    this.defaults = resolveConsumerSettings(options.consumer);
  }

  async publish(stream: string, events: readonly EventEnvelope[]): Promise<string[]> {
    this.assertOpen();
    assertName('stream', stream);
    if (events.length === 0) return [];
    return this.store.append(this.keyOf(stream), events.map(encodeEvent), this.maxLength);
  }

  /** Appends a message as it is, valid or not (tools, tests): consumers dead-letter what is not an envelope. */
  async publishRaw(stream: string, fields: Record<string, string>): Promise<string> {
    this.assertOpen();
    assertName('stream', stream);
    const [id] = await this.store.append(this.keyOf(stream), [fields], this.maxLength);
    return id ?? '';
  }

  subscribe(options: SubscribeOptions): EventSubscription {
    this.assertOpen();
    const consumer: StreamConsumer = new StreamConsumer({
      store: this.store,
      logger: this.logger,
      group: options.group,
      consumer: options.consumer ?? defaultConsumerName(),
      streams: options.streams,
      keyOf: (stream) => this.keyOf(stream),
      deadKeyOf: (stream) => this.deadKeyOf(stream),
      handler: options.handler,
      settings: resolveConsumerSettings(this.defaults, options.settings),
      maxLength: this.maxLength,
      onEnd: () => this.subscriptions.delete(consumer),
    });
    this.subscriptions.add(consumer);
    return consumer;
  }

  async deadLetters(stream: string, limit = 100): Promise<DeadLetter[]> {
    const entries = await this.store.newest(this.deadKeyOf(stream), limit);
    return entries.map(({ id, fields }) => ({
      id,
      stream: fields.stream ?? stream,
      messageId: fields.messageId ?? '',
      group: fields.group ?? '',
      consumer: fields.consumer ?? '',
      attempts: Number(fields.attempts ?? 0),
      error: fields.error ?? '',
      failedAt: fields.failedAt ?? '',
      fields: parseFields(fields.fields),
    }));
  }

  async replayDeadLetters(stream: string, ids: readonly string[]): Promise<DeadLetterOutcome[]> {
    this.assertOpen();
    assertName('stream', stream);
    const outcomes: DeadLetterOutcome[] = [];
    for (const id of ids) {
      const dead = isMessageId(id) ? await this.store.get(this.deadKeyOf(stream), id) : undefined;
      const original = parseFields(dead?.fields.fields);
      if (!dead) outcomes.push({ id, outcome: 'not-found' });
      else if (!decodeEvent(original).ok) outcomes.push({ id, outcome: 'malformed' });
      else {
        const messageId = await this.store.move(this.deadKeyOf(stream), id, this.keyOf(stream), original, this.maxLength);
        outcomes.push(messageId ? { id, outcome: 'replayed', messageId } : { id, outcome: 'not-found' });
      }
    }
    const replayed = outcomes.filter((outcome) => outcome.outcome === 'replayed').length;
    if (replayed > 0) this.logger.info({ stream, replayed }, 'dead letters replayed');
    return outcomes;
  }

  async discardDeadLetters(stream: string, ids: readonly string[]): Promise<DeadLetterOutcome[]> {
    this.assertOpen();
    assertName('stream', stream);
    const outcomes: DeadLetterOutcome[] = [];
    for (const id of ids) {
      const removed = isMessageId(id) && (await this.store.remove(this.deadKeyOf(stream), id));
      outcomes.push({ id, outcome: removed ? 'discarded' : 'not-found' });
    }
    return outcomes;
  }

  deadLetterCount(stream: string): Promise<number> {
    return this.store.length(this.deadKeyOf(stream));
  }

  async groupLag(stream: string, group: string): Promise<GroupLag> {
    const { pending, lag } = await this.store.groupInfo(this.keyOf(stream), group);
    return { pending, undelivered: lag };
  }

  /** Subscriptions of this transport in this process that are still running. */
  subscriptionCount(): number {
    return this.subscriptions.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.store.close();
  }

  keyOf(stream: string): string {
    return this.prefix + stream;
  }

  deadKeyOf(stream: string): string {
    return `${this.prefix}${stream}:dead`;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event transport is closed');
  }
}

function defaultConsumerName(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 60) || 'host';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A stream message id, `<ms>-<seq>` (anything else would be a Redis error). */
function isMessageId(id: string): boolean {
  return /^\d{1,20}-\d{1,20}$/.test(id);
}

function parseFields(raw: string | undefined): Record<string, string> {
  try {
    const value: unknown = JSON.parse(raw ?? '{}');
    return typeof value === 'object' && value !== null ? (value as Record<string, string>) : {}; // written by StreamConsumer
  } catch {
    return {};
  }
}
