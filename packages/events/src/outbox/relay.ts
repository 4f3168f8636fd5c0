import type { Logger } from '@commerce/kit';
import type { EventEnvelope } from '../envelope.js';
import type { TransactionalDatabase } from '../sql.js';
import type { EventTransport } from '../transport/transport.js';

export interface OutboxRelayOptions {
  /** The service's database (kit's Database): the one its outbox_events table is in. */
  db: TransactionalDatabase;
  transport: Pick<EventTransport, 'publish'>;
  logger: Logger;
  /** Looks for unpublished rows this often (and at once after `nudge()`). */
  pollIntervalMs?: number;
  /** Rows published per round; a full batch starts the next round at once. */
  batchSize?: number;
  /** After a failed round the relay waits retryBaseMs * 2^(failures-1), at most retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export const RELAY_DEFAULTS = { pollIntervalMs: 500, batchSize: 100, retryBaseMs: 500, retryMaxMs: 30_000 } as const;

export interface OutboxLag {
  /** Gauge: rows not published yet. */
  unpublished: number;
  /** Gauge: age of the oldest of them (null when there is none). */
  oldestAgeMs: number | null;
}

export interface RelayStats {
  /** Rows published since the start. */
  published: number;
  /** Rounds that failed (database or transport error). */
  failedRounds: number;
  /** Failed rounds since the last one that worked: the relay is backing off when > 0. */
  consecutiveFailures: number;
  /** Rounds run since the start, whatever their outcome (tests wait for one instead of sleeping). */
  rounds: number;
}

/** pg_try_advisory_xact_lock key: one relay round at a time per database (kit's migrations use 7240631). */
const RELAY_LOCK_KEY = 7_240_632;

interface OutboxRow {
  id: string;
  stream: string;
  envelope: string;
}

/**
 * Publishes the outbox: every round takes the oldest unpublished rows (`FOR UPDATE SKIP LOCKED`, in `seq` order),
 * publishes them through the transport in that order (consecutive rows of one stream together), and marks them
 * published in the same transaction. A row whose publish failed stays unpublished, with `attempts` and `last_error`
 * updated; the rows after it wait, so order is kept, and the relay backs off exponentially.
 *
 * Several relays (instances of the service) may run on one database: a round first takes a transaction-scoped
 * advisory lock and skips when another relay holds it, so rounds never overlap and order holds across instances.
 * The row locks add the same guarantee against anything else that locks outbox rows. A crash between the publish and
 * the commit publishes those rows again on the next round: delivery is at least once, consumers deduplicate.
 */
export class OutboxRelay {
  private readonly db: TransactionalDatabase;
  private readonly transport: Pick<EventTransport, 'publish'>;
  private readonly logger: Logger;
  private readonly settings: Required<Pick<OutboxRelayOptions, 'pollIntervalMs' | 'batchSize' | 'retryBaseMs' | 'retryMaxMs'>>;
  private readonly counters: RelayStats = { published: 0, failedRounds: 0, consecutiveFailures: 0, rounds: 0 };
  private loop: Promise<void> | undefined;
  private stopped = false;
  private nudged = false;
  private wake: (() => void) | undefined;

  constructor(options: OutboxRelayOptions) {
    this.db = options.db;
    this.transport = options.transport;
    this.logger = options.logger;
    this.settings = {
      pollIntervalMs: options.pollIntervalMs ?? RELAY_DEFAULTS.pollIntervalMs,
      batchSize: options.batchSize ?? RELAY_DEFAULTS.batchSize,
      retryBaseMs: options.retryBaseMs ?? RELAY_DEFAULTS.retryBaseMs,
      retryMaxMs: options.retryMaxMs ?? RELAY_DEFAULTS.retryMaxMs,
    };
    for (const [key, value] of Object.entries(this.settings)) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${key} must be a whole number >= 1, got ${value}`);
    }
  }

  /** Starts polling (once; a stopped relay does not start again). */
  start(): void {
    if (this.loop || this.stopped) return;
    this.loop = this.run();
  }

  /** Something was committed to the outbox: publish now instead of at the next poll (ignored while backing off). */
  nudge(): void {
    this.nudged = true;
    if (this.counters.consecutiveFailures === 0) this.wake?.();
  }

  /** Stops polling; resolves once the round in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  stats(): RelayStats {
    return { ...this.counters };
  }

  /** Gauges: the rows waiting to be published. */
  async lag(): Promise<OutboxLag> {
    const [row] = await this.db.query<{ unpublished: number; oldest_age_ms: number | null }>(
      `SELECT count(*)::int AS unpublished,
              (extract(epoch FROM (now() - min(created_at))) * 1000)::float8 AS oldest_age_ms
         FROM outbox_events WHERE published_at IS NULL`,
    );
    const age = row?.oldest_age_ms ?? null;
    return { unpublished: row?.unpublished ?? 0, oldestAgeMs: age === null ? null : Math.max(0, age) };
  }

  /**
   * One round: publishes up to `batchSize` rows and returns how many. Throws when a publish failed (after recording
   * it on the row and committing what was published before it). 0 when another relay is in a round.
   */
  async publishPending(): Promise<number> {
    const outcome = await this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}) AS locked`);
      if (!lock?.locked) return { published: 0 };
      const rows = await tx.query<OutboxRow>(
        `SELECT id::text AS id, stream, envelope::text AS envelope FROM outbox_events
          WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.settings.batchSize],
      );
      const published: string[] = [];
      let failure: unknown;
      for (const run of runsByStream(rows)) {
        const ids = run.rows.map((row) => row.id);
        try {
          // The envelope was validated when appended; what a consumer cannot read goes to its dead-letter stream.
          await this.transport.publish(
            run.stream,
            run.rows.map((row) => JSON.parse(row.envelope) as EventEnvelope),
          );
        } catch (error) {
          failure = error;
          await tx.query(`UPDATE outbox_events SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])`, [
            ids,
            String(error instanceof Error ? error.message : error).slice(0, 2000),
          ]);
          break;
        }
        published.push(...ids);
      }
      if (published.length > 0) {
        await tx.query(
          `UPDATE outbox_events SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::uuid[])`,
          [published],
        );
      }
      return { published: published.length, failure };
    });
    this.counters.published += outcome.published;
    if (outcome.failure !== undefined) throw outcome.failure;
    return outcome.published;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.nudged = false;
      let delay: number = this.settings.pollIntervalMs;
      try {
        const published = await this.publishPending();
        this.counters.consecutiveFailures = 0;
        if (published >= this.settings.batchSize || this.nudged) delay = 0;
      } catch (error) {
        this.counters.failedRounds += 1;
        this.counters.consecutiveFailures += 1;
        const failures = this.counters.consecutiveFailures;
        delay = Math.min(this.settings.retryMaxMs, this.settings.retryBaseMs * 2 ** Math.min(failures - 1, 30));
        this.logger.warn({ err: error, failures, retryInMs: delay }, 'outbox relay: publishing failed; the events stay in the outbox');
      }
      this.counters.rounds += 1;
      if (delay > 0 && !this.stopped) await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/** Consecutive rows of one stream, in order. */
function runsByStream(rows: readonly OutboxRow[]): { stream: string; rows: OutboxRow[] }[] {
  const runs: { stream: string; rows: OutboxRow[] }[] = [];
  for (const row of rows) {
    const last = runs.at(-1);
    if (last && last.stream === row.stream) last.rows.push(row);
    else runs.push({ stream: row.stream, rows: [row] });
  }
  return runs;
}
