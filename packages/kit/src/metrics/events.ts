import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { scrapeSource } from './scrape.js';

/**
 * What the metrics read from a service's event bus handle: `ServiceEvents` of @commerce/events has this shape
 * (kit cannot import it: events depends on kit).
 */
export interface EventMetricsSource {
  stats(): {
    relay: { published: number; failedRounds: number };
    consumers: readonly { streams: readonly string[]; handled: number; failed: number }[];
  };
  /** Needs the database (outbox) and the transport (Redis): read at scrape time, with a timeout. */
  gauges(): Promise<{
    outbox: { unpublished: number; oldestAgeMs: number | null };
    streams: readonly { stream: string; group: string; lag: { pending: number; undelivered: number | null }; deadLetters: number }[];
  }>;
}

export interface EventMetricsOptions {
  registry: Registry;
  events: EventMetricsSource;
  logger: Logger;
  timeoutMs?: number;
}

/**
 * The event bus series of one service. The names and labels of `events_dead_letters`, `events_consumer_lag` and
 * `events_outbox_oldest_age_seconds` are used by k8s/monitoring (dashboard and alerts): keep them.
 */
export function registerEventMetrics({ registry, events, logger, timeoutMs }: EventMetricsOptions): void {
  const registers = [registry];
  const gauges = scrapeSource(() => events.gauges(), { registry, source: 'events', logger, timeoutMs });

  new Counter({
    name: 'events_published_total',
    help: 'Outbox rows the relay published since the process started',
    registers,
    collect() {
      this.reset();
      this.inc(events.stats().relay.published);
    },
  });
  new Counter({
    name: 'events_relay_failed_rounds_total',
    help: 'Relay rounds that failed (database or transport error); the events stay in the outbox',
    registers,
    collect() {
      this.reset();
      this.inc(events.stats().relay.failedRounds);
    },
  });
  // A consumer may read several streams: `streams` lists them (comma-separated), fixed by the code.
  const consumerCounter = (name: string, help: string, read: (consumer: { handled: number; failed: number }) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['streams'],
      registers,
      collect() {
        this.reset();
        for (const consumer of events.stats().consumers) this.inc({ streams: consumer.streams.join(',') }, read(consumer));
      },
    });
  consumerCounter(
    'events_handled_total',
    'Events this service handled (and acknowledged), by the streams of the consumer',
    (c) => c.handled,
  );
  consumerCounter('events_failed_total', 'Handler runs that threw (retried later, or dead-lettered)', (c) => c.failed);

  new Gauge({
    name: 'events_outbox_unpublished',
    help: 'Outbox rows not published yet',
    registers,
    async collect() {
      const read = await gauges();
      if (read) this.set(read.outbox.unpublished);
      else this.remove({});
    },
  });
  new Gauge({
    name: 'events_outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished outbox row (0 when there is none)',
    registers,
    async collect() {
      const read = await gauges();
      if (read) this.set((read.outbox.oldestAgeMs ?? 0) / 1000);
      else this.remove({});
    },
  });
  new Gauge({
    name: 'events_consumer_lag',
    help: "Events of a stream this service's consumer group has not acknowledged: pending (delivered) plus undelivered",
    labelNames: ['stream', 'group'],
    registers,
    async collect() {
      const read = await gauges();
      this.reset();
      for (const { stream, group, lag } of read?.streams ?? []) this.set({ stream, group }, lag.pending + (lag.undelivered ?? 0));
    },
  });
  new Gauge({
    name: 'events_dead_letters',
    help: 'Messages in the dead-letter stream of a stream this service consumes',
    labelNames: ['stream'],
    registers,
    async collect() {
      const read = await gauges();
      this.reset();
      for (const { stream, deadLetters } of read?.streams ?? []) this.set({ stream }, deadLetters);
    },
  });
}
