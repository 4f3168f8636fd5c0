import type { Logger } from '@commerce/kit';
import { createClient } from 'redis';
import type { KeyedEntry, PendingEntry, StreamEntry, StreamReader, StreamStore } from './stream-store.js';

type RedisClient = ReturnType<typeof createClient>;

export interface RedisStreamStoreOptions {
  /** redis:// or rediss:// */
  url: string;
  logger: Logger;
  /** Connecting and every command (but blocking reads, which get their block time on top) fail after this. */
  timeoutMs?: number;
}

const WARN_INTERVAL_MS = 30_000;

/** StreamStore.move in one step on the server: XDEL, then XADD only when something was deleted (nil otherwise). */
const MOVE_SCRIPT = `
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return false end
local args = { KEYS[2] }
if tonumber(ARGV[2]) > 0 then
  table.insert(args, 'MAXLEN'); table.insert(args, '~'); table.insert(args, ARGV[2])
end
table.insert(args, '*')
for i = 3, #ARGV do table.insert(args, ARGV[i]) end
return redis.call('XADD', unpack(args))`;

/**
 * StreamStore on Redis Streams. One shared connection for writes, acks and claims (no offline queue: while Redis
 * is away commands fail at once and the callers back off); each reader gets a connection of its own (duplicate()),
 * since XREADGROUP ... BLOCK holds its connection. Connects on first use.
 */
export class RedisStreamStore implements StreamStore {
  private readonly client: RedisClient;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly readers = new Set<RedisReader>();
  private connecting: Promise<void> | undefined;
  private lastWarning = 0;

