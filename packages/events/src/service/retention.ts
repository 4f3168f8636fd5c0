import type { Logger } from '@commerce/kit';
import type { TransactionalDatabase } from '../sql.js';

export interface RetentionSettings {
  /** Published outbox rows are deleted this long after their publishing (unpublished rows never are). */
  outboxRetentionMs: number;
  /**
   * Inbox rows (the event ids a consumer has processed) are deleted this long after processing. Keep it longer than
   * any redelivery can come: retries and reclaims take minutes, a dead letter replayed later would run again.
   */
  inboxRetentionMs: number;
  /** How often a service prunes its tables; 0: never. */
  intervalMs: number;
}

const HOUR_MS = 3_600_000;

export const RETENTION_DEFAULTS: RetentionSettings = {
  outboxRetentionMs: 7 * 24 * HOUR_MS,
  inboxRetentionMs: 30 * 24 * HOUR_MS,
  intervalMs: HOUR_MS,
};

/** Rows deleted per statement: short statements, so pruning a large backlog never holds many locks at once. */
const PRUNE_BATCH = 5_000;

export interface PruneResult {
  outbox: number;
  inbox: number;
}

/** Deletes published outbox rows and inbox rows past their retention, in batches; returns how many. */
export async function pruneEventTables(db: TransactionalDatabase, settings: RetentionSettings, now = new Date()): Promise<PruneResult> {
  const outboxBefore = new Date(now.getTime() - settings.outboxRetentionMs).toISOString();
  const inboxBefore = new Date(now.getTime() - settings.inboxRetentionMs).toISOString();
  return {
    // Uses the (published_at, seq) index; NULL (unpublished) never compares below the cut.
    outbox: await deleteInBatches(
      db,
      `DELETE FROM outbox_events WHERE id IN
         (SELECT id FROM outbox_events WHERE published_at < $1::timestamptz ORDER BY published_at LIMIT ${PRUNE_BATCH})
       RETURNING 1 AS deleted`,
      outboxBefore,
    ),
    // No index on processed_at: the scan stops at the first PRUNE_BATCH matches, the oldest rows first in the heap.
    inbox: await deleteInBatches(
      db,
      `DELETE FROM inbox_events WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM inbox_events WHERE processed_at < $1::timestamptz LIMIT ${PRUNE_BATCH}))
       RETURNING 1 AS deleted`,
      inboxBefore,
    ),
  };
}

async function deleteInBatches(db: TransactionalDatabase, sql: string, before: string): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = (await db.query<{ deleted: number }>(sql, [before])).length;
    total += deleted;
    if (deleted < PRUNE_BATCH) return total;
  }
}

/** Prunes every `intervalMs` (first after one interval), one round at a time, logging what it deleted. */
export class EventTablePruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: TransactionalDatabase,
    private readonly settings: RetentionSettings,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.settings.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.prune()
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'event bus: pruning the outbox and inbox failed; next try in one interval'),
        )
        .finally(() => (this.running = undefined));
    }, this.settings.intervalMs);
    this.timer.unref();
  }

  async prune(now = new Date()): Promise<PruneResult> {
    const result = await pruneEventTables(this.db, this.settings, now);
    if (result.outbox + result.inbox > 0)
      this.logger.info({ pruned: result }, 'event bus: pruned published outbox rows and old inbox rows');
    return result;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
