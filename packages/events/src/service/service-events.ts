import { contextFrom, inSpan, tracerFor, type EventMetricsSource, type Logger, type SharedResources } from '@commerce/kit';
import { SpanKind } from '@opentelemetry/api';
import type { EventEnvelope } from '../envelope.js';
import { consume, type ConsumeOptions, type IdempotentSubscription } from '../inbox/consume.js';
import { OutboxRelay, type OutboxLag, type RelayStats } from '../outbox/relay.js';
import { EventTablePruner } from './retention.js';
import type { TransactionalDatabase } from '../sql.js';
import { createEventTransport, eventBusConfigFromEnv, type EventBusConfig } from '../transport/from-env.js';
import type { ConsumerStats, EventSubscription, EventTransport, GroupLag, SubscribeOptions } from '../transport/transport.js';

const TRANSPORT_KEY = '@commerce/events:transport';
const CONFIG_KEY = '@commerce/events:config';

/**
 * The event transport of this deployment unit: made from the environment (REDIS_URL: Redis Streams, else the
 * in-process bus) on first use and shared by every service of the process, so embedded subgraphs talk through one
 * in-process bus. The owner of `shared` closes it.
 */
export function sharedEventTransport(shared: SharedResources, env: Record<string, string | undefined>, logger: Logger): EventTransport {
  const config = sharedConfig(shared, env);
  return shared.use(TRANSPORT_KEY, () => createEventTransport(config, logger));
}

/** Sets the transport before the services start (tests and the platform choose one). */
export function provideEventTransport(shared: SharedResources, transport: EventTransport): void {
  shared.provide(TRANSPORT_KEY, transport);
}

function sharedConfig(shared: SharedResources, env: Record<string, string | undefined>): EventBusConfig {
  return shared.use(CONFIG_KEY, () => ({ ...eventBusConfigFromEnv(env), close: async () => {} }));
}

export interface ServiceEventsOptions {
  /** The service: its consumer group on every stream it reads. */
  service: string;
  /** The service's database, with its outbox_events and inbox_events tables. */
  db: TransactionalDatabase;
  shared: SharedResources;
  env: Record<string, string | undefined>;
  logger: Logger;
}

export interface ServiceEventStats {
  relay: RelayStats;
  consumers: (ConsumerStats & { streams: readonly string[]; duplicates?: number })[];
}

/**
 * One service's side of the event bus: the relay that publishes its outbox, and its consumers (consumer group =
 * the service name). `close()` stops the consumers (finishing what they hold), then the relay; the transport stays
 * open (the shared resources own it). The subgraph server exports its stats and gauges at /metrics.
 */
export class ServiceEvents implements EventMetricsSource {
  readonly transport: EventTransport;
  readonly relay: OutboxRelay;
  /** Deletes published outbox rows and old inbox rows (EVENTS_*_RETENTION_HOURS). */
  readonly pruner: EventTablePruner;
  private readonly service: string;
  private readonly subscriptions: { streams: readonly string[]; subscription: EventSubscription | IdempotentSubscription }[] = [];

  constructor(options: ServiceEventsOptions) {
    const config = sharedConfig(options.shared, options.env);
    this.service = options.service;
    this.transport = sharedEventTransport(options.shared, options.env, options.logger);
    this.relay = new OutboxRelay({ db: options.db, transport: this.transport, logger: options.logger, ...config.relay });
    this.relay.start();
    this.pruner = new EventTablePruner(options.db, config.retention, options.logger);
    this.pruner.start();
  }

  /** Call after committing events to the outbox: the relay publishes now instead of at its next poll. */
  nudge(): void {
    this.relay.nudge();
  }

  /** Consumes with exactly-once effect (the inbox; see `consume`). */
  consume<Tx>(options: Omit<ConsumeOptions<Tx>, 'group'>): IdempotentSubscription {
    const { handler } = options;
    const subscription = consume(this.transport, {
      ...options,
      group: this.service,
      handler: (event, tx, delivery) => this.traced(event, delivery.stream, () => handler(event, tx, delivery)),
    });
    this.subscriptions.push({ streams: options.streams, subscription });
    return subscription;
  }

  /** A plain subscription (the handler deduplicates itself). */
  subscribe(options: Omit<SubscribeOptions, 'group'>): EventSubscription {
    const { handler } = options;
    const subscription = this.transport.subscribe({
      ...options,
      group: this.service,
      handler: (event, delivery) => this.traced(event, delivery.stream, () => handler(event, delivery)),
    });
    this.subscriptions.push({ streams: options.streams, subscription });
    return subscription;
  }

  /** Handles the event in a consumer span that continues the producer's trace (the envelope's traceparent). */
  private traced<T>(event: EventEnvelope, stream: string, handle: () => Promise<T>): Promise<T> {
    return inSpan(
      tracerFor(this.service),
      `${event.type} process`,
      {
        parent: contextFrom(event.traceContext),
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.system': this.transport.kind, 'messaging.destination.name': stream, 'messaging.message.id': event.id },
      },
      handle,
    );
  }

  /** Resolves once every consumer reads. */
  async ready(): Promise<void> {
    await Promise.all(this.subscriptions.map(({ subscription }) => subscription.ready));
  }

  stats(): ServiceEventStats {
    return {
      relay: this.relay.stats(),
      consumers: this.subscriptions.map(({ streams, subscription }) => ({ streams, ...subscription.stats() })),
    };
  }

  /** Gauges for metrics: the outbox backlog, and per stream read the group's lag and the dead letters. */
  async gauges(): Promise<{ outbox: OutboxLag; streams: { stream: string; group: string; lag: GroupLag; deadLetters: number }[] }> {
    const streams = [...new Set(this.subscriptions.flatMap(({ streams: names }) => names))];
    const [outbox, perStream] = await Promise.all([
      this.relay.lag(),
      Promise.all(
        streams.map(async (stream) => ({
          stream,
          group: this.service,
          lag: await this.transport.groupLag(stream, this.service),
          deadLetters: await this.transport.deadLetterCount(stream),
        })),
      ),
    ]);
    return { outbox, streams: perStream };
  }

  /** Stops like a crash (tests): consumers abort without acknowledging, the relay stops. */
  async abort(): Promise<void> {
    await Promise.all(this.subscriptions.map(({ subscription }) => subscription.abort()));
    await this.pruner.stop();
    await this.relay.stop();
  }

  async close(): Promise<void> {
    await Promise.all(this.subscriptions.map(({ subscription }) => subscription.stop()));
    await this.pruner.stop();
    await this.relay.stop();
  }
}
