import { InvalidEnvelopeError, parseEnvelope, type EventEnvelope } from '../envelope.js';
import { assertName } from '../names.js';
import type { SqlExecutor } from '../sql.js';

/**
 * Writes events to the outbox inside the caller's transaction, so that they exist exactly when the state change
 * they describe commits: a rollback discards them too. `stream` names the family (`inventory`); the relay publishes
 * rows in the order written. Call the relay's `nudge()` after the commit to publish without waiting for its poll.
 *
 * `tx` is the transaction: kit's `db.transaction((tx) => ...)` handle, or `prismaSql(tx)` inside `$transaction`.
 * Per-aggregate order holds when the transaction locks (updates) the aggregate's row before appending.
 */
export async function appendToOutbox(tx: SqlExecutor, stream: string, events: readonly EventEnvelope[]): Promise<void> {
  assertName('stream', stream);
  for (let start = 0; start < events.length; start += CHUNK) await insert(tx, stream, events.slice(start, start + CHUNK));
}

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters. */
const CHUNK = 1000;

async function insert(tx: SqlExecutor, stream: string, events: readonly EventEnvelope[]): Promise<void> {
  const params: string[] = [];
  const rows = events.map((event) => {
    const checked = parseEnvelope(event);
    if (!checked.ok) throw new InvalidEnvelopeError(`event ${String(event.id)} (${String(event.type)}): ${checked.error}`);
    const at = params.push(checked.envelope.id, stream, JSON.stringify(checked.envelope));
    return `($${at - 2}::uuid, $${at - 1}::text, $${at}::jsonb)`;
  });
  // One statement; the rows take their `seq` in the order of VALUES.
  await tx.query(`INSERT INTO outbox_events (id, stream, envelope) VALUES ${rows.join(', ')}`, params);
}
