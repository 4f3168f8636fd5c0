import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from '@commerce/kit';
import { BenchError } from './errors.js';

/**
 * The service processes a benchmark starts (subgraphs, router, the fake payment provider): each a Node script of the
 * repository, configured by environment variables only, its output kept (the last 20 kB) and its warnings and
 * errors counted. The chaos benchmark kills them (`kill`, planned) and starts them again (`restart`, same script,
 * environment and so port); an exit nobody asked for is recorded as unplanned.
 */
export interface ServiceLog {
  service: string;
  warnings: number;
  errors: number;
  /** The first few distinct messages. */
  samples: string[];
}

export interface UnplannedExit {
  service: string;
  /** Epoch ms. */
  at: number;
  code: number | null;
  signal: string | null;
  /** The end of its output. */
  output: string;
}

/** pino level names (the services log names, see kit's log.ts) as pino's numbers. */
const LOG_LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** Children still running, killed if the benchmark's process exits without closing them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

export function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export class ServiceProcess {
  child!: ChildProcess;
  /** Starts after the first one. */
  restarts = 0;
  readonly unplannedExits: UnplannedExit[] = [];
  private output = '';
  private readonly log: ServiceLog;
  private partial = '';
  /** Set while this benchmark is stopping or killing the process: its exit is expected. */
  private planned = false;

  constructor(
    readonly name: string,
    private readonly script: string,
    readonly env: Record<string, string>,
    private readonly onUnplannedExit?: (exit: UnplannedExit) => void,
  ) {
    installExitHook();
    this.log = { service: name, warnings: 0, errors: 0, samples: [] };
    this.spawn();
  }

  private spawn(): void {
    this.planned = false;
    this.partial = '';
    const child = spawn(process.execPath, [join(REPO_ROOT, this.script)], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    child.once('exit', (code, signal) => {
      running.delete(child);
      if (this.planned || child !== this.child) return;
      const exit = { service: this.name, at: Date.now(), code, signal, output: this.recentOutput() };
      this.unplannedExits.push(exit);
      this.onUnplannedExit?.(exit);
    });
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      this.output = (this.output + text).slice(-20_000);
      const lines = (this.partial + text).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) this.count(line);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** pino's JSON lines (level names, or numbers: 40 warn, 50 error, 60 fatal); anything else printed counts as an error. */
  private count(line: string): void {
    if (!line.trim()) return;
    let level = 50;
    let message = line;
    try {
      const parsed = JSON.parse(line) as { level?: number | string; msg?: string; err?: { message?: string } };
      level = typeof parsed.level === 'number' ? parsed.level : (LOG_LEVELS[parsed.level ?? ''] ?? 50);
      message = `${parsed.msg ?? ''}${parsed.err?.message ? `: ${parsed.err.message}` : ''}`;
    } catch {
      // not JSON: stderr of the process
    }
    if (level < 40) return;
    if (level >= 50) this.log.errors += 1;
    else this.log.warnings += 1;
    const sample = `${level >= 50 ? 'error' : 'warn'}: ${message.slice(0, 200)}`;
    if (this.log.samples.length < 3 && !this.log.samples.includes(sample)) this.log.samples.push(sample);
  }

  report(): ServiceLog {
    return { ...this.log, samples: [...this.log.samples] };
  }

  recentOutput(): string {
    return this.output.slice(-2000);
  }

  /** Generous: on a busy 2-core machine nine processes starting at once take a while. */
  async waitReady(url: string, timeoutMs = 180_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive)
        throw new BenchError(
          `${this.name} exited while starting (${this.child.exitCode ?? this.child.signalCode}): ${this.recentOutput()}`,
        );
      try {
        if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > until) throw new BenchError(`${this.name} was not ready within ${timeoutMs / 1000} s: ${this.recentOutput()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Ends the process with `signal` (kill -9 by default) and waits for its exit; planned, so not counted. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return;
    this.planned = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    await exited;
  }

  /** Kills it if it still runs, then starts it again with the same script and environment (so on the same port). */
  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    this.restarts += 1;
    this.spawn();
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.planned = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
