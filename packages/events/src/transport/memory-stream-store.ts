import type { KeyedEntry, PendingEntry, StreamEntry, StreamReader, StreamStore } from './stream-store.js';

interface Entry {
  id: string;
  /** Position in the stream: 0, 1, 2... (ids compare the same way). */
  n: number;
  fields: Record<string, string>;
  /** Removed by XDEL: kept in place (so that `n` stays an index) but never read again. */
  deleted?: true;
}

interface Pending {
  n: number;
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}

interface Group {
  /** `n` of the last entry delivered to the group (-1: none yet). */
  lastDelivered: number;
  pending: Map<string, Pending>;
}

interface Stream {
  /** Entries in order; entries[i].n === firstN + i. */
  entries: Entry[];
  byId: Map<string, Entry>;
  firstN: number;
  nextN: number;
  /** Entries marked deleted. */
  deleted: number;
  lastMs: number;
  seq: number;
  groups: Map<string, Group>;
}

/**
 * Redis Streams' semantics in this process (the embedded mode): ids `<ms>-<seq>`, consumer groups with a last
 * delivered id, a pending entries list per group with delivery counts and idle times, XCLAIM/XAUTOCLAIM, and
 * blocking reads woken by appends. Only what StreamStore needs; every message is copied in and out.
 */
export class MemoryStreamStore implements StreamStore {
  private readonly streams = new Map<string, Stream>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  async append(key: string, messages: readonly Record<string, string>[], maxLength: number): Promise<string[]> {
    this.assertOpen();
    const stream = this.stream(key, true);
    const ids = messages.map((fields) => {
      const now = Date.now();
      if (now > stream.lastMs) {
        stream.lastMs = now;
        stream.seq = 0;
      } else {
        stream.seq += 1;
      }
      const entry = { id: `${stream.lastMs}-${stream.seq}`, n: stream.nextN++, fields: { ...fields } };
      stream.entries.push(entry);
      stream.byId.set(entry.id, entry);
      return entry.id;
    });
    if (maxLength > 0 && stream.entries.length > maxLength) {
      for (const entry of stream.entries.splice(0, stream.entries.length - maxLength)) {
        stream.byId.delete(entry.id);
        if (entry.deleted) stream.deleted -= 1;
      }
      stream.firstN = stream.entries[0]?.n ?? stream.nextN;
    }
    for (const wake of [...this.waiters]) wake();
    return ids;
  }

  async createGroup(key: string, group: string): Promise<void> {
    this.assertOpen();
    const stream = this.stream(key, true);
    if (!stream.groups.has(group)) stream.groups.set(group, { lastDelivered: -1, pending: new Map() });
  }

  async openReader(): Promise<StreamReader> {
    this.assertOpen();
    return new MemoryReader(this, this.waiters);
  }

  /** XREADGROUP ... > without blocking (MemoryReader waits around it). */
  readNew(group: string, consumer: string, keys: readonly string[], count: number): KeyedEntry[] {
    this.assertOpen();
    const now = Date.now();
    return keys.flatMap((key) => {
      const stream = this.streams.get(key);
      const state = stream?.groups.get(group);
      if (!stream || !state) throw new Error(`NOGROUP No such key '${key}' or consumer group '${group}'`);
      const from = Math.max(state.lastDelivered + 1, stream.firstN) - stream.firstN;
      const taken = stream.entries.slice(from, from + count);
      for (const entry of taken) {
        if (!entry.deleted) state.pending.set(entry.id, { n: entry.n, consumer, deliveredAt: now, deliveries: 1 });
        state.lastDelivered = entry.n;
      }
      return taken.filter((entry) => !entry.deleted).map((entry) => ({ key, id: entry.id, fields: { ...entry.fields } }));
    });
  }

  async pending(key: string, group: string, consumer: string, count: number): Promise<PendingEntry[]> {
    const state = this.group(key, group);
    const now = Date.now();
    return [...state.pending.entries()]
      .filter(([, entry]) => entry.consumer === consumer)
      .sort(([, a], [, b]) => a.n - b.n)
      .slice(0, count)
      .map(([id, entry]) => ({ id, consumer: entry.consumer, idleMs: now - entry.deliveredAt, deliveries: entry.deliveries }));
  }

  async claim(key: string, group: string, consumer: string, minIdleMs: number, ids: readonly string[]): Promise<StreamEntry[]> {
    const stream = this.stream(key, false);
    const state = this.group(key, group);
    const now = Date.now();
    return ids.flatMap((id) => {
      const pending = state.pending.get(id);
      if (!pending || now - pending.deliveredAt < minIdleMs) return [];
      return this.take(stream, state, id, pending, consumer, now);
    });
  }

  async touch(key: string, group: string, consumer: string, id: string): Promise<void> {
    const pending = this.group(key, group).pending.get(id);
    if (pending) Object.assign(pending, { consumer, deliveredAt: Date.now() });
  }

  async autoClaim(key: string, group: string, consumer: string, minIdleMs: number, cursor: string, count: number) {
    const stream = this.stream(key, false);
    const state = this.group(key, group);
    const now = Date.now();
    const candidates = [...state.pending.entries()].filter(([id]) => compareIds(id, cursor) >= 0).sort(([, a], [, b]) => a.n - b.n);
    const messages: StreamEntry[] = [];
    let next = '0-0';
    for (const [id, pending] of candidates) {
      if (messages.length >= count) {
        next = id;
        break;
      }
      if (now - pending.deliveredAt >= minIdleMs) messages.push(...this.take(stream, state, id, pending, consumer, now));
    }
    return { next, messages };
  }

