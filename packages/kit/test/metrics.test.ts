import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphQLError } from 'graphql';
import { Registry } from 'prom-client';
import { openDatabase, type Database } from '../src/db/database.js';
import { startSubgraphServer, type RunningSubgraph } from '../src/http/subgraph-server.js';
import { createLogger } from '../src/log.js';
import { registerDbPoolMetrics } from '../src/metrics/db-pool.js';
import { registerEventMetrics, type EventMetricsSource } from '../src/metrics/events.js';
import { createSubgraphRegistry } from '../src/metrics/registry.js';
import { RequestMetrics } from '../src/metrics/requests.js';
import { principalHeaders } from '../src/principal.js';
import { parseSamples, sampleValue, type Sample } from './support/prometheus.js';
import { probeSubgraph } from './support/probe-subgraph.js';

const logger = createLogger('metrics-test', 'silent');
const scrape = async (registry: Registry): Promise<Sample[]> => parseSamples(await registry.metrics());

type Gauges = Awaited<ReturnType<EventMetricsSource['gauges']>>;

/** An event bus handle whose gauges come from `gauges` (a function, so a test can make them slow or fail). */
function fakeEvents(gauges: () => Promise<Gauges>): EventMetricsSource & { calls: number } {
  const source = {
    calls: 0,
    stats: () => ({
      relay: { published: 7, failedRounds: 1 },
      consumers: [
        { streams: ['inventory', 'payments'], handled: 5, failed: 2 },
        { streams: ['orders'], handled: 3, failed: 0 },
      ],
    }),
    gauges: () => {
      source.calls += 1;
      return gauges();
    },
  };
  return source;
}

const HEALTHY: Gauges = {
  outbox: { unpublished: 4, oldestAgeMs: 2500 },
  streams: [
    { stream: 'inventory', group: 'orders', lag: { pending: 2, undelivered: 3 }, deadLetters: 0 },
    { stream: 'payments', group: 'orders', lag: { pending: 1, undelivered: null }, deadLetters: 6 },
  ],
};

describe('metrics: the event bus series', () => {
  it('exports the relay and consumer counters and the scrape-time gauges, one gauges() call per scrape', async () => {
    const registry = new Registry();
    const events = fakeEvents(async () => HEALTHY);
    registerEventMetrics({ registry, events, logger });
    const samples = await scrape(registry);
    assert.equal(events.calls, 1);
    assert.equal(sampleValue(samples, 'events_published_total'), 7);
    assert.equal(sampleValue(samples, 'events_relay_failed_rounds_total'), 1);
    assert.equal(sampleValue(samples, 'events_handled_total', { streams: 'inventory,payments' }), 5);
    assert.equal(sampleValue(samples, 'events_handled_total', { streams: 'orders' }), 3);
    assert.equal(sampleValue(samples, 'events_failed_total', { streams: 'inventory,payments' }), 2);
    assert.equal(sampleValue(samples, 'events_outbox_unpublished'), 4);
    assert.equal(sampleValue(samples, 'events_outbox_oldest_age_seconds'), 2.5);
    assert.equal(sampleValue(samples, 'events_consumer_lag', { stream: 'inventory', group: 'orders' }), 5);
    assert.equal(sampleValue(samples, 'events_consumer_lag', { stream: 'payments', group: 'orders' }), 1);
    assert.equal(sampleValue(samples, 'events_dead_letters', { stream: 'payments' }), 6);
    assert.equal(sampleValue(samples, 'events_dead_letters', { stream: 'inventory' }), 0);
  });

  it('an empty outbox has age 0', async () => {
    const registry = new Registry();
    registerEventMetrics({
      registry,
      events: fakeEvents(async () => ({ outbox: { unpublished: 0, oldestAgeMs: null }, streams: [] })),
      logger,
    });
    const samples = await scrape(registry);
    assert.equal(sampleValue(samples, 'events_outbox_oldest_age_seconds'), 0);
    assert.equal(sampleValue(samples, 'events_outbox_unpublished'), 0);
  });

  it('a failing or hanging gauges() leaves those series out, counts the failure and never fails the scrape', async () => {
    let mode: 'ok' | 'fail' | 'hang' = 'fail';
    let hung = 0;
    const events = fakeEvents(() => {
      if (mode === 'fail') return Promise.reject(new Error('redis down'));
      if (mode === 'hang') {
        hung += 1;
        return new Promise(() => {}); // never answers
      }
      return Promise.resolve(HEALTHY);
    });
    const registry = new Registry();
    registerEventMetrics({ registry, events, logger, timeoutMs: 50 });

    let samples = await scrape(registry);
    for (const name of ['events_outbox_unpublished', 'events_outbox_oldest_age_seconds', 'events_consumer_lag', 'events_dead_letters']) {
      assert.ok(!samples.some((sample) => sample.name === name), `${name} is left out`);
    }
    assert.equal(sampleValue(samples, 'events_published_total'), 7, 'the counters do not need the query');
    assert.equal(sampleValue(samples, 'subgraph_metrics_collect_failures_total', { source: 'events' }), 1);

    mode = 'hang';
    const started = Date.now();
    samples = await scrape(registry);
    assert.ok(Date.now() - started < 1000, 'the scrape waited for the timeout only');
    assert.equal(sampleValue(samples, 'subgraph_metrics_collect_failures_total', { source: 'events' }), 2);
    samples = await scrape(registry);
    assert.equal(hung, 1, 'a load still running is awaited again, not started again');

    mode = 'ok';
    assert.equal(sampleValue(await scrape(registry), 'events_outbox_unpublished'), undefined, 'still waiting for the hanging load');
  });

  it('recovers once gauges() answers again', async () => {
    let fail = true;
    const registry = new Registry();
    registerEventMetrics({ registry, events: fakeEvents(async () => (fail ? Promise.reject(new Error('down')) : HEALTHY)), logger });
    assert.equal(sampleValue(await scrape(registry), 'events_outbox_unpublished'), undefined);
    fail = false;
    assert.equal(sampleValue(await scrape(registry), 'events_outbox_unpublished'), 4);
  });
});

