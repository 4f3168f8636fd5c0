import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { appendFileSync, chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { pingRedis } from './redis-keys.js';
import { defined } from '../defined.js';

const run = promisify(execFile);

/** True when a PostgreSQL server on 127.0.0.1:`port` answers a query. */
async function accepts(port: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 2000 });
  client.on('error', () => {}); // a failed attempt rejects connect() below
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A PostgreSQL server of a test's (or a benchmark's) own, on a free port, that it may stop, crash and restart. */
export interface OwnPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server: `fast` (clients disconnected, clean shut-down) or `immediate` (like a crash: no checkpoint). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again (same data, same port) and resolves when it accepts connections. */
  start(): Promise<void>;
  /** SIGKILLs the postmaster and every backend at once, as an OOM kill or a lost machine would. */
  kill(): Promise<void>;
  /** The server's log so far (for a failing test's message). */
  log(): string;
  /** Stops the server and deletes its data directory. */
  close(): Promise<void>;
}

export interface OwnPostgresOptions {
  /** Default 200: a benchmark may start many services with a pool each. */
  maxConnections?: number;
}

/** `bin` folder of the newest PostgreSQL under /usr/lib/postgresql (or POSTGRES_BIN_DIR); throws one line if none. */
export function postgresBinDir(): string {
  const configured = process.env.POSTGRES_BIN_DIR;
  if (configured) {
    if (!existsSync(join(configured, 'initdb'))) throw new Error(`own PostgreSQL: no initdb in POSTGRES_BIN_DIR=${configured}`);
    return configured;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'own PostgreSQL: initdb not found under /usr/lib/postgresql/*/bin (install the PostgreSQL server or set POSTGRES_BIN_DIR)',
    );
  }
  return join(root, defined(versions[0], 'a PostgreSQL version'), 'bin');
}

/** A TCP port that nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * initdb into a fresh temporary folder and start that PostgreSQL on a free port. PostgreSQL refuses to run as
 * root, so as root every command runs as the `postgres` OS user (the folder is given to it). The server is
 * made for throw-away data: fsync off, a small footprint. It is shut down if the calling process exits.
 */
export async function startOwnPostgres(options: OwnPostgresOptions = {}): Promise<OwnPostgres> {
  const bin = postgresBinDir();
  const asRoot = userInfo().uid === 0;
  const dataDir = mkdtempSync(join(tmpdir(), 'own-postgres-'));
  if (asRoot) {
    const owner = await postgresUser();
    chownSync(dataDir, owner.uid, owner.gid);
  }
  const logFile = join(dataDir, 'server.log');
  const pgdata = join(dataDir, 'data');
  const asPostgres = (command: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : run(join(bin, command), args);

  try {
    await asPostgres('initdb', ['-D', pgdata, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`own PostgreSQL: initdb failed: ${oneLine(error)}`);
  }
  const port = await freePort();
  appendFileSync(
    join(pgdata, 'postgresql.conf'),
    [
      '',
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dataDir}'`,
      `max_connections = ${options.maxConnections ?? 200}`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'shared_buffers = 32MB',
      '',
    ].join('\n'),
  );

  // The postmaster runs as a child of ours (through runuser, which waits for it), not daemonised by pg_ctl: a
  // daemon is re-parented to PID 1, and when PID 1 is slow to reap a SIGKILLed postmaster, its zombie keeps
  // postmaster.pid "in use" and the restart fails.
  let server: ChildProcess | undefined;
  const postmasterPid = (): number | undefined => {
    try {
      return Number(readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
    } catch {
      return undefined;
    }
  };
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const start = async () => {
    if (server) return;
    const out = openSync(logFile, 'a');
    const [command, ...args] = [...(asRoot ? ['runuser', '-u', 'postgres', '--'] : []), join(bin, 'postgres'), '-D', pgdata];
    const spawned = spawn(defined(command, 'the postgres command'), args, { stdio: ['ignore', out, out] });
    closeSync(out);
    server = spawned;
    spawned.once('exit', () => {
      if (server === spawned) server = undefined;
    });
    try {
      await waitUntilAsync(async () => {
        if (server !== spawned) throw new Error('the server exited');
        return accepts(port);
      }, 60_000);
    } catch (error) {
      spawned.kill('SIGKILL');
      throw new Error(`own PostgreSQL: start failed: ${oneLine(error)}\n${log().slice(-2000)}`);
    }
  };
  const end = async (how: NodeJS.Signals, everyProcess: boolean) => {
    const current = server;
    if (!current) return;
    const pid = postmasterPid();
    if (pid) for (const each of [pid, ...(everyProcess ? childrenOf(pid) : [])]) signal(each, how);
    else current.kill(how);
    if (current.exitCode === null && current.signalCode === null) await new Promise((resolve) => current.once('exit', resolve));
    server = undefined;
  };
  // PostgreSQL's shut-down signals: SIGINT = fast, SIGQUIT = immediate.
  const stop = (mode: 'fast' | 'immediate' = 'fast') => end(mode === 'fast' ? 'SIGINT' : 'SIGQUIT', false);
  const kill = () => end('SIGKILL', true);
  // A test that fails or is interrupted must not leave a server behind.
  const onExit = () => {
    const pid = postmasterPid();
    if (server && pid) signal(pid, 'SIGQUIT');
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop,
    start,
    kill,
    log,
    close: async () => {
      process.removeListener('exit', onExit);
      await stop('immediate');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A redis-server of a test's (or a benchmark's) own on a free port, without persistence. */
export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  /** SIGKILLs the server (its data is gone: nothing is persisted). */
  kill(): Promise<void>;
  /** Stops it cleanly (SIGTERM). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const binary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) => existsSync(path));
  if (!binary) throw new Error('own Redis: redis-server not found in /usr/bin or /usr/local/bin');
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const ended = (process: ChildProcess) =>
    process.exitCode !== null || process.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => process.once('exit', () => resolve()));
  const start = async () => {
    if (child) return;
    const spawned = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      {
        stdio: 'ignore',
      },
    );
    child = spawned;
    spawned.once('exit', () => {
      if (child === spawned) child = undefined;
    });
    await waitUntilAsync(async () => {
      if (!child) throw new Error(`own Redis: redis-server exited at start (port ${port})`);
      return pingRedis(url).then(
        () => true,
        () => false,
      );
    }, 10_000);
  };
  const end = async (how: NodeJS.Signals) => {
    const current = child;
    if (!current) return;
    current.kill(how);
    await ended(current);
    child = undefined;
  };
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);
  await start();
  return {
    url,
    port,
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
    start,
    close: async () => {
      process.removeListener('exit', onExit);
      await end('SIGTERM');
    },
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  try {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    return { uid: Number(stdout.trim()), gid: Number(group.trim()) };
  } catch {
    throw new Error('own PostgreSQL: running as root, but there is no `postgres` OS user to run the server as');
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start after the last ')': state, ppid, ...
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

async function waitUntilAsync(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function oneLine(error: unknown): string {
  const detail = error as { stderr?: string; message?: string };
  return (detail.stderr?.trim() || detail.message || String(error)).split('\n')[0] ?? '';
}
