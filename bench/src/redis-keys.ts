import { createConnection, type Socket } from 'node:net';

/**
 * Just enough of the Redis protocol (RESP2) for the benchmarks to check that a loopback Redis answers and to delete
 * the keys of one run afterwards (`SCAN MATCH <prefix>*` + `UNLINK`), without a Redis client among the bench's
 * dependencies. Not a general client: one command at a time, arrays, bulk strings, integers and errors.
 */
type Reply = string | number | null | Reply[];

class RespConnection {
  private buffer = Buffer.alloc(0);
  private waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('redis connection closed')));
  }

  static open(url: string, timeoutMs = 2000): Promise<RespConnection> {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port || 6379) });
      const timer = setTimeout(() => socket.destroy(new Error(`no answer from ${target.host} within ${timeoutMs} ms`)), timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', async () => {
        clearTimeout(timer);
        const connection = new RespConnection(socket);
        try {
          if (target.password) {
            await connection.command(target.username ? ['AUTH', decodeURIComponent(target.username), decodeURIComponent(target.password)] : ['AUTH', decodeURIComponent(target.password)]);
          }
          const db = target.pathname.replace(/^\//, '');
          if (db) await connection.command(['SELECT', db]);
          resolve(connection);
        } catch (error) {
          connection.close();
          reject(error);
        }
      });
    });
  }

  command(args: readonly string[]): Promise<Reply> {
    if (this.waiting) return Promise.reject(new Error('one command at a time'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(error: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }

  private drain(): void {
    if (!this.waiting) return;
    const parsed = parse(this.buffer, 0);
    if (!parsed) return; // incomplete
    this.buffer = this.buffer.subarray(parsed.end);
    const waiting = this.waiting;
    this.waiting = undefined;
    if (parsed.error) waiting.reject(new Error(`redis: ${parsed.error}`));
    else waiting.resolve(parsed.value);
  }
}

function parse(buffer: Buffer, start: number): { value: Reply; end: number; error?: string } | undefined {
  const lineEnd = buffer.indexOf('\r\n', start);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[start]!);
  const line = buffer.toString('utf8', start + 1, lineEnd);
  switch (type) {
    case '+':
      return { value: line, end: lineEnd + 2 };
    case '-':
      return { value: null, end: lineEnd + 2, error: line };
    case ':':
      return { value: Number(line), end: lineEnd + 2 };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: lineEnd + 2 };
      if (buffer.length < lineEnd + 2 + length + 2) return undefined;
      return { value: buffer.toString('utf8', lineEnd + 2, lineEnd + 2 + length), end: lineEnd + 2 + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: lineEnd + 2 };
      const items: Reply[] = [];
      let end = lineEnd + 2;
      for (let index = 0; index < count; index += 1) {
        const item = parse(buffer, end);
        if (!item) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      return { value: null, end: buffer.length, error: `unexpected reply type ${JSON.stringify(type)}` };
  }
}

/** Throws unless the Redis at `url` answers PING. */
export async function pingRedis(url: string): Promise<void> {
  const connection = await RespConnection.open(url);
  try {
    const reply = await connection.command(['PING']);
    if (reply !== 'PONG') throw new Error(`PING answered ${JSON.stringify(reply)}`);
  } finally {
    connection.close();
  }
}

/** Deletes every key that starts with `prefix` (which must be specific to one run); returns how many. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  if (prefix.length < 8) throw new Error(`refusing to delete keys under the short prefix "${prefix}"`);
  const connection = await RespConnection.open(url);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const reply = (await connection.command(['SCAN', cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', '1000'])) as [string, string[]];
      cursor = reply[0];
      if (reply[1].length) deleted += Number(await connection.command(['UNLINK', ...reply[1]]));
    } while (cursor !== '0');
  } finally {
    connection.close();
  }
  return deleted;
}