describe('metrics: the database pool', () => {
  it('reads the pool at scrape time', async () => {
    const registry = new Registry();
    let stats = { total: 3, idle: 1, waiting: 0, max: 10 };
    registerDbPoolMetrics(registry, { poolStats: () => stats });
    let samples = await scrape(registry);
    assert.equal(sampleValue(samples, 'db_pool_clients'), 3);
    assert.equal(sampleValue(samples, 'db_pool_idle_clients'), 1);
    assert.equal(sampleValue(samples, 'db_pool_waiting_requests'), 0);
    assert.equal(sampleValue(samples, 'db_pool_max_clients'), 10);
    stats = { total: 10, idle: 0, waiting: 4, max: 10 };
    samples = await scrape(registry);
    assert.equal(sampleValue(samples, 'db_pool_waiting_requests'), 4);
  });

  it('PGlite has no pool: no series', async () => {
    const db = await openDatabase('memory://');
    try {
      const registry = new Registry();
      registerDbPoolMetrics(registry, db);
      assert.equal((await registry.getMetricsAsJSON()).length, 0);
    } finally {
      await db.close();
    }
  });
});

describe('metrics: registries and request labels', () => {
  it('every subgraph registry has the process metrics, and its own series apart', async () => {
    const first = createSubgraphRegistry();
    const second = createSubgraphRegistry();
    new RequestMetrics(first).observe('query', 'success', 0.01);
    new RequestMetrics(second);
    const [a, b] = [await scrape(first), await scrape(second)];
    for (const samples of [a, b]) {
      assert.ok(sampleValue(samples, 'process_resident_memory_bytes')! > 0);
      assert.ok(samples.some((sample) => sample.name === 'nodejs_eventloop_lag_seconds'));
    }
    assert.equal(sampleValue(a, 'subgraph_requests_total', { operation_type: 'query', outcome: 'success' }), 1);
    assert.equal(sampleValue(b, 'subgraph_requests_total', { operation_type: 'query', outcome: 'success' }), undefined);
  });

  it('error codes are bounded: only code-shaped values, at most 50 of them, then `other`', async () => {
    const registry = new Registry();
    const metrics = new RequestMetrics(registry);
    const error = (code: unknown) => new GraphQLError('x', { path: ['field'], extensions: code === undefined ? {} : { code } });
    metrics.countErrors([error('FORBIDDEN'), error('FORBIDDEN'), error(undefined), error('not a code'), error(42)]);
    metrics.countErrors([
      new GraphQLError('no path: a request error, not a resolver error', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } }),
    ]);
    metrics.countErrors(Array.from({ length: 60 }, (_, i) => error(`CODE_${i}`)));
    const samples = (await scrape(registry)).filter((sample) => sample.name === 'subgraph_resolver_errors_total');
    assert.equal(sampleValue(samples, 'subgraph_resolver_errors_total', { code: 'FORBIDDEN' }), 2);
    assert.equal(sampleValue(samples, 'subgraph_resolver_errors_total', { code: 'INTERNAL_SERVER_ERROR' }), 1);
    assert.equal(sampleValue(samples, 'subgraph_resolver_errors_total', { code: 'GRAPHQL_PARSE_FAILED' }), undefined);
    assert.equal(samples.length, 51, 'FORBIDDEN, INTERNAL_SERVER_ERROR, 48 more codes and other');
    assert.equal(sampleValue(samples, 'subgraph_resolver_errors_total', { code: 'other' }), 2 + 12);
  });
});

