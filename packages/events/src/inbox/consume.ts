import type { EventEnvelope } from '../envelope.js';
import type { SqlExecutor, Transactions } from '../sql.js';
import type { ConsumerSettings, ConsumerStats, Delivery, EventHandler, EventSubscription, EventTransport } from '../transport/transport.js';

/** A handler with effects in the service's database: it runs inside the transaction that records the event. */
export type TransactionalHandler<Tx> = (event: EventEnvelope, tx: Tx, delivery: Delivery) => Promise<void>;

export interface ConsumeOptions<Tx> {
  /** The consuming service (`orders`): the consumer group, and the inbox's `consumer` column. */
  group: string;
  streams: readonly string[];
  /** `databaseTransactions(db)` or `prismaTransactions(prisma)`. */
  transactions: Transactions<Tx>;
  handler: TransactionalHandler<Tx>;
  /** This instance's name within the group (defaults to host, pid and a random suffix). */
  consumer?: string;
  settings?: Partial<ConsumerSettings>;
}

export interface IdempotentStats extends ConsumerStats {
  /** Deliveries of events already in the inbox: acknowledged without running the handler. */
  duplicates: number;
}

export interface IdempotentSubscription extends EventSubscription {
  stats(): IdempotentStats;
}

/**
 * Consumes `streams` as `group` with exactly-once effect: each delivery opens a transaction, inserts
 * (group, event id) into inbox_events and runs the handler in it. An event already in the inbox commits nothing and
 * is acknowledged without running the handler, so a redelivery (a retry, a reclaim after a crash between the commit
 * and the ack, a relay that published twice) has no second effect. A handler that throws rolls its inbox row back
 * with everything else, and the transport retries it.
 */
export function consume<Tx>(transport: EventTransport, options: ConsumeOptions<Tx>): IdempotentSubscription {
  const idempotent = idempotentHandler(options.group, options.transactions, options.handler);
  const subscription = transport.subscribe({
    group: options.group,
    streams: options.streams,
    consumer: options.consumer,
    settings: options.settings,
    handler: idempotent.handler,
  });
  return {
    group: subscription.group,
    consumer: subscription.consumer,
    ready: subscription.ready,
    stats: () => ({ ...subscription.stats(), duplicates: idempotent.duplicates() }),
    stop: () => subscription.stop(),
    abort: () => subscription.abort(),
  };
}

/**
 * The transport handler `consume` subscribes with: the inbox check and `handler` in one transaction. Exported for
 * services that wire subscriptions themselves.
 */
export function idempotentHandler<Tx>(
  consumer: string,
  transactions: Transactions<Tx>,
  handler: TransactionalHandler<Tx>,
): { handler: EventHandler; duplicates(): number } {
  let duplicates = 0;
  return {
    handler: async (event, delivery) => {
      await transactions.run(async (tx) => {
        if (!(await recordInInbox(transactions.sql(tx), consumer, event.id))) {
          duplicates += 1;
          return;
        }
        await handler(event, tx, delivery);
      });
    },
    duplicates: () => duplicates,
  };
}

/**
 * Inserts (consumer, event id) into the inbox; false when it is there already (processed before). A concurrent
 * transaction inserting the same row makes this wait for its outcome.
 */
export async function recordInInbox(tx: SqlExecutor, consumer: string, eventId: string): Promise<boolean> {
  const rows = await tx.query<{ event_id: string }>(
    `INSERT INTO inbox_events (consumer, event_id) VALUES ($1::text, $2::uuid)
     ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id::text AS event_id`,
    [consumer, eventId],
  );
  return rows.length > 0;
}
