import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createSubgraphRegistry, waitFor } from '@commerce/kit';
import { RouterMetrics } from '../src/metrics.js';
import { postQuery, startIssuer, startStubSubgraph, startTestRouter, type Issuer, type StubSubgraph, type TestRouter } from './support.js';

const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query {
  hello: String!
  goodbye: String!
  boom: String
}`;

/** One exposition line: metric name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(target: TestRouter): Promise<Sample[]> {
  const response = await fetch(`${target.router.baseUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const samples: Sample[] = [];
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1]!, label[2]!]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** What changed between two scrapes, for the given series. */
function delta(before: Sample[], after: Sample[], name: string, labels: Record<string, string> = {}): number {
  return total(after, name, labels) - total(before, name, labels);
}

const op = (operation_name: string, outcome: string, extra: Record<string, string> = {}) => ({
  operation_name,
  operation_type: 'query',
  client_name: 'unknown',
  outcome,
  ...extra,
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('router metrics', () => {
  let issuer: Issuer;
  let subgraph: StubSubgraph;
  let router: TestRouter;

  before(async () => {
    issuer = await startIssuer();
    subgraph = await startStubSubgraph('things', SDL, {
      Query: {
        hello: () => 'world',
        goodbye: () => 'moon',
        boom: () => {
          throw new Error('the subgraph failed');
        },
      },
    });
    router = await startTestRouter([subgraph], issuer, {
      limits: { introspection: 'scope' },
      persistedQueries: { modes: { default: 'off', clients: { mobile: 'id-only' } } },
    });
  });

  after(async () => {
    await router?.stop();
    await subgraph?.stop();
    await issuer?.stop();
  });

  test('operations by name, type, client and outcome: success, subgraph error, refused by a policy', async () => {
    const before = await scrape(router);
    assert.equal((await postQuery(router.router.url, 'query Hello { hello }')).status, 200);
    const broken = await postQuery(router.router.url, 'query Broken { boom }', { headers: { 'apollographql-client-name': 'web' } });
    assert.deepEqual(broken.body.data, { boom: null });
    assert.equal(broken.body.errors?.length, 1);
    // Refused by a plugin policy (Apollo Server parsed it), and by middleware before Apollo Server.
    assert.equal((await postQuery(router.router.url, 'query Peek { __schema { queryType { name } } }')).status, 400);
    const mobile = await postQuery(router.router.url, 'query Mobile { hello }', { headers: { 'apollographql-client-name': 'mobile' } });
    assert.equal(mobile.body.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_ID_REQUIRED');
    assert.equal((await postQuery(router.router.url, 'query Hello { hello }', { token: 'not-a-jwt' })).status, 401);
    const after = await scrape(router);

    const ops = 'router_operations_total';
    assert.equal(delta(before, after, ops, op('Hello', 'success')), 1);
    assert.equal(delta(before, after, ops, op('Broken', 'error', { client_name: 'web' })), 1);
    assert.equal(delta(before, after, ops, op('Peek', 'rejected')), 1);
    assert.equal(delta(before, after, ops, op('Mobile', 'rejected', { client_name: 'mobile' })), 1);
    assert.equal(delta(before, after, ops, op('Hello', 'rejected')), 1);
    assert.equal(delta(before, after, ops), 5);

    const seconds = 'router_operation_duration_seconds_count';
    assert.equal(delta(before, after, seconds, { operation_type: 'query', outcome: 'success' }), 1);
    assert.equal(delta(before, after, seconds, { operation_type: 'query', outcome: 'error' }), 1);
    assert.equal(delta(before, after, seconds, { outcome: 'rejected' }), 3);
    assert.ok(total(after, 'router_operation_duration_seconds_sum') > 0);

    const fetches = 'router_subgraph_request_duration_seconds_count';
    assert.equal(delta(before, after, fetches, { subgraph: 'things', outcome: 'success' }), 1);
    assert.equal(delta(before, after, fetches, { subgraph: 'things', outcome: 'error' }), 1);

    for (const code of ['INTROSPECTION_DISABLED', 'PERSISTED_QUERY_ID_REQUIRED', 'UNAUTHENTICATED']) {
      assert.equal(delta(before, after, 'router_rejections_total', { code }), 1, code);
    }
    assert.equal(total(after, 'router_subscriptions_active'), 0);
    assert.ok(total(after, 'process_resident_memory_bytes') > 0, 'process metrics are served too');
  });

  test('cache hits and misses: APQ, query plans, parsed documents, verified tokens; planning time', async () => {
    const before = await scrape(router);
    const apq = 'query Apq { hello }';
    const byHash = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(apq) } } };
    const post = (body: unknown) =>
      fetch(router.router.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
        async (response) => (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] },
      );
    assert.equal((await post(byHash)).errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_FOUND'); // miss
    assert.deepEqual((await post({ ...byHash, query: apq })).data, { hello: 'world' }); // registration
    assert.deepEqual((await post(byHash)).data, { hello: 'world' }); // hit
    const afterApq = await scrape(router);
    assert.equal(delta(before, afterApq, 'router_cache_misses_total', { cache: 'apq' }), 1);
    assert.equal(delta(before, afterApq, 'router_cache_hits_total', { cache: 'apq' }), 1);

    const token = await issuer.sign({ sub: 'user-1', role: 'customer', scope: 'catalog:read' });
    for (let i = 0; i < 2; i += 1) {
      const reply = await postQuery(router.router.url, 'query Twice { hello goodbye }', { token });
      assert.deepEqual(reply.body.data, { hello: 'world', goodbye: 'moon' });
    }
    const after = await scrape(router);
    for (const cache of ['query_plan', 'document', 'token']) {
      assert.equal(delta(afterApq, after, 'router_cache_misses_total', { cache }), 1, `${cache} misses`);
      assert.equal(delta(afterApq, after, 'router_cache_hits_total', { cache }), 1, `${cache} hits`);
    }
    assert.equal(delta(afterApq, after, 'router_query_planning_duration_seconds_count'), 1, 'planned once');
    assert.ok(delta(afterApq, after, 'router_query_planning_duration_seconds_sum') > 0);
  });

  test('label cardinality stays bounded: 500 operation names, long names, many client names', async () => {
    const crowded = await startTestRouter([subgraph], issuer, { limits: { maxBatch: 100 } });
    try {
      const names = Array.from({ length: 500 }, (_, index) => `Operation${index}`);
      for (let start = 0; start < names.length; start += 100) {
        const batch = names.slice(start, start + 100).map((name) => ({ query: `query ${name} { hello }` }));
        const response = await fetch(crowded.router.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        });
        assert.equal(((await response.json()) as unknown[]).length, 100);
      }
      await postQuery(crowded.router.url, `query ${'L'.repeat(101)} { hello }`);
      for (let index = 0; index < 60; index += 1) {
        await postQuery(crowded.router.url, '{ hello }', { headers: { 'apollographql-client-name': `client-${index}` } });
      }
      await postQuery(crowded.router.url, '{ hello }', { headers: { 'apollographql-client-name': 'not a <name>' } });

      const samples = (await scrape(crowded)).filter((sample) => sample.name === 'router_operations_total');
      const operationNames = new Set(samples.map((sample) => sample.labels.operation_name));
      const clientNames = new Set(samples.map((sample) => sample.labels.client_name));
      assert.equal(operationNames.size, 200 + 2, 'the first 200 names, plus other and unknown (anonymous)');
      assert.ok(operationNames.has('Operation0') && !operationNames.has('Operation499'));
      assert.equal(total(samples, 'router_operations_total', { operation_name: 'other' }), 500 - 200 + 1);
      assert.equal(total(samples, 'router_operations_total', { operation_name: 'unknown' }), 61);
      assert.equal(clientNames.size, 50 + 2, 'the first 50 clients, plus other and unknown (no header)');
      assert.equal(total(samples, 'router_operations_total', { client_name: 'other' }), 60 - 50 + 1);
      assert.ok(samples.length <= 202 + 52, `${samples.length} series`);

      // Each router has its own registry: the first router's operations are not in this one's.
      assert.equal(total(samples, 'router_operations_total', { operation_name: 'Hello' }), 0);
    } finally {
      await crowded.stop();
    }
  });

  test('with two routers in the process, policy modules record into the router that served the request', async () => {
    const second = await startTestRouter([subgraph], issuer);
    try {
      const [firstBefore, secondBefore] = await Promise.all([scrape(router), scrape(second)]);
      // Refused by the authentication middleware (before Apollo Server), over HTTP.
      assert.equal((await postQuery(second.router.url, '{ hello }', { token: 'not-a-jwt' })).status, 401);
      // Refused by the persisted-query check of the WebSocket transport (an id that is in no manifest).
      const client = createClient({ url: second.router.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
      try {
        const code = await new Promise<unknown>((resolve) => {
          client.subscribe(
            { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: sha256('unknown') } } },
            {
              next: () => resolve('answered'),
              error: (error) => resolve((error as { extensions?: { code?: unknown } }[])[0]?.extensions?.code),
              complete: () => {},
            },
          );
        });
        assert.equal(code, 'PERSISTED_QUERY_NOT_IN_LIST');
      } finally {
        await client.dispose();
      }
      const [firstAfter, secondAfter] = await Promise.all([scrape(router), scrape(second)]);
      for (const code of ['UNAUTHENTICATED', 'PERSISTED_QUERY_NOT_IN_LIST']) {
        assert.equal(delta(secondBefore, secondAfter, 'router_rejections_total', { code }), 1, `${code} on the router that refused it`);
        assert.equal(delta(firstBefore, firstAfter, 'router_rejections_total', { code }), 0, `${code} not on the other router`);
      }
    } finally {
      await second.stop();
    }
  });
});

