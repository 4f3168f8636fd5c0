import type { Logger } from '@commerce/kit';
import { assertName } from '../names.js';
import type { ParsedEnvelope } from '../envelope.js';
import { runPartitioned } from './run-partitioned.js';
import { retryDelay } from './settings.js';
import type { KeyedEntry, StreamReader, StreamStore, StreamEntry } from './stream-store.js';
import type { ConsumerSettings, ConsumerStats, EventHandler, EventSubscription } from './transport.js';
import { decodeEvent } from './wire.js';

export interface StreamConsumerOptions {
  store: StreamStore;
  logger: Logger;
  group: string;
  consumer: string;
  streams: readonly string[];
  /** Stream name -> key, and -> its dead-letter stream's key. */
  keyOf(stream: string): string;
  deadKeyOf(stream: string): string;
  handler: EventHandler;
  settings: ConsumerSettings;
  /** Trim length of the dead-letter streams (0: no trimming). */
  maxLength: number;
  onEnd(): void;
}

interface Message extends StreamEntry {
  stream: string;
  key: string;
}

/** Own pending messages looked at per stream and round, for retries. */
const PENDING_SCAN = 100;
const WARN_INTERVAL_MS = 30_000;
const MAX_ERROR_LENGTH = 2_000;

/**
 * One consumer of a group, over any StreamStore: reads new messages and runs the handler on up to `concurrency` of
 * them at once, one aggregate's messages one after another in stream order; acknowledges each after its handler
 * resolved; a failure stays pending and is delivered again after the backoff (XCLAIM by its own consumer), up to
 * `maxAttempts`, then goes to the dead-letter stream. Between reads it takes over messages another consumer left
 * idle for `claimIdleMs` (XAUTOCLAIM).
 */
export class StreamConsumer implements EventSubscription {
  readonly group: string;
  readonly consumer: string;
  readonly ready: Promise<void>;
  private readonly options: StreamConsumerOptions;
  private readonly settings: ConsumerSettings;
  private readonly keys: string[];
  private readonly streamOfKey = new Map<string, string>();
  private readonly cursors = new Map<string, string>();
  private readonly counters: ConsumerStats = { handled: 0, failed: 0, deadLettered: 0, malformed: 0, reclaimed: 0 };
  private readonly done: Promise<void>;
  private reader: StreamReader | undefined;
  private stopping = false;
  private aborted = false;
  private nextMaintenance = 0;
  private wake: (() => void) | undefined;
  private lastWarning = 0;

  constructor(options: StreamConsumerOptions) {
    assertName('group', options.group);
    assertName('consumer', options.consumer);
    if (options.streams.length === 0) throw new TypeError('subscribe to at least one stream');
    for (const stream of options.streams) assertName('stream', stream);
    this.options = options;
    this.settings = options.settings;
    this.group = options.group;
    this.consumer = options.consumer;
    this.keys = [...new Set(options.streams)].map((stream) => {
      const key = options.keyOf(stream);
      this.streamOfKey.set(key, stream);
      return key;
    });
    this.ready = this.start();
    this.ready.catch(() => {}); // also reported through `done`: the subscription has ended
    this.done = this.ready.then(() => this.run(), () => undefined).finally(() => this.finish());
  }

  stats(): ConsumerStats {
    return { ...this.counters };
  }

  async stop(): Promise<void> {
    if (this.aborted) return;
    if (!this.stopping) {
      this.stopping = true;
      this.wake?.();
      await this.reader?.interrupt().catch(() => undefined);
    }
    await this.done;
  }

  async abort(): Promise<void> {
    if (this.aborted) return;
    this.aborted = true;
    this.stopping = true;
    this.wake?.();
    this.reader?.destroy();
    this.options.onEnd();
    // Not awaiting `done`: a handler may never finish. Whatever it does later is not acknowledged.
  }

  /** Maintenance runs at least this often: retries are due from retryBaseMs on, reclaims from claimIdleMs on. */
  private get maintenanceIntervalMs(): number {
    return Math.max(5, Math.min(this.settings.retryBaseMs, this.settings.claimIdleMs, 1_000));
  }

  private async start(): Promise<void> {
    const { store, group } = this.options;
    for (const key of this.keys) await store.createGroup(key, group);
    const reader = await store.openReader();
    if (this.aborted) return reader.destroy();
    this.reader = reader;
  }

  private async run(): Promise<void> {
    let errorsInARow = 0;
    while (!this.stopping && this.reader) {
      try {
        if (Date.now() >= this.nextMaintenance) {
          await this.maintain();
          this.nextMaintenance = Date.now() + this.maintenanceIntervalMs;
        }
        if (this.stopping) break;
        const { blockMs, batchSize, concurrency } = this.settings;
        const wait = Math.min(blockMs, Math.max(1, this.nextMaintenance - Date.now()));
        // At least `concurrency` per read, so that a batch can keep every handler slot busy.
        const entries = await this.reader.read(this.group, this.consumer, this.keys, Math.max(batchSize, concurrency), wait);
        await this.deliverBatch(entries); // a read batch is finished even when stopping
        errorsInARow = 0;
      } catch (error) {
        if (this.stopping) break;
        errorsInARow += 1;
        this.warn(error, 'event consumer: reading the streams failed; retrying');
        if (/NOGROUP/.test(String(error))) await this.recreateGroups();
        await this.sleep(retryDelay(this.settings, errorsInARow));
      }
    }
  }