  async ack(key: string, group: string, ids: readonly string[]): Promise<void> {
    const state = this.group(key, group);
    for (const id of ids) state.pending.delete(id);
  }

  async deadLetter(key: string, group: string, id: string, deadKey: string, fields: Record<string, string>, maxLength: number) {
    this.group(key, group); // NOGROUP before anything is written
    await this.append(deadKey, [fields], maxLength);
    await this.ack(key, group, [id]);
  }

  async move(fromKey: string, id: string, toKey: string, fields: Record<string, string>, maxLength: number): Promise<string | undefined> {
    if (!(await this.remove(fromKey, id))) return undefined;
    const [moved] = await this.append(toKey, [fields], maxLength);
    return moved;
  }

  async remove(key: string, id: string): Promise<boolean> {
    this.assertOpen();
    const stream = this.streams.get(key);
    const entry = stream?.byId.get(id);
    if (!stream || !entry) return false;
    stream.byId.delete(id);
    entry.deleted = true;
    stream.deleted += 1;
    return true;
  }

  async get(key: string, id: string): Promise<StreamEntry | undefined> {
    const entry = this.streams.get(key)?.byId.get(id);
    return entry && { id: entry.id, fields: { ...entry.fields } };
  }

  async length(key: string): Promise<number> {
    const stream = this.streams.get(key);
    return stream ? stream.entries.length - stream.deleted : 0;
  }

  async newest(key: string, count: number): Promise<StreamEntry[]> {
    const newest: StreamEntry[] = [];
    const entries = this.streams.get(key)?.entries ?? [];
    for (let i = entries.length - 1; i >= 0 && newest.length < count; i -= 1) {
      const entry = entries[i];
      if (entry && !entry.deleted) newest.unshift({ id: entry.id, fields: { ...entry.fields } });
    }
    return newest;
  }

  async groupInfo(key: string, group: string): Promise<{ pending: number; lag: number | null }> {
    const stream = this.streams.get(key);
    const state = stream?.groups.get(group);
    if (!stream || !state) return { pending: 0, lag: 0 };
    return { pending: state.pending.size, lag: stream.nextN - Math.max(state.lastDelivered + 1, stream.firstN) };
  }

  async deleteConsumer(key: string, group: string, consumer: string): Promise<void> {
    const state = this.streams.get(key)?.groups.get(group);
    for (const [id, pending] of state?.pending ?? []) if (pending.consumer === consumer) state?.pending.delete(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }

  assertOpen(): void {
    if (this.closed) throw new Error('the in-process event store is closed');
  }

  /** Hands a pending entry to `consumer` (a new delivery), or drops it when its message was trimmed away. */
  private take(stream: Stream, state: Group, id: string, pending: Pending, consumer: string, now: number): StreamEntry[] {
    const entry = stream.byId.get(id);
    if (!entry) {
      state.pending.delete(id);
      return [];
    }
    Object.assign(pending, { consumer, deliveredAt: now, deliveries: pending.deliveries + 1 });
    return [{ id, fields: { ...entry.fields } }];
  }

  private stream(key: string, create: boolean): Stream {
    this.assertOpen();
    let stream = this.streams.get(key);
    if (!stream) {
      if (!create) throw new Error(`NOGROUP No such key '${key}'`);
      stream = { entries: [], byId: new Map(), firstN: 0, nextN: 0, deleted: 0, lastMs: 0, seq: 0, groups: new Map() };
      this.streams.set(key, stream);
    }
    return stream;
  }

  private group(key: string, group: string): Group {
    const state = this.stream(key, false).groups.get(group);
    if (!state) throw new Error(`NOGROUP No such consumer group '${group}' for key name '${key}'`);
    return state;
  }
}

/** A blocking reader: waits for an append, its timeout, an interrupt or the end. */
class MemoryReader implements StreamReader {
  private wake: (() => void) | undefined;
  private interrupted = false;
  private destroyed = false;

  constructor(
    private readonly store: MemoryStreamStore,
    private readonly waiters: Set<() => void>,
  ) {}

  async read(group: string, consumer: string, keys: readonly string[], count: number, blockMs: number): Promise<KeyedEntry[]> {
    const deadline = Date.now() + blockMs;
    this.interrupted = false;
    for (;;) {
      if (this.destroyed) throw new Error('the reader was destroyed');
      const found = this.store.readNew(group, consumer, keys, count);
      if (found.length > 0 || this.interrupted || Date.now() >= deadline) return found;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, deadline - Date.now());
        this.waiters.add(done);
        this.wake = done;
      });
    }
  }

  async interrupt(): Promise<void> {
    if (!this.wake) return; // like CLIENT UNBLOCK: only a waiting read is affected
    this.interrupted = true;
    this.wake();
  }

  async close(): Promise<void> {
    this.destroy();
  }

  destroy(): void {
    this.destroyed = true;
    this.wake?.();
  }
}

/** Orders `<ms>-<seq>` ids as Redis does. */
function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}
