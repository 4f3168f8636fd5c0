import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { after, describe, test } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { waitFor } from '@commerce/kit';
import { Registry } from 'prom-client';
import { FetchMetrics } from '../src/fetch/metrics.js';
import { SubgraphFetchLayer } from '../src/fetch/layer.js';
import { fetchError, ok, query, testServer, type Received, type TestServer } from './fetch-support.js';

// The circuit breaker (fail fast while open, a half-open probe closes it), the bulkhead, compression and the metrics.
const servers: TestServer[] = [];
const layers: SubgraphFetchLayer[] = [];

async function setUp(config: ConstructorParameters<typeof SubgraphFetchLayer>[0], observer?: FetchMetrics) {
  const server = await testServer();
  servers.push(server);
  const layer = new SubgraphFetchLayer({ retries: 0, ...config }, observer);
  layers.push(layer);
  layer.register('reviews', { url: server.url, timeoutMs: 5_000 });
  return { server, layer };
}

after(async () => {
  await Promise.all(layers.map((layer) => layer.close()));
  await Promise.all(servers.map((server) => server.stop()));
});

async function sample(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
  const match = metric?.values.find((value) => Object.entries(labels).every(([key, label]) => value.labels[key] === label));
  return match?.value;
}

describe('circuit breaker', () => {
  test('after N consecutive failures the circuit opens: fetches fail fast with no connection; a probe closes it once the subgraph is back', async (t) => {
    const registry = new Registry();
    const metrics = new FetchMetrics([registry]);
    const { server, layer } = await setUp({ breakerFailures: 3, breakerHalfOpenAfterMs: 300 }, metrics);
    metrics.trackCircuits(() => layer.circuits());
    server.answer((_req, res) => res.writeHead(503).end());
    for (let i = 0; i < 3; i += 1) assert.equal((await fetchError(layer.fetch('reviews', query()))).failure.code, 'SUBREQUEST_HTTP_ERROR');
    assert.deepEqual(layer.circuits(), [['reviews', 'open']]);
    assert.equal(await sample(registry, 'router_subgraph_circuit_state', { subgraph: 'reviews', state: 'open' }), 1);
    assert.equal(await sample(registry, 'router_subgraph_circuit_state', { subgraph: 'reviews', state: 'closed' }), 0);

    const requests = server.received.length;
    const connections = server.connections();
    const timings: number[] = [];
    for (let i = 0; i < 21; i += 1) {
      const started = performance.now();
      const open = await fetchError(layer.fetch('reviews', query()));
      timings.push(performance.now() - started);
      assert.deepEqual(open.failure, {
        code: 'SUBGRAPH_UNAVAILABLE',
        reason: 'circuit open after repeated failures',
        mayHaveReached: false,
      });
    }
    const median = timings.sort((a, b) => a - b)[10] ?? Number.NaN;
    t.diagnostic(`failing fast took ${median.toFixed(3)} ms (median of 21), ${timings.at(-1)?.toFixed(3)} ms at most`);
    assert.ok(median < 1, `failing fast took ${median.toFixed(3)} ms (median)`);
    assert.equal(server.received.length, requests, 'no request reached the subgraph');
    assert.equal(server.connections(), connections, 'no connection was made');
    assert.equal(await sample(registry, 'router_subgraph_fetch_attempts_total', { subgraph: 'reviews', outcome: 'circuit_open' }), 21);

    server.answer(ok); // the subgraph is back
    await waitFor('the half-open probe to close the circuit', async () => {
      await layer.fetch('reviews', query()).catch(() => undefined);
      return layer.circuits()[0]?.[1] === 'closed';
    });
    assert.equal((await layer.fetch('reviews', query())).status, 200);
    assert.equal(await sample(registry, 'router_subgraph_circuit_state', { subgraph: 'reviews', state: 'closed' }), 1);
  });

  test('a failed probe opens the circuit again; 4xx answers never open it', async () => {
    const { server, layer } = await setUp({ breakerFailures: 2, breakerHalfOpenAfterMs: 100 });
    server.answer((_req, res) => res.writeHead(400).end());
    for (let i = 0; i < 5; i += 1) await fetchError(layer.fetch('reviews', query()));
    assert.deepEqual(layer.circuits(), [['reviews', 'closed']], 'the request was at fault, not the subgraph');
    server.answer((_req, res) => res.writeHead(500).end());
    for (let i = 0; i < 2; i += 1) await fetchError(layer.fetch('reviews', query()));
    assert.equal(layer.circuits()[0]?.[1], 'open');
    const before = server.received.length;
    await waitFor('a probe to reach the subgraph', async () => {
      await layer.fetch('reviews', query()).catch(() => undefined);
      return server.received.length > before;
    });
    assert.equal(server.received.length, before + 1, 'one probe');
    assert.equal(layer.circuits()[0]?.[1], 'open', 'the probe failed: open again');
  });
});

