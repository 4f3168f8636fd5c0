import type { EventMetricsSource } from '../metrics/events.js';
import { waitFor } from './wait-for.js';

/**
 * Resolves once every event published so far has been handled: every service's outbox has nothing unpublished and
 * every consumer group on every stream its services read has nothing undelivered and nothing pending. A delivery
 * that failed and waits for its retry is pending, so it is not drained. This is how a test asserts that something
 * did NOT happen: drain the bus, then assert (never a fixed sleep).
 *
 * `sources` are the services' event bus handles (`ServiceEvents` of @commerce/events, `instance.events` of a running
 * subgraph): their outbox and group gauges (the database and the transport, embedded or Redis Streams) and their
 * counters (this process). A handler that replies writes its outbox in the inbox transaction and acks afterwards, so a
 * single look could read the outbox before its commit and the stream after its ack: the bus counts as drained only
 * when two consecutive looks find it drained and no counter (published, handled, failed) moved from the
 * start of the first to the end of the second.
 */
export async function drainBus(sources: readonly (EventMetricsSource | undefined)[], timeoutMs = 10_000): Promise<void> {
  const buses = sources.filter((source): source is EventMetricsSource => source !== undefined);
  let confirmed: string | undefined; // the counters of the previous look, when it found the bus drained
  let last = '';
  await waitFor(
    'the event bus to drain',
    async () => {
      const before = counters(buses);
      const backlog = (await Promise.all(buses.map((bus) => backlogOf(bus)))).flat();
      const after = counters(buses);
      last = backlog.join('; ');
      const drained = backlog.length === 0 && before === after;
      const done = drained && confirmed === after;
      confirmed = drained ? after : undefined;
      return done;
    },
    timeoutMs,
    () => `(still waiting: ${last || 'counters moving'})`,
  );
}

/** What is still in flight on one service's side of the bus, one line each (empty: nothing). */
async function backlogOf(bus: EventMetricsSource): Promise<string[]> {
  const { outbox, streams } = await bus.gauges();
  const backlog = outbox.unpublished > 0 ? [`${outbox.unpublished} unpublished in the outbox`] : [];
  for (const { stream, group, lag } of streams) {
    // undelivered is null when Redis cannot compute the lag (trimmed or deleted entries): not known to be drained
    if (lag.pending > 0 || lag.undelivered !== 0)
      backlog.push(`${group} on ${stream}: ${lag.pending} pending, ${lag.undelivered ?? 'unknown'} undelivered`);
  }
  return backlog;
}

/** The bus's activity counters: any change means something was published or handled meanwhile. */
function counters(buses: readonly EventMetricsSource[]): string {
  return JSON.stringify(
    buses.map((bus) => {
      const { relay, consumers } = bus.stats();
      return [relay.published, relay.failedRounds, consumers.map((consumer) => [consumer.handled, consumer.failed])];
    }),
  );
}
