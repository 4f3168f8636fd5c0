import { isDatabaseUnavailable, type Logger, deleteOldest } from '@commerce/kit';
import { assertName } from '../names.js';
import type { ParsedEnvelope } from '../envelope.js';
import { retryDelay } from './settings.js';
import type { StreamReader, StreamStore, StreamEntry } from './stream-store.js';
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

/** A message read (or claimed) and not settled yet: waiting for its turn, or being handled. */
interface Held {
  message: Message;
  attempt: number;
  decoded: ParsedEnvelope;
  /** Undefined for a malformed message: it is dead-lettered at once, alongside anything. */
  aggregate: string | undefined;
}

/** Own pending messages looked at per stream and round, for retries. */
const PENDING_SCAN = 100;
/** A read asks for this many messages more than there are free handler slots (see readCount). */
const READ_AHEAD = 2;
const WARN_INTERVAL_MS = 30_000;
/** Messages whose failures during a database outage are remembered (beyond it, the oldest are forgotten). */
const OUTAGE_MEMORY = 10_000;
const MAX_ERROR_LENGTH = 2_000;

/**
 * One consumer of a group, over any StreamStore: reads new messages and runs the handler on up to `concurrency` of
 * them at once, one aggregate's messages one after another in stream order; acknowledges each after its handler
 * resolved; a failure stays pending and is delivered again after the backoff (XCLAIM by its own consumer), up to
 * `maxAttempts`, then goes to the dead-letter stream. Between reads it takes over messages another consumer left
 * idle for `claimIdleMs` (XAUTOCLAIM).
 *
 * Reading and handling overlap: the loop reads again as soon as a handler slot is free, so a slow handler holds up
 * only the later messages of its own aggregate, which wait in memory. At most `heldLimit` messages are held (read
 * or claimed, not settled yet); at the limit the loop stops reading until handlers settle.
 */
