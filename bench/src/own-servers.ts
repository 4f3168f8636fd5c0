import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingRedis } from '@commerce/kit';
import { BenchError } from './errors.js';
import { freePort } from './processes.js';

/**
 * Servers of the benchmark's own, in a temporary folder on a free port, so that it may kill and restart them
 * (the chaos benchmark): never the machine's shared PostgreSQL or Redis.
 */
const cleanups = new Set<() => void>();
process.on('exit', () => {
  for (const cleanup of cleanups) cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** redis-server with an append-only file: a kill -9 loses nothing it acknowledged (written before replying). */
export class OwnRedis {
  private child!: ChildProcess;
  private planned = false;
  /** Exits nobody asked for. */
  unplannedExits = 0;
  private output = '';
  private readonly cleanup = () => this.child?.kill('SIGKILL');

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<OwnRedis> {
    const dir = mkdtempSync(join(tmpdir(), 'commerce-chaos-redis-'));
    const redis = new OwnRedis(await freePort(), dir);
    cleanups.add(redis.cleanup);
    await redis.spawn();
    return redis;
  }

  private async spawn(): Promise<void> {
    this.planned = false;
    // appendfsync everysec: the AOF is written before a reply is sent, so a killed process (not a lost machine) loses nothing
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no'];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000)));
    child.stderr!.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000)));
    child.once('exit', () => {
      if (!this.planned && child === this.child) this.unplannedExits += 1;
    });
    child.once('error', () => undefined); // reported by the wait below
    const until = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new BenchError(`redis-server exited: ${this.output}`);
      try {
        await pingRedis(this.url);
        return;
      } catch {
        if (Date.now() > until) throw new BenchError(`redis-server did not answer within 20 s: ${this.output}`);
        await sleep(100);
      }
    }
  }

  /** kill -9, and wait for the exit. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.planned = true;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** Starts it again on the same port and folder: it loads the append-only file. */
  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  async stop(): Promise<void> {
    await this.kill();
    cleanups.delete(this.cleanup);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * PostgreSQL from initdb in a temporary folder, on a free port (trust authentication, user postgres, loopback only).
 * PostgreSQL refuses to run as root: when the benchmark is root, its commands run as the `postgres` OS user.
 * fsync is off: that only matters if the machine crashes; a killed or immediately stopped server keeps every commit
 * (the WAL is written at commit, and replayed at the next start).
 */
export class OwnPostgres {
  private readonly cleanup = () => {
    this.pgCtl(['stop', '-m', 'immediate']);
  };

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** The admin URL (database postgres). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<OwnPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'commerce-chaos-pg-'));
    chmodSync(dir, 0o777); // the postgres OS user writes here
    const postgres = new OwnPostgres(await freePort(), dir);
    cleanups.add(postgres.cleanup);
    const init = postgres.run('initdb', ['-D', postgres.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    if (init.status !== 0) {
      postgres.remove();
      throw new BenchError(`initdb failed: ${init.stderr}${init.stdout}`);
    }
    const options = `-p ${postgres.port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c shared_buffers=128MB`;
    const started = postgres.pgCtl(['start', '-w', '-t', '60', '-l', join(dir, 'postgres.log'), '-o', options]);
    if (started.status !== 0) {
      postgres.remove();
      throw new BenchError(`PostgreSQL did not start: ${started.stderr}${started.stdout}`);
    }
    return postgres;
  }

  /** `pg_ctl restart -m immediate`: every connection dropped at once, crash recovery at the start. */
  async restartImmediate(): Promise<void> {
    const result = await this.pgCtlAsync(['restart', '-m', 'immediate', '-w', '-t', '60', '-l', join(this.dir, 'postgres.log')]);
    if (result.status !== 0) throw new BenchError(`PostgreSQL did not restart: ${result.output}`);
  }

  /** Whether the postmaster runs (pg_ctl status). */
  running(): boolean {
    return this.pgCtl(['status']).status === 0;
  }

  async stop(): Promise<void> {
    this.pgCtl(['stop', '-m', 'fast', '-w', '-t', '30']);
    this.remove();
  }

  private remove(): void {
    cleanups.delete(this.cleanup);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private pgCtl(args: string[]) {
    return this.run('pg_ctl', ['-D', this.dataDir, ...args]);
  }

  private command(binary: string, args: string[]): [string, string[]] {
    return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
  }

  private run(binary: string, args: string[]) {
    const [command, argv] = this.command(binary, args);
    return spawnSync(command, argv, { encoding: 'utf8', cwd: this.dir });
  }

  /** pg_ctl without blocking the event loop (the load keeps running while PostgreSQL restarts). */
  private pgCtlAsync(args: string[]): Promise<{ status: number | null; output: string }> {
    const [command, argv] = this.command('pg_ctl', ['-D', this.dataDir, ...args]);
    return new Promise((resolve) => {
      const child = spawn(command, argv, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (status) => resolve({ status, output }));
    });
  }
}
