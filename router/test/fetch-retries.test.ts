import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, describe, test } from 'node:test';
import { SubgraphFetchLayer } from '../src/fetch/layer.js';
import { RetryBudget } from '../src/fetch/retry-budget.js';
import { fetchError, mutation, ok, query, testServer, type TestServer } from './fetch-support.js';

// Timeouts, retries (queries only) and the retry budget of the subgraph fetch layer, against small local servers.
const servers: TestServer[] = [];
const layers: SubgraphFetchLayer[] = [];

async function setUp(config: ConstructorParameters<typeof SubgraphFetchLayer>[0] = {}, timeoutMs = 5_000) {
  const server = await testServer();
  servers.push(server);
  // No breaker unless a test asks for one: these tests fail the subgraph on purpose, many times.
  const layer = new SubgraphFetchLayer({ breakerFailures: 0, retryBaseDelayMs: 1, retryMaxDelayMs: 5, ...config });
  layers.push(layer);
  layer.register('payments', { url: server.url, timeoutMs });
  return { server, layer };
}

after(async () => {
  await Promise.all(layers.map((layer) => layer.close()));
  await Promise.all(servers.map((server) => server.stop()));
});

describe('subgraph fetch timeouts', () => {
  test("a subgraph that never answers: SUBREQUEST_TIMEOUT after the subgraph's timeout, sent once (a timeout is not retried)", async () => {
    const { server, layer } = await setUp({}, 200);
    server.answer(() => {}); // holds the request
    const started = performance.now();
    const error = await fetchError(layer.fetch('payments', query()));
    const elapsed = performance.now() - started;
    assert.deepEqual(error.failure, { code: 'SUBREQUEST_TIMEOUT', reason: 'no answer within 200 ms', mayHaveReached: true });
    assert.ok(elapsed >= 195 && elapsed < 1_500, `failed after ${elapsed} ms`);
    assert.equal(server.received.length, 1);
  });

  test('headers, then a body that never ends: the same timeout bounds the body', async () => {
    const { server, layer } = await setUp({}, 200);
    server.answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
    });
    const error = await fetchError(layer.fetch('payments', query()));
    assert.equal(error.failure.code, 'SUBREQUEST_TIMEOUT');
  });

  test("the client request's deadline bounds the fetch when it comes before the subgraph's timeout", async () => {
    const { server, layer } = await setUp({}, 10_000);
    server.answer(() => {});
    const started = performance.now();
    const error = await fetchError(layer.fetch('payments', query('{ ok }', { deadline: started + 150 })));
    const elapsed = performance.now() - started;
    assert.equal(error.failure.code, 'SUBREQUEST_TIMEOUT');
    assert.match(error.failure.reason, /^no answer within 1[0-5]\d ms$/);
    assert.ok(elapsed < 1_500, `failed after ${elapsed} ms, the deadline was 150 ms`);
  });

  test('a deadline already passed: SUBREQUEST_TIMEOUT without any request to the subgraph (safe to resend)', async () => {
    const { server, layer } = await setUp();
    const error = await fetchError(layer.fetch('payments', mutation('mutation { pay }', { deadline: performance.now() - 1 })));
    assert.equal(error.failure.code, 'SUBREQUEST_TIMEOUT');
    assert.equal(error.failure.mayHaveReached, false);
    assert.equal(server.received.length, 0);
  });
});

describe('subgraph fetch retries', () => {
  test('a query answered 503 twice is retried and answered; the subgraph saw three requests', async () => {
    const { server, layer } = await setUp({ retries: 2 });
    server.answer((req, res, index) => (index < 2 ? res.writeHead(503).end() : ok(req, res, index)));
    const response = await layer.fetch('payments', query());
    assert.equal(response.body, '{"data":{"ok":true}}');
    assert.equal(server.received.length, 3);
  });

  test('a query over its retries: the last failure, after 1 + retries requests', async () => {
    const { server, layer } = await setUp({ retries: 2 });
    server.answer((_req, res) => res.writeHead(503).end());
    const error = await fetchError(layer.fetch('payments', query()));
    assert.deepEqual(error.failure, { code: 'SUBREQUEST_HTTP_ERROR', reason: '503: Service Unavailable', mayHaveReached: true });
    assert.equal(server.received.length, 3);
  });

  test('a 4xx is not retried (sending it again would get the same answer)', async () => {
    const { server, layer } = await setUp({ retries: 2 });
    server.answer((_req, res) => res.writeHead(400).end());
    const error = await fetchError(layer.fetch('payments', query()));
    assert.equal(error.failure.reason, '400: Bad Request');
    assert.equal(server.received.length, 1);
  });

  test('a connection reset mid-request is retried for a query', async () => {
    const { server, layer } = await setUp({ retries: 2 });
    server.answer((req, res, index) => (index === 0 ? res.socket?.destroy() : ok(req, res, index)));
    assert.equal((await layer.fetch('payments', query())).status, 200);
    assert.equal(server.received.length, 2);
  });

  test('a mutation is sent exactly once, whether the subgraph answers 503 or drops the connection', async () => {
    const { server, layer } = await setUp({ retries: 3 });
    server.answer((_req, res) => res.writeHead(503).end());
    const refused = await fetchError(layer.fetch('payments', mutation()));
    assert.equal(refused.failure.code, 'SUBREQUEST_HTTP_ERROR');
    assert.equal(server.received.length, 1, 'one request for the 503');
    server.answer((_req, res) => res.socket?.destroy());
    const dropped = await fetchError(layer.fetch('payments', mutation()));
    assert.deepEqual(dropped.failure, { code: 'SUBGRAPH_UNAVAILABLE', reason: 'connection reset', mayHaveReached: true });
    assert.equal(server.received.length, 2, 'one request for the dropped connection');
  });

  test('an unreachable subgraph: SUBGRAPH_UNAVAILABLE "connection refused", never sent (a mutation may be resent)', async () => {
    const { server, layer } = await setUp({ retries: 2 });
    await server.stop();
    const error = await fetchError(layer.fetch('payments', mutation()));
    assert.deepEqual(error.failure, { code: 'SUBGRAPH_UNAVAILABLE', reason: 'connection refused', mayHaveReached: false });
  });

  test('the retry budget: with 10 % and no minimum, 20 failing queries cause 2 retries, not 40', async () => {
    const { server, layer } = await setUp({ retries: 2, retryBudgetPercent: 10, retryMinPerSecond: 0 });
    server.answer((_req, res) => res.writeHead(503).end());
    for (let i = 0; i < 20; i += 1) await fetchError(layer.fetch('payments', query(`{ ok${i} }`)));
    assert.equal(server.received.length, 22);
  });
});

describe('RetryBudget', () => {
  test('at most percent % of the fetches of the last 10 s, plus the minimum per second; the window slides', () => {
    let now = 1_000_000;
    const budget = new RetryBudget(10, 1, () => now);
    for (let i = 0; i < 50; i += 1) budget.fetched();
    const granted = () => {
      let count = 0;
      while (budget.withdraw()) count += 1;
      return count;
    };
    assert.equal(granted(), 15, '10 % of 50 plus 1 per second over 10 s');
    now += 5_000;
    assert.equal(granted(), 0, 'still within the window');
    now += 5_001;
    assert.equal(granted(), 10, 'the fetches and retries of 10 s ago are forgotten: the minimum is left');
  });
});