export class StreamConsumer implements EventSubscription {
  readonly group: string;
  readonly consumer: string;
  readonly ready: Promise<void>;
  /**
   * Deliveries per message that failed only because the database was not reachable: they do not count towards
   * `maxAttempts`, so that an outage longer than the backoff dead-letters nothing; the messages wait and are handled
   * once it is back. In memory: after a restart such deliveries count again.
   */
  private readonly outageFailures = new Map<string, number>();
  /** Most messages held in memory at once. */
  readonly heldLimit: number;
  private readonly options: StreamConsumerOptions;
  private readonly settings: ConsumerSettings;
  private readonly keys: string[];
  private readonly streamOfKey = new Map<string, string>();
  private readonly cursors = new Map<string, string>();
  private readonly counters: ConsumerStats = { handled: 0, failed: 0, deadLettered: 0, malformed: 0, reclaimed: 0 };
  private readonly done: Promise<void>;
  /** Messages held, `<key> <id>`: maintain() must not deliver them a second time. */
  private readonly heldIds = new Set<string>();
  /**
   * Held messages not started yet, in the order read: each aggregate's queue, in stream order. A free slot takes the
   * first one whose aggregate has no handler running, so with `concurrency` 1 they run in the order read.
   */
  private readonly waiting: Held[] = [];
  /** Aggregates with a handler running. */
  private readonly busy = new Set<string>();
  private running = 0;
  /** The first error settling a message (the store): nothing more starts until the loop has recovered. */
  private unsettled: { error: unknown } | undefined;
  private reader: StreamReader | undefined;
  private stopping = false;
  private aborted = false;
  private nextMaintenance = 0;
  /** Ends the loop's current wait early (stop, abort). */
  private wake: (() => void) | undefined;
  /** Ends the loop's current wait early when a handler settles (set only while it waits for that). */
  private wakeOnSettle: (() => void) | undefined;
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
    // Room for several reads' worth; at least one message per stream, since one read asks each stream for as many.
    this.heldLimit = Math.max(this.settings.batchSize, this.settings.concurrency, this.keys.length) * 4;
    this.ready = this.start();
    this.ready.catch(() => {}); // also reported through `done`: the subscription has ended
    this.done = this.ready
      .then(
        () => this.run(),
        () => undefined,
      )
      .finally(() => this.finish());
  }

  stats(): ConsumerStats {
    return { ...this.counters };
  }

  /** Messages read or claimed and not settled yet (being handled, or waiting): at most `heldLimit`. */
  get held(): number {
    return this.heldIds.size;
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
        if (this.unsettled) await this.recover();
        if (Date.now() >= this.nextMaintenance) {
          await this.maintain();
          this.nextMaintenance = Date.now() + this.maintenanceIntervalMs;
        }
        if (this.stopping) break;
        const wait = Math.min(this.settings.blockMs, Math.max(1, this.nextMaintenance - Date.now()));
        const count = this.readCount();
        if (count === 0) {
          await this.sleep(wait, true);
          continue;
        }
        const entries = await this.reader.read(this.group, this.consumer, this.keys, count, wait);
        // Handled even when stopping: they are read.
        for (const entry of entries) this.admit({ ...entry, stream: this.streamOfKey.get(entry.key) ?? entry.key }, 1);
        errorsInARow = 0;
      } catch (error) {
        if (this.stopping) break;
        errorsInARow += 1;
        this.warn(error, 'event consumer: reading the streams failed; retrying');
        if (/NOGROUP/.test(String(error))) await this.recreateGroups();
        await this.sleep(retryDelay(this.settings, errorsInARow));
      }
    }
    // stop(): every message held is finished (abort(): nothing is awaited). As handlers settle, the waiting ones start.
    await this.whileHandling();
    if (this.unsettled) this.warn(this.unsettled.error, 'event consumer: settling a message failed while stopping');
    this.forgetWaiting();
  }

  /**
   * Messages to ask each stream for: none while every handler slot is busy or `heldLimit` is reached; otherwise the
   * free slots and a few more (some may be for an aggregate that is busy, and the next read can wait until those
   * run), at most `batchSize`. No more than can start soon, so that other consumers of the group get the rest.
   */
  private readCount(): number {
    const free = this.settings.concurrency - this.running;
    const room = Math.floor((this.heldLimit - this.held) / this.keys.length); // a read can take `count` per stream
    if (free <= 0) return 0;
    return Math.max(0, Math.min(this.settings.batchSize, free + READ_AHEAD, room));
  }

  /** Holds a message read or claimed; it starts once a slot is free and its aggregate's earlier messages settled. */
  private admit(message: Message, attempt: number): void {
    const decoded = decodeEvent(message.fields);
    this.heldIds.add(heldId(message.key, message.id));
    this.waiting.push({ message, attempt, decoded, aggregate: decoded.ok ? decoded.envelope.aggregateId : undefined });
    this.startWaiting();
  }

  /** Fills the free slots, each with the first waiting message whose aggregate is idle. */
  private startWaiting(): void {
    while (!this.aborted && !this.unsettled && this.running < this.settings.concurrency) {
      const index = this.waiting.findIndex(({ aggregate }) => aggregate === undefined || !this.busy.has(aggregate));
      if (index < 0) return;
      const [next] = this.waiting.splice(index, 1);
      if (next) this.handle(next);
    }
  }

  /** Runs one held message; once it is settled (or settling it failed) its slot and its aggregate are free. */
  private handle({ message, attempt, decoded, aggregate }: Held): void {
    this.running += 1;
    if (aggregate !== undefined) this.busy.add(aggregate);
    this.deliver(message, attempt, decoded)
      .catch((error: unknown) => {
        this.unsettled ??= { error };
      })
      .finally(() => {
        this.running -= 1;
        if (aggregate !== undefined) this.busy.delete(aggregate);
        // Only now: until its ack or touch is done, maintain() could take it for a retry that is due.
        this.heldIds.delete(heldId(message.key, message.id));
        this.startWaiting();
        this.wakeOnSettle?.();
      });
  }

  /**
   * After a message could not be settled (the store failed): lets the running handlers finish, forgets the waiting
   * messages (they stay pending, and maintain() delivers them again once their backoff has passed), then throws the
   * error for the loop's backoff, as a failed read does.
   */
  private async recover(): Promise<void> {
    await this.whileHandling();
    this.forgetWaiting();
    const error = this.unsettled?.error;
    this.unsettled = undefined;
    throw error;
  }

  private async whileHandling(): Promise<void> {
    while (this.running > 0 && !this.aborted) await this.sleep(this.settings.blockMs, true);
  }

  private forgetWaiting(): void {
    for (const { message } of this.waiting.splice(0)) this.heldIds.delete(heldId(message.key, message.id));
  }

  /** Runs the handler for one message and settles it: ack, retry later, or dead-letter. */
  private async deliver(message: Message, attempt: number, decoded: ParsedEnvelope): Promise<void> {
    if (this.aborted) return;
    const { store, handler, group, consumer } = this.options;
    if (!decoded.ok) {
      this.counters.malformed += 1;
      return this.deadLetter(message, attempt, `malformed message: ${decoded.error}`);
    }
    const id = heldId(message.key, message.id);
    const counted = attempt - (this.outageFailures.get(id) ?? 0);
    if (counted > this.settings.maxAttempts) {
      // Delivered that often without an ack or a recorded failure: its consumers crashed while handling it.
      return this.deadLetter(message, attempt, `delivered ${attempt} times without an acknowledgement`);
    }
    const event = decoded.envelope;
    try {
      await handler(event, { stream: message.stream, messageId: message.id, group, consumer, attempt });
    } catch (error) {
      if (this.aborted) return;
      this.counters.failed += 1;
      if (isDatabaseUnavailable(error)) {
        this.rememberOutageFailure(id);
        this.warn(error, 'event handler: the database is not reachable; the event waits and is delivered again after a backoff');
        return store.touch(message.key, group, consumer, message.id);
      }
      if (counted >= this.settings.maxAttempts) return this.deadLetter(message, attempt, errorText(error));
      this.options.logger.warn(
        { err: error, stream: message.stream, messageId: message.id, eventId: event.id, eventType: event.type, group, attempt },
        'event handler failed; delivering it again after a backoff',
      );
      // It stays pending; maintain() delivers it again once it has been idle for retryDelay, counted from now.
      return store.touch(message.key, group, consumer, message.id);
    }
    if (this.aborted) return;
    await store.ack(message.key, group, [message.id]);
    this.outageFailures.delete(id);
    this.counters.handled += 1;
  }

  private rememberOutageFailure(id: string): void {
    const failures = (this.outageFailures.get(id) ?? 0) + 1;
    this.outageFailures.delete(id); // re-inserted last: the oldest entry is the first key
    this.outageFailures.set(id, failures);
    if (this.outageFailures.size > OUTAGE_MEMORY) deleteOldest(this.outageFailures);
  }

  private async deadLetter(message: Message, attempts: number, error: string): Promise<void> {
    const { store, group, consumer, logger } = this.options;
    this.outageFailures.delete(heldId(message.key, message.id));
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
   * Takes over what dead consumers left pending, then claims this consumer's failures that are due for a retry. They
   * are held like messages read: they run under the same rules, a retry after the messages of its aggregate already
   * held. Claims only while there is room under `heldLimit`; the rest waits for a later round.
   *
   * A message this consumer holds is pending on it, and may have been idle longer than a retry's backoff (a slow
   * handler, or waiting behind one), so it is skipped here: it is running or about to. It stays held until its ack,
   * touch (which restarts its idle time) or dead-lettering is done, so a retry claim can only find it idle once it
   * failed and its backoff has passed. XAUTOCLAIM can return a held message too, after `claimIdleMs` (like another
   * consumer's would): it is skipped as well; that only restarted its idle time and counted one more delivery.
   */
  private async maintain(): Promise<void> {
    const { store, group, consumer } = this.options;
    const { claimIdleMs, batchSize } = this.settings;
    for (const key of this.keys) {
      if (this.held >= this.heldLimit) return;
      const stream = this.streamOfKey.get(key) ?? key;
      const count = Math.min(batchSize, this.heldLimit - this.held);
      const claimed = await store.autoClaim(key, group, consumer, claimIdleMs, this.cursors.get(key) ?? '0-0', count);
      this.cursors.set(key, claimed.next);
      const mine = await store.pending(key, group, consumer, PENDING_SCAN);
      const deliveries = new Map(mine.map((entry) => [entry.id, entry.deliveries]));
      const reclaimedIds = new Set(claimed.messages.map((entry) => entry.id));
      for (const entry of claimed.messages) {
        if (this.aborted) return;
        if (this.heldIds.has(heldId(key, entry.id))) continue;
        this.counters.reclaimed += 1;
        this.admit({ ...entry, key, stream }, deliveries.get(entry.id) ?? 1);
      }
      for (const entry of mine) {
        if (this.stopping || this.held >= this.heldLimit) return;
        const wait = retryDelay(this.settings, entry.deliveries);
        if (reclaimedIds.has(entry.id) || this.heldIds.has(heldId(key, entry.id)) || entry.idleMs < wait) continue;
        const [message] = await store.claim(key, group, consumer, wait, [entry.id]);
        if (message) this.admit({ ...message, key, stream }, entry.deliveries + 1);
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

  /** Waits `ms`, or less: on stop() or abort(), and with `untilSettled` once a handler settles. */
  private sleep(ms: number, untilSettled = false): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
      this.wakeOnSettle = untilSettled ? done : undefined;
    });
  }

  private warn(error: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = now;
    this.options.logger.warn({ err: error, group: this.group, consumer: this.consumer }, message);
  }
}

function heldId(key: string, id: string): string {
  return `${key} ${id}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
