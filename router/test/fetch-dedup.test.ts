import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { waitFor } from '@commerce/kit';
import { SubgraphFetchLayer } from '../src/fetch/layer.js';
import { mutation, ok, query, testServer, type Received, type TestServer } from './fetch-support.js';

// In-flight de-duplication: concurrent identical query fetches of one principal share one request.
describe('subgraph fetch de-duplication', () => {
  let server: TestServer;
  let layer: SubgraphFetchLayer;
  const held: [Received, ServerResponse][] = [];

  /** Sends the fetches together while the subgraph holds its answers, then lets it answer them all. */
  async function concurrently<T>(fetches: (() => Promise<T>)[], expectedRequests: number): Promise<T[]> {
    const results = Promise.all(fetches.map((fetch) => fetch()));
    await waitFor(`${expectedRequests} requests at the subgraph`, () => server.received.length >= expectedRequests);
    for (const [req, res] of held.splice(0)) ok(req, res, 0);
    return results;
  }

  before(async () => {
    server = await testServer((req, res) => held.push([req, res]));
    layer = new SubgraphFetchLayer();
    layer.register('catalog', { url: server.url, timeoutMs: 5_000 });
  });

  beforeEach(() => {
    server.received.length = 0;
  });

  after(async () => {
    await layer.close();
    await server.stop();
  });

  test('two concurrent identical queries of one principal: one request, both answered', async () => {
    const results = await concurrently(
      [
        () => layer.fetch('catalog', query('{ products }', { shareKey: 'u1' })),
        () => layer.fetch('catalog', query('{ products }', { shareKey: 'u1' })),
      ],
      1,
    );
    assert.deepEqual(
      results.map((result) => result.body),
      ['{"data":{"ok":true}}', '{"data":{"ok":true}}'],
    );
    assert.equal(server.received.length, 1);
  });

  test('two principals asking the same: two requests, each with its own headers', async () => {
    await concurrently(
      [
        () => layer.fetch('catalog', query('{ products }', { shareKey: 'u1', headers: { 'x-who': 'u1' } })),
        () => layer.fetch('catalog', query('{ products }', { shareKey: 'u2', headers: { 'x-who': 'u2' } })),
      ],
      2,
    );
    assert.deepEqual(server.received.map((request) => request.headers['x-who']).sort(), ['u1', 'u2']);
  });

  test('different variables: two requests', async () => {
    const withId = (id: string) =>
      query('query ($id: ID!) { product(id: $id) }', { body: JSON.stringify({ query: 'q', variables: { id } }) });
    await concurrently([() => layer.fetch('catalog', withId('p1')), () => layer.fetch('catalog', withId('p2'))], 2);
    assert.equal(server.received.length, 2);
  });

  test('identical mutations are never shared, nor fetches without a share key', async () => {
    await concurrently([() => layer.fetch('catalog', mutation()), () => layer.fetch('catalog', mutation())], 2);
    assert.equal(server.received.length, 2);
    const unkeyed = query('{ products }', { shareKey: undefined });
    await concurrently([() => layer.fetch('catalog', unkeyed), () => layer.fetch('catalog', unkeyed)], 4);
    assert.equal(server.received.length, 4);
  });

  test('only fetches in flight are shared: the same query afterwards is sent again', async () => {
    await concurrently([() => layer.fetch('catalog', query())], 1);
    await concurrently([() => layer.fetch('catalog', query())], 2);
    assert.equal(server.received.length, 2);
  });
});