describe('circuit breaker: what does not count, and the probe', () => {
  test("fetches cut short by the client request's deadline do not open the circuit", async () => {
    const { server, layer } = await setUp({ breakerFailures: 2 });
    server.answer(() => {}); // never answers
    for (let i = 0; i < 4; i += 1) {
      const error = await fetchError(layer.fetch('reviews', query('{ ok }', { deadline: performance.now() + 30 })));
      assert.equal(error.failure.code, 'SUBREQUEST_TIMEOUT');
    }
    assert.deepEqual(layer.circuits(), [['reviews', 'closed']]);
  });

  test('while the half-open probe is in flight, other fetches fail fast instead of waiting for it', async () => {
    const held: [Received, ServerResponse][] = [];
    const { server, layer } = await setUp({ breakerFailures: 1, breakerHalfOpenAfterMs: 50 });
    server.answer((_req, res) => res.writeHead(503).end());
    await fetchError(layer.fetch('reviews', query()));
    assert.equal(layer.circuits()[0]?.[1], 'open');
    server.answer((req, res) => held.push([req, res]));
    let probe: Promise<unknown> | undefined;
    await waitFor('the probe', async () => {
      const attempt = layer.fetch('reviews', query());
      if (layer.circuits()[0]?.[1] === 'half_open') probe = attempt;
      else await attempt.catch(() => undefined);
      return probe !== undefined;
    });
    await waitFor('the probe at the subgraph', () => held.length === 1);
    const started = performance.now();
    const other = await fetchError(layer.fetch('reviews', query('{ other }')));
    assert.equal(other.failure.reason, 'circuit open after repeated failures');
    assert.ok(performance.now() - started < 50, 'it did not wait for the probe');
    for (const [req, res] of held.splice(0)) ok(req, res, 0);
    await probe;
    assert.equal(layer.circuits()[0]?.[1], 'closed');
  });
});

describe('bulkhead', () => {
  test('beyond maxConcurrent in flight and maxQueued waiting, a fetch fails at once with SUBGRAPH_UNAVAILABLE', async () => {
    const held: [Received, ServerResponse][] = [];
    const { server, layer } = await setUp({ maxConcurrent: 2, maxQueued: 1 });
    server.answer((req, res) => held.push([req, res]));
    const admitted = [1, 2, 3].map((i) => layer.fetch('reviews', query(`{ ok${i} }`)));
    const rejected = await fetchError(layer.fetch('reviews', query('{ ok4 }')));
    assert.deepEqual(rejected.failure, { code: 'SUBGRAPH_UNAVAILABLE', reason: 'too many fetches in flight', mayHaveReached: false });
    await waitFor('two fetches in flight', () => held.length === 2);
    assert.equal(server.received.length, 2, 'the third waits in the queue');
    for (const [req, res] of held.splice(0)) ok(req, res, 0);
    await waitFor('the queued fetch', () => held.length === 1);
    for (const [req, res] of held.splice(0)) ok(req, res, 0);
    assert.deepEqual(
      (await Promise.all(admitted)).map((response) => response.status),
      [200, 200, 200],
    );
    assert.deepEqual(layer.circuits(), [['reviews', 'closed']], 'rejections by the bulkhead do not open the circuit');
  });
});

describe('compression', () => {
  test('asks for gzip and br, and reads either', async () => {
    const { server, layer } = await setUp({});
    const body = JSON.stringify({ data: { reviews: Array.from({ length: 200 }, (_, i) => `review ${i}`) } });
    for (const [encoding, compress] of [
      ['gzip', gzipSync],
      ['br', brotliCompressSync],
    ] as const) {
      server.answer((_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding }).end(compress(body)),
      );
      assert.equal((await layer.fetch('reviews', query())).body, body, encoding);
    }
    assert.equal(server.received[0]?.headers['accept-encoding'], 'gzip, br');
  });

  test('an answer that does not decompress: SUBREQUEST_MALFORMED_RESPONSE', async () => {
    const { server, layer } = await setUp({});
    server.answer((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end('not gzip'));
    const error = await fetchError(layer.fetch('reviews', query()));
    assert.deepEqual(error.failure, {
      code: 'SUBREQUEST_MALFORMED_RESPONSE',
      reason: 'the gzip answer does not decompress',
      mayHaveReached: true,
    });
  });
});
