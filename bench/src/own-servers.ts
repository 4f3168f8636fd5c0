import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingRedis } from '@commerce/kit';
import { BenchError } from './errors.js';
import { freePort } from './processes.js';

/**
 * A Redis of the benchmark's own, in a temporary folder on a free port, so that it may kill and restart it (the chaos
 * benchmark), never the machine's shared one. Unlike kit's startOwnRedis (no persistence), it keeps an append-only
 * file: a restarted Redis still has the event streams, as a production Redis does.
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
  /** At exit (also an interrupted run): kill the server, delete its folder. */
  private readonly cleanup = () => {
    this.child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  };

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
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000)));
    child.stderr?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000)));
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
