/**
 * The storage the event transports share their logic over: the subset of Redis Streams they use, by full key.
 * `RedisStreamStore` is Redis itself; `MemoryStreamStore` reproduces the same semantics in this process.
 */
export interface StreamStore {
  /** XADD each in order, atomically (MULTI); trims to about `maxLength` entries when it is > 0. */
  append(key: string, messages: readonly Record<string, string>[], maxLength: number): Promise<string[]>;
  /** XGROUP CREATE key group 0 MKSTREAM, where it does not exist yet. */
  createGroup(key: string, group: string): Promise<void>;
  /** A reader of its own (Redis: a dedicated connection, since blocking reads hold it). */
  openReader(): Promise<StreamReader>;
  /** XPENDING key group - + count consumer: the consumer's pending messages, oldest first. */
  pending(key: string, group: string, consumer: string, count: number): Promise<PendingEntry[]>;
  /** XCLAIM: takes the messages still idle for `minIdleMs` (each delivery count + 1); deleted ones are skipped. */
  claim(key: string, group: string, consumer: string, minIdleMs: number, ids: readonly string[]): Promise<StreamEntry[]>;
  /** XCLAIM ... JUSTID by its own consumer: restarts a pending message's idle time without counting a delivery. */
  touch(key: string, group: string, consumer: string, id: string): Promise<void>;
  /** XAUTOCLAIM from `cursor`; `next` is '0-0' when the scan is complete. */
  autoClaim(
    key: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    cursor: string,
    count: number,
  ): Promise<{ next: string; messages: StreamEntry[] }>;
  /** XACK */
  ack(key: string, group: string, ids: readonly string[]): Promise<void>;
  /** XADD to `deadKey` and XACK on `key`, atomically. */
  deadLetter(key: string, group: string, id: string, deadKey: string, fields: Record<string, string>, maxLength: number): Promise<void>;
  /**
   * Atomically: when `id` is still in `fromKey`, deletes it (XDEL) and appends `fields` to `toKey`. Resolves with the
   * new message's id, or undefined when `id` was not there (replayed or discarded meanwhile).
   */
  move(fromKey: string, id: string, toKey: string, fields: Record<string, string>, maxLength: number): Promise<string | undefined>;
  /** XDEL of one message: true when it was there. */
  remove(key: string, id: string): Promise<boolean>;
  /** XRANGE key id id: the message, or undefined. */
  get(key: string, id: string): Promise<StreamEntry | undefined>;
  /** XLEN (0 when the stream does not exist). */
  length(key: string): Promise<number>;
  /** The newest `count` messages, oldest first. */
  newest(key: string, count: number): Promise<StreamEntry[]>;
  /** XINFO GROUPS: the group's pending count and lag (zero when the stream or group does not exist). */
  groupInfo(key: string, group: string): Promise<{ pending: number; lag: number | null }>;
  /** XGROUP DELCONSUMER */
  deleteConsumer(key: string, group: string, consumer: string): Promise<void>;
  close(): Promise<void>;
}

export interface StreamReader {
  /** XREADGROUP GROUP group consumer COUNT count BLOCK blockMs STREAMS keys... > */
  read(group: string, consumer: string, keys: readonly string[], count: number, blockMs: number): Promise<KeyedEntry[]>;
  /** Makes a read that is waiting return now, with what it has (nothing). */
  interrupt(): Promise<void>;
  close(): Promise<void>;
  /** Drops the connection at once (a crash). */
  destroy(): void;
}

export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

export interface KeyedEntry extends StreamEntry {
  key: string;
}

export interface PendingEntry {
  id: string;
  consumer: string;
  idleMs: number;
  deliveries: number;
}