describe('subgraph server: GET /metrics', () => {
  const SECRET = 'metrics-test-secret-0123456789abcdef';
  let db: Database;
  let running: RunningSubgraph;
  const events = fakeEvents(async () => HEALTHY);
  const metricsUrl = () => running.url.replace(/\/graphql$/, '/metrics');
  const post = (
    query: string,
    headers: Record<string, string> = principalHeaders({ userId: 'u1', role: 'customer', scopes: [] }, SECRET),
  ) => fetch(running.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });

  before(async () => {
    db = await openDatabase('memory://');
    running = await startSubgraphServer(probeSubgraph({ events }), { db, logger, routerSecret: SECRET, port: 0 });
  });
  after(async () => {
    await running?.close();
    await db?.close();
  });

  it('counts requests by operation type and outcome, resolver errors by code, and serves the event bus series', async () => {
    assert.equal((await post('query Hello { hello }')).status, 200);
    assert.equal((await post('{ hello }')).status, 200);
    assert.equal((await post('{ forbiddenField }')).status, 200);
    assert.equal((await post('mutation { pay(password: "x", card: { cardNumber: "4242", holder: "A" }) }')).status, 200);
    assert.equal((await post('{ nope }')).status, 400);
    assert.equal(
      (await post('mutation($password: String!) { pay(password: $password, card: { cardNumber: "1", holder: "A" }) }')).status,
      400,
    );
    assert.equal((await post('{ hello }', { 'x-commerce-principal': 'forged', 'x-commerce-principal-signature': 'bad' })).status, 401);
    const response = await fetch(metricsUrl());
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const samples = parseSamples(await response.text());
    const requests = (labels: Record<string, string>) => sampleValue(samples, 'subgraph_requests_total', labels);
    assert.equal(requests({ operation_type: 'query', outcome: 'success' }), 2);
    assert.equal(requests({ operation_type: 'query', outcome: 'error' }), 1);
    assert.equal(requests({ operation_type: 'mutation', outcome: 'error' }), 1);
    assert.equal(requests({ operation_type: 'unknown', outcome: 'rejected' }), 2, 'the validation error and the forged principal');
    assert.equal(requests({ operation_type: 'mutation', outcome: 'rejected' }), 1, 'the variable that was not given');
    assert.equal(sampleValue(samples, 'subgraph_request_duration_seconds_count', { operation_type: 'query', outcome: 'success' }), 2);
    assert.equal(sampleValue(samples, 'subgraph_resolver_errors_total', { code: 'FORBIDDEN' }), 1);
    assert.equal(sampleValue(samples, 'subgraph_resolver_errors_total', { code: 'INTERNAL_SERVER_ERROR' }), 1);
    assert.equal(sampleValue(samples, 'events_published_total'), 7);
    assert.equal(sampleValue(samples, 'events_consumer_lag', { stream: 'inventory', group: 'orders' }), 5);
    assert.ok(sampleValue(samples, 'process_resident_memory_bytes')! > 0);
  });
});