  /**
   * Delivers a read batch, up to `concurrency` messages at once: the messages of one aggregate one after another,
   * in stream order, each settled (acknowledged, touched for a retry, or dead-lettered) before the next starts.
   * A failed message is delivered again later by maintain(), after the later messages of its aggregate in this
   * batch (as when delivering one at a time). Resolves once the whole batch settled; if settling one failed (the
   * store), nothing more of the batch starts, and what was not delivered stays pending for maintain().
   */
  private async deliverBatch(entries: readonly KeyedEntry[]): Promise<void> {
    const batch = entries.map((entry) => {
      const message: Message = { ...entry, stream: this.streamOfKey.get(entry.key) ?? entry.key };
      return { message, decoded: decodeEvent(entry.fields) };
    });
    await runPartitioned(
      batch,
      // One partition per aggregate (across streams too); a malformed message has none and is dead-lettered at once.
      ({ decoded }) => (decoded.ok ? decoded.envelope.aggregateId : undefined),
      this.settings.concurrency,
      ({ message, decoded }) => this.deliver(message, 1, decoded),
    );
  }

  /** Runs the handler for one message and settles it: ack, retry later, or dead-letter. */
  private async deliver(message: Message, attempt: number, decoded: ParsedEnvelope = decodeEvent(message.fields)): Promise<void> {
    if (this.aborted) return;
    const { store, handler, group, consumer } = this.options;
    if (!decoded.ok) {
      this.counters.malformed += 1;
      return this.deadLetter(message, attempt, `malformed message: ${decoded.error}`);
    }
    if (attempt > this.settings.maxAttempts) {
      // Delivered that often without an ack or a recorded failure: its consumers crashed while handling it.
      return this.deadLetter(message, attempt, `delivered ${attempt} times without an acknowledgement`);
    }
    const event = decoded.envelope;
    try {
      await handler(event, { stream: message.stream, messageId: message.id, group, consumer, attempt });
    } catch (error) {
      if (this.aborted) return;
      this.counters.failed += 1;
      if (attempt >= this.settings.maxAttempts) return this.deadLetter(message, attempt, errorText(error));
      this.options.logger.warn(
        { err: error, stream: message.stream, messageId: message.id, eventId: event.id, eventType: event.type, group, attempt },
        'event handler failed; delivering it again after a backoff',
      );
      // It stays pending; maintain() delivers it again once it has been idle for retryDelay, counted from now.
      return store.touch(message.key, group, consumer, message.id);
    }
    if (this.aborted) return;
    await store.ack(message.key, group, [message.id]);
    this.counters.handled += 1;
  }

  private async deadLetter(message: Message, attempts: number, error: string): Promise<void> {
    const { store, group, consumer, logger } = this.options;
    await store.deadLetter(
      message.key,
      group,
      message.id,
      this.options.deadKeyOf(message.stream),
      {
        stream: message.stream,
        messageId: message.id,
        group,
        consumer,
        attempts: String(attempts),
        error: error.slice(0, MAX_ERROR_LENGTH),
        failedAt: new Date().toISOString(),
        fields: JSON.stringify(message.fields),
      },
      this.options.maxLength,
    );
    this.counters.deadLettered += 1;
    logger.error({ stream: message.stream, messageId: message.id, group, attempts, error }, 'event moved to the dead-letter stream');
  }

  /**
   * Takes over what dead consumers left pending, then delivers again this consumer's failures that are due. One
   * message at a time (not `concurrency`): these are the exceptions, and it keeps their order simple.
   */
  private async maintain(): Promise<void> {
    const { store, group, consumer } = this.options;
    const { claimIdleMs, batchSize } = this.settings;
    for (const key of this.keys) {
      const stream = this.streamOfKey.get(key) ?? key;
      const claimed = await store.autoClaim(key, group, consumer, claimIdleMs, this.cursors.get(key) ?? '0-0', batchSize);
      this.cursors.set(key, claimed.next);
      const mine = await store.pending(key, group, consumer, PENDING_SCAN);
      const deliveries = new Map(mine.map((entry) => [entry.id, entry.deliveries]));
      for (const entry of claimed.messages) {
        if (this.aborted) return;
        this.counters.reclaimed += 1;
        await this.deliver({ ...entry, key, stream }, deliveries.get(entry.id) ?? 1);
      }
      const reclaimedIds = new Set(claimed.messages.map((entry) => entry.id));
      for (const entry of mine) {
        if (this.stopping) return;
        const wait = retryDelay(this.settings, entry.deliveries);
        if (reclaimedIds.has(entry.id) || entry.idleMs < wait) continue;
        const [message] = await store.claim(key, group, consumer, wait, [entry.id]);
        if (message) await this.deliver({ ...message, key, stream }, entry.deliveries + 1);
      }
    }
  }

  private async recreateGroups(): Promise<void> {
    for (const key of this.keys) await this.options.store.createGroup(key, this.group).catch(() => undefined);
  }

  private async finish(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    try {
      if (this.aborted) {
        reader?.destroy();
        return;
      }
      await reader?.close();
      await this.forgetConsumer();
    } catch (error) {
      this.warn(error, 'event consumer: closing failed');
    } finally {
      this.options.onEnd();
    }
  }

  /** A consumer that stops with nothing pending leaves the group, so that names of past instances do not pile up. */
  private async forgetConsumer(): Promise<void> {
    const { store, group, consumer } = this.options;
    for (const key of this.keys) {
      if ((await store.pending(key, group, consumer, 1)).length === 0) await store.deleteConsumer(key, group, consumer);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private warn(error: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = now;
    this.options.logger.warn({ err: error, group: this.group, consumer: this.consumer }, message);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