  constructor(options: RedisStreamStoreOptions) {
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: { connectTimeout: this.timeoutMs, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) },
    });
    this.client.on('error', (error: unknown) => this.warn(error, 'event transport: Redis connection error'));
  }

  async append(key: string, messages: readonly Record<string, string>[], maxLength: number): Promise<string[]> {
    const client = await this.connected();
    const multi = client.multi();
    const trim = maxLength > 0 ? { TRIM: { strategy: 'MAXLEN' as const, strategyModifier: '~' as const, threshold: maxLength } } : {};
    for (const fields of messages) multi.xAdd(key, '*', fields, trim);
    const replies = await this.timed(multi.exec());
    return replies.map((reply) => String(reply));
  }

  async createGroup(key: string, group: string): Promise<void> {
    const client = await this.connected();
    try {
      await this.timed(client.xGroupCreate(key, group, '0', { MKSTREAM: true }));
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error; // the group exists already
    }
  }

  async openReader(): Promise<StreamReader> {
    await this.connected();
    const connection = this.client.duplicate();
    connection.on('error', (error: unknown) => this.warn(error, 'event transport: Redis reader connection error'));
    try {
      await withTimeout(connection.connect(), this.timeoutMs, 'Redis (event transport) is not reachable');
      const id = await this.timed(connection.clientId());
      const reader = new RedisReader(connection, id, this, this.timeoutMs, () => this.readers.delete(reader));
      this.readers.add(reader);
      return reader;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  async pending(key: string, group: string, consumer: string, count: number): Promise<PendingEntry[]> {
    const client = await this.connected();
    const entries = await this.timed(client.xPendingRange(key, group, '-', '+', count, { consumer }));
    return entries.map((entry) => ({
      id: String(entry.id),
      consumer: String(entry.consumer),
      idleMs: Number(entry.millisecondsSinceLastDelivery),
      deliveries: Number(entry.deliveriesCounter),
    }));
  }

  async claim(key: string, group: string, consumer: string, minIdleMs: number, ids: readonly string[]): Promise<StreamEntry[]> {
    const client = await this.connected();
    const claimed = await this.timed(client.xClaim(key, group, consumer, minIdleMs, [...ids]));
    return claimed.flatMap((message) => (message ? [toEntry(message)] : []));
  }

  async touch(key: string, group: string, consumer: string, id: string): Promise<void> {
    const client = await this.connected();
    await this.timed(client.xClaimJustId(key, group, consumer, 0, id));
  }

  async autoClaim(key: string, group: string, consumer: string, minIdleMs: number, cursor: string, count: number) {
    const client = await this.connected();
    const reply = await this.timed(client.xAutoClaim(key, group, consumer, minIdleMs, cursor, { COUNT: count }));
    return { next: String(reply.nextId), messages: reply.messages.flatMap((message) => (message ? [toEntry(message)] : [])) };
  }

  async ack(key: string, group: string, ids: readonly string[]): Promise<void> {
    const client = await this.connected();
    await this.timed(client.xAck(key, group, [...ids]));
  }

  async deadLetter(key: string, group: string, id: string, deadKey: string, fields: Record<string, string>, maxLength: number) {
    const client = await this.connected();
    const trim = maxLength > 0 ? { TRIM: { strategy: 'MAXLEN' as const, strategyModifier: '~' as const, threshold: maxLength } } : {};
    await this.timed(client.multi().xAdd(deadKey, '*', fields, trim).xAck(key, group, id).exec());
  }

  async move(fromKey: string, id: string, toKey: string, fields: Record<string, string>, maxLength: number): Promise<string | undefined> {
    const client = await this.connected();
    const reply = await this.timed(
      client.eval(MOVE_SCRIPT, { keys: [fromKey, toKey], arguments: [id, String(maxLength), ...Object.entries(fields).flat()] }),
    );
    return reply === null || reply === undefined ? undefined : String(reply);
  }

  async remove(key: string, id: string): Promise<boolean> {
    const client = await this.connected();
    return Number(await this.timed(client.xDel(key, id))) === 1;
  }

  async get(key: string, id: string): Promise<StreamEntry | undefined> {
    const client = await this.connected();
    const [message] = (await this.timed(client.xRange(key, id, id))) ?? [];
    return message ? toEntry(message) : undefined;
  }

  async length(key: string): Promise<number> {
    const client = await this.connected();
    return Number(await this.timed(client.xLen(key)));
  }

  async newest(key: string, count: number): Promise<StreamEntry[]> {
    const client = await this.connected();
    const messages = await this.timed(client.xRevRange(key, '+', '-', { COUNT: count }));
    return (messages ?? []).map(toEntry).reverse();
  }

  async groupInfo(key: string, group: string): Promise<{ pending: number; lag: number | null }> {
    const client = await this.connected();
    if (Number(await this.timed(client.exists(key))) === 0) return { pending: 0, lag: 0 };
    const groups = await this.timed(client.xInfoGroups(key));
    const info = groups.find((candidate) => String(candidate.name) === group);
    if (!info) return { pending: 0, lag: 0 };
    const lag = info.lag as unknown; // null when Redis cannot compute it (e.g. after trimming past the group)
    return { pending: Number(info.pending), lag: lag === null || lag === undefined ? null : Number(lag) };
  }

  async deleteConsumer(key: string, group: string, consumer: string): Promise<void> {
    const client = await this.connected();
    await this.timed(client.xGroupDelConsumer(key, group, consumer));
  }

  async close(): Promise<void> {
    for (const reader of [...this.readers]) reader.destroy();
    if (!this.client.isOpen) return;
    try {
      if (this.client.isReady) await this.client.close();
      else this.client.destroy();
    } catch (error) {
      this.logger.warn({ err: error }, 'closing the event transport Redis client');
    }
  }

  /** CLIENT UNBLOCK for a reader waiting in XREADGROUP ... BLOCK (it returns as if timed out). */
  async unblock(clientId: number): Promise<void> {
    const client = await this.connected();
    await this.timed(client.clientUnblock(clientId));
  }

  /** The shared client, connected (the first call connects; later calls wait for it, at most `timeoutMs`). */
  private async connected(): Promise<RedisClient> {
    if (!this.connecting) {
      this.connecting = this.client.connect().then(() => undefined);
      this.connecting.catch(() => {}); // failures surface as 'error' events and as the timeout below
    }
    await withTimeout(this.connecting, this.timeoutMs, 'Redis (event transport) is not reachable');
    return this.client;
  }

  private timed<T>(promise: Promise<T>): Promise<T> {
    return withTimeout(promise, this.timeoutMs);
  }

  warn(error: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = now;
    this.logger.warn({ err: error }, message);
  }
}

/** A dedicated connection for one consumer's blocking reads. */
class RedisReader implements StreamReader {
  constructor(
    private readonly connection: RedisClient,
    private readonly clientId: number,
    private readonly store: RedisStreamStore,
    private readonly timeoutMs: number,
    private readonly onEnd: () => void,
  ) {}

  async read(group: string, consumer: string, keys: readonly string[], count: number, blockMs: number): Promise<KeyedEntry[]> {
    const streams = keys.map((key) => ({ key, id: '>' }));
    // node-redis types this reply as a union over RESP versions; with RESP2 (the default) it is this shape.
    const reply = (await withTimeout(
      this.connection.xReadGroup(group, consumer, streams, { COUNT: count, BLOCK: blockMs }),
      blockMs + this.timeoutMs,
    )) as { name: unknown; messages: { id: unknown; message: unknown }[] }[] | null;
    return (reply ?? []).flatMap((stream) => stream.messages.map((message) => ({ key: String(stream.name), ...toEntry(message) })));
  }

  async interrupt(): Promise<void> {
    await this.store.unblock(this.clientId);
  }

  async close(): Promise<void> {
    this.onEnd();
    if (!this.connection.isOpen) return;
    if (this.connection.isReady) await this.connection.close();
    else this.connection.destroy();
  }

  destroy(): void {
    this.onEnd();
    if (this.connection.isOpen) this.connection.destroy();
  }
}

/** A stream message as node-redis returns it (fields as an object of strings). */
function toEntry(message: { id: unknown; message: unknown }): StreamEntry {
  const raw = message.message;
  const pairs: [unknown, unknown][] = raw instanceof Map ? [...raw.entries()] : Object.entries(raw as Record<string, unknown>);
  return { id: String(message.id), fields: Object.fromEntries(pairs.map(([name, value]) => [String(name), String(value)])) };
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
