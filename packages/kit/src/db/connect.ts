import { readInteger, StartupError } from '../config.js';
import type { Logger } from '../log.js';
import { isPostgresUrl, openDatabase, type Database } from './database.js';

export interface ConnectOptions {
  /** Gives up after this long (DATABASE_CONNECT_TIMEOUT_SECONDS); 0 tries once. */
  timeoutMs: number;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** First wait between attempts; it doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Opens the database, waiting for a PostgreSQL server that is down, restarting or still recovering: attempts with
 * exponential back-off, each failure logged, until `timeoutMs`. Errors that waiting cannot fix (wrong password,
 * no such database, a bad URL) end it at once. Throws a StartupError naming the last error.
 */
export async function connectDatabase(location: string, options: ConnectOptions): Promise<Database> {
  const { timeoutMs, logger } = options;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const started = Date.now();
  let delay = options.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const db = await openDatabase(location, {
        onConnectionLost: (error) =>
          logger.warn({ error: error.message }, 'PostgreSQL connection lost; the pool opens a new one on the next query'),
      });
      if (attempt > 1) logger.info({ attempt, waitedMs: Date.now() - started }, 'database reachable');
      return db;
    } catch (error) {
      const reason = describe(error);
      // An embedded PGlite folder is in this process: there is no server to wait for.
      if (!isPostgresUrl(location) || !isTransient(error)) throw new StartupError(`cannot open the database: ${reason}`);
      const left = started + timeoutMs - Date.now();
      if (left <= 0) {
        throw new StartupError(
          `database not reachable after ${Math.round((Date.now() - started) / 1000)} s (DATABASE_CONNECT_TIMEOUT_SECONDS): ${reason}`,
        );
      }
      const wait = Math.min(delay, left);
      logger.warn({ attempt, retryInMs: wait, error: reason }, 'database not reachable yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, wait));
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }
}

/**
 * Worth waiting for: the server is not there (ECONNREFUSED, a host name not resolvable yet, a dropped connection),
 * is starting, shutting down or recovering (SQLSTATE class 57), is out of connections (class 53), or the
 * connection failed (class 08). Authentication (28), a missing database (3D000) and the like are configuration.
 */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return error instanceof Error && !(error instanceof TypeError);
  if (/^E[A-Z]+$/.test(code)) return true;
  return ['08', '53', '57'].includes(code.slice(0, 2));
}

function describe(error: unknown): string {
  // A host name with several addresses fails with an AggregateError, whose own message is empty.
  const inner = error instanceof AggregateError ? error.errors[0] : undefined;
  const message = (error instanceof Error && error.message) || (inner instanceof Error ? inner.message : String(error));
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

/** DATABASE_CONNECT_TIMEOUT_SECONDS (default 60, 0 to 3600): how long a starting service waits for its database. */
export function connectTimeoutMsFromEnv(env: Record<string, string | undefined>): number {
  return readInteger(env, 'DATABASE_CONNECT_TIMEOUT_SECONDS', 60, 0, 3600) * 1000;
}