const LIVE_SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query { ping: String }
type Subscription {
  ticks(count: Int!): Tick!
  forever: Tick!
  failing: Tick!
}
type Tick { n: Int! square: Square! }
type Square { value: Int! }`;

type Outcome = {
  events: { data?: unknown; errors?: { extensions?: { code?: string } }[] }[];
  error?: { extensions?: { code?: string } }[];
};

/** Subscribes over graphql-ws and resolves when the subscription ends (complete or error); `stopAfter` events, it stops. */
function subscribe(client: Client, query: string, stopAfter = Infinity): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { events: [] };
    const stop = client.subscribe(
      { query },
      {
        next: (event) => {
          outcome.events.push(event as Outcome['events'][number]);
          if (outcome.events.length >= stopAfter) {
            stop();
            resolve(outcome);
          }
        },
        error: (error) => resolve({ ...outcome, error: error as Outcome['error'] }),
        complete: () => resolve(outcome),
      },
    );
  });
}

/** A WebSocket whose upgrade request carries `headers`. */
function webSocketWith(headers: Record<string, string>): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  } as typeof WebSocket;
}

describe('router metrics: subscriptions and process metrics', () => {
  let issuer: Issuer;
  let subgraph: StubSubgraph;
  let router: TestRouter;
  const clients: Client[] = [];

  const connect = (options: { params?: Record<string, unknown>; headers?: Record<string, string> } = {}) => {
    const client = createClient({
      url: router.router.url.replace(/^http/, 'ws'),
      webSocketImpl: options.headers ? webSocketWith(options.headers) : WebSocket,
      connectionParams: options.params,
      retryAttempts: 0,
    });
    clients.push(client);
    return client;
  };
  const sub = (operation_name: string, outcome: string, client_name = 'unknown') => ({
    operation_name,
    operation_type: 'subscription',
    client_name,
    outcome,
  });

  before(async () => {
    issuer = await startIssuer();
    subgraph = await startStubSubgraph('live', LIVE_SDL, {
      Query: { ping: () => 'pong' },
      Subscription: {
        ticks: {
          subscribe: async function* (_: unknown, { count }: { count: number }) {
            for (let n = 1; n <= count; n += 1) yield { ticks: { n } };
          },
        },
        forever: {
          subscribe: async function* () {
            for (let n = 1; ; n += 1) {
              yield { forever: { n } };
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          },
        },
        failing: {
          subscribe: async function* () {
            yield { failing: { n: 1 } };
            throw new Error('the feed broke');
          },
        },
      },
      Tick: { square: (tick: { n: number }) => ({ value: tick.n * tick.n }) },
    });
    router = await startTestRouter([subgraph], issuer, { limits: { maxDepth: 2 } });
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await router?.stop();
    await subgraph?.stop();
    await issuer?.stop();
  });

  test('a WebSocket subscription counts once when it ends: completed or stopped (success), failed (error)', async () => {
    const before = await scrape(router);
    // the client name from connection_init, then from the upgrade request's header
    const completed = await subscribe(
      connect({ params: { 'apollographql-client-name': 'live-ui' } }),
      'subscription Ticks { ticks(count: 2) { n } }',
    );
    assert.deepEqual(completed.events, [{ data: { ticks: { n: 1 } } }, { data: { ticks: { n: 2 } } }]);
    const stopped = await subscribe(
      connect({ headers: { 'apollographql-client-name': 'ios.store' } }),
      'subscription Forever { forever { n } }',
      2,
    );
    assert.equal(stopped.events.length, 2);
    const failed = await subscribe(connect(), 'subscription Failing { failing { n } }');
    assert.equal(failed.events.at(-1)?.errors?.length, 1, 'the upstream error reaches the client');
    await waitFor('every subscription ended', async () => router.router.subscriptionStats().subscribers === 0);
    const after = await scrape(router);

    const ops = 'router_operations_total';
    assert.equal(delta(before, after, ops, sub('Ticks', 'success', 'live-ui')), 1);
    assert.equal(delta(before, after, ops, sub('Forever', 'success', 'ios.store')), 1);
    assert.equal(delta(before, after, ops, sub('Failing', 'error')), 1);
    assert.equal(delta(before, after, ops, { operation_type: 'subscription' }), 3, 'each subscription counted once');
    assert.equal(delta(before, after, ops), 3);
    assert.equal(
      delta(before, after, 'router_operation_duration_seconds_count'),
      0,
      'subscription lifetimes are not in the HTTP latency histogram',
    );
    assert.equal(total(after, 'router_subscriptions_active'), 0);
  });

  test('a subscription refused before subscribing counts as rejected, its code in router_rejections_total', async () => {
    const before = await scrape(router);
    subgraph.subscribed.length = 0;
    const client = connect({ params: { 'apollographql-client-name': 'live-ui' } });
    const deep = await subscribe(client, 'subscription Deep { ticks(count: 1) { square { value } } }');
    assert.equal(deep.error?.[0]?.extensions?.code, 'MAX_DEPTH_LIMIT');
    const invalid = await subscribe(client, 'subscription Invalid { ticks(count: 1) { nope } }');
    assert.equal(invalid.error?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    const after = await scrape(router);

    assert.equal(delta(before, after, 'router_operations_total', sub('Deep', 'rejected', 'live-ui')), 1);
    // as over HTTP: a validation failure is an error, not a policy's refusal
    assert.equal(delta(before, after, 'router_operations_total', sub('Invalid', 'error', 'live-ui')), 1);
    assert.equal(delta(before, after, 'router_operations_total'), 2);
    assert.equal(delta(before, after, 'router_rejections_total', { code: 'MAX_DEPTH_LIMIT' }), 1);
    assert.equal(delta(before, after, 'router_rejections_total'), 1, 'validation failures are no policy rejection');
    assert.equal(subgraph.subscribed.length, 0, 'nothing was subscribed upstream');
  });

  test('a query over the WebSocket counts once, as a query, with the client name of the connection', async () => {
    const before = await scrape(router);
    const ping = await subscribe(connect({ params: { 'apollographql-client-name': 'live-ui' } }), 'query Ping { ping }');
    assert.deepEqual(ping.events, [{ data: { ping: 'pong' } }]);
    const after = await scrape(router);
    assert.equal(delta(before, after, 'router_operations_total', op('Ping', 'success', { client_name: 'live-ui' })), 1);
    assert.equal(delta(before, after, 'router_operations_total'), 1);
  });

  test("Node's process metrics are collected once per process: the router serves the subgraphs' set", async () => {
    const response = await fetch(`${router.router.baseUrl}/metrics`);
    const text = await response.text();
    const help = text.split('\n').filter((line) => line.startsWith('# HELP '));
    const names = help.map((line) => line.split(' ')[2]!);
    assert.equal(names.filter((name) => name === 'process_cpu_user_seconds_total').length, 1);
    assert.equal(new Set(names).size, names.length, 'each metric once');

    const metrics = new RouterMetrics();
    try {
      const subgraphRegistry = createSubgraphRegistry(); // what every subgraph server of the embedded platform serves
      for (const name of ['process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']) {
        const shared = subgraphRegistry.getSingleMetric(name);
        assert.ok(shared, name);
        assert.equal(metrics.registry.getSingleMetric(name), shared, `${name}: one collector, not one per registry`);
      }
    } finally {
      metrics.close();
    }
  });
});
