import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger, demoData, startSubgraphServer, waitFor } from '@commerce/kit';
import { startRouter, type RunningRouter } from '@commerce/router';
import { SUPERGRAPH_PATH } from '../src/embedded.js';
import { SUBGRAPHS } from '../src/subgraphs.js';
import { startTestPlatform, testMode, type TestPlatform } from '../src/testing.js';

/**
 * The web client's product page (clients/web/operations/ProductDetail.graphql with its ProductCard fragment): catalog
 * (name, price, category, vendor), inventory (stock) and reviews (rating, reviews).
 */
const PRODUCT_PAGE = `query ProductDetail($id: ID!) {
  product(id: $id) {
    id name description createdAt
    price { amount currencyCode }
    inStock
    stock { available }
    rating { average count }
    category { id name slug }
    vendor { id name slug }
    reviews(first: 5) {
      edges { cursor node { id rating body createdAt author { id name } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;
const BREAKER_FAILURES = 3;
const HALF_OPEN_AFTER_MS = 3_000;

interface ProductPage {
  data?: { product: Record<string, unknown> | null } | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * With the reviews subgraph stopped, a product page still answers with what catalog and inventory know, nulls and
 * errors only where reviews contributes; once the circuit is open those fetches fail without a connection attempt;
 * when reviews is back, a half-open probe closes the circuit and the pages are whole again.
 */
describe(`graceful degradation: the reviews subgraph stops and comes back (${testMode()})`, () => {
  let platform: TestPlatform;
  let router: RunningRouter;
  let reviewsPort: number;
  const product = demoData().products.find((candidate) => demoData().reviews.some((review) => review.productId === candidate.id))!;

  async function productPage(): Promise<ProductPage> {
    const response = await fetch(router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: PRODUCT_PAGE, variables: { id: product.id } }),
    });
    assert.equal(response.status, 200);
    return (await response.json()) as ProductPage;
  }

  async function scrape(): Promise<Sample[]> {
    const text = await (await fetch(`${router.baseUrl}/metrics`)).text();
    return text.split('\n').flatMap((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) return [];
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1]!, label[2]!]));
      return [{ name: match[1]!, labels, value: Number(match[3]) }];
    });
  }

  const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
    samples
      .filter((sample) => sample.name === name && Object.entries(labels).every(([key, label]) => sample.labels[key] === label))
      .reduce((sum, sample) => sum + sample.value, 0);

  before(async () => {
    platform = await startTestPlatform();
    // A router of this test's own over the platform's subgraphs, with a breaker quick enough for a test.
    const identityUrl = platform.subgraphs.identity!.url;
    router = await startRouter({
      supergraphPath: SUPERGRAPH_PATH,
      watchSupergraph: false,
      port: 0,
      host: '127.0.0.1',
      subgraphUrls: Object.fromEntries(Object.values(platform.subgraphs).map((running) => [running.name, running.url])),
      jwksUrl: identityUrl.replace(/\/graphql$/, '/.well-known/jwks.json'),
      routerSecret: platform.routerSecret,
      logger: createLogger('router', 'silent'),
      fetch: { breakerFailures: BREAKER_FAILURES, breakerHalfOpenAfterMs: HALF_OPEN_AFTER_MS },
      sessionRevocation: { intervalMs: 0 },
    });
    reviewsPort = Number(new URL(platform.subgraphs.reviews!.url).port);
  });

  after(async () => {
    await router?.close();
    await platform?.close();
  });

  it('with every subgraph up, the page is whole', async () => {
    const page = await productPage();
    assert.equal(page.errors, undefined);
    assert.equal(page.data?.product?.name, product.name);
    assert.ok((page.data?.product?.rating as { count: number }).count > 0);
  });

  it('reviews stopped: catalog and inventory still answer; rating and reviews are null with SUBGRAPH_UNAVAILABLE errors for reviews only', async () => {
    await platform.subgraphs.reviews!.close();
    const page = await productPage();
    const answered = page.data?.product;
    assert.ok(answered, `the product is there: ${JSON.stringify(page)}`);
    assert.equal(answered.name, product.name);
    assert.equal(typeof (answered.price as { amount: unknown }).amount, 'string');
    assert.equal(typeof answered.inStock, 'boolean');
    assert.equal(typeof (answered.stock as { available: unknown }).available, 'number');
    assert.equal((answered.category as { name: unknown }).name !== undefined, true);
    assert.equal(answered.rating, null);
    assert.equal(answered.reviews, null);
    assert.ok(page.errors?.length);
    for (const error of page.errors) {
      assert.equal(error.extensions?.code, 'SUBGRAPH_UNAVAILABLE');
      assert.equal(error.extensions?.service, 'reviews');
      assert.equal(error.extensions?.retrySafe, true);
    }
    assert.deepEqual(
      page.errors.map((error) => error.extensions?.reason),
      page.errors.map(() => 'connection refused'),
    );
  });

  it('once the circuit is open, reviews fetches fail fast (no connection attempt, within milliseconds) and pages still answer', async (t) => {
    // The stopped subgraph's port now takes connections and counts them: an open circuit makes none.
    let connections = 0;
    const sockets = new Set<Socket>();
    const counter: Server = createServer((socket) => {
      connections += 1;
      sockets.add(socket);
      socket.destroy();
    });
    await waitFor('the circuit to open', async () => {
      const samples = await scrape();
      return value(samples, 'router_subgraph_circuit_state', { subgraph: 'reviews', state: 'open' }) === 1;
    });
    await new Promise<void>((resolve) => counter.listen(reviewsPort, '127.0.0.1', resolve));
    try {
      const before = await scrape();
      const pages: ProductPage[] = [];
      for (let i = 0; i < 10; i += 1) pages.push(await productPage());
      const afterwards = await scrape();
      assert.equal(connections, 0, 'no connection reached the reviews port');
      for (const page of pages) {
        assert.equal(page.data?.product?.name, product.name);
        assert.equal(page.data?.product?.reviews, null);
        assert.deepEqual(
          page.errors?.map((error) => [error.extensions?.code, error.extensions?.service, error.extensions?.reason]),
          page.errors?.map(() => ['SUBGRAPH_UNAVAILABLE', 'reviews', 'circuit open after repeated failures']),
        );
      }
      const failFast = (samples: Sample[], suffix: string) =>
        value(samples, `router_subgraph_request_duration_seconds_${suffix}`, { subgraph: 'reviews', outcome: 'error' });
      const fetches = failFast(afterwards, 'count') - failFast(before, 'count');
      const seconds = failFast(afterwards, 'sum') - failFast(before, 'sum');
      assert.equal(fetches, 10, 'one reviews fetch per page');
      assert.equal(
        value(afterwards, 'router_subgraph_fetch_attempts_total', { subgraph: 'reviews', outcome: 'circuit_open' }) -
          value(before, 'router_subgraph_fetch_attempts_total', { subgraph: 'reviews', outcome: 'circuit_open' }),
        10,
      );
      // The fetch layer itself fails fast in about 0.1 ms (router/test/fetch-breaker.test.ts); seen from the gateway,
      // with this process's other work (every subgraph runs in it) and a busy machine in between, every such fetch
      // still ends within 25 ms, far below a timeout (the mean is printed: a few ms at most).
      const meanMs = (seconds / fetches) * 1000;
      t.diagnostic(`a reviews fetch with the circuit open took ${meanMs.toFixed(3)} ms on average (gateway's view)`);
      const fastest = (samples: Sample[]) =>
        value(samples, 'router_subgraph_request_duration_seconds_bucket', { subgraph: 'reviews', outcome: 'error', le: '0.025' });
      assert.equal(fastest(afterwards) - fastest(before), 10, `every fetch under 25 ms (mean ${meanMs.toFixed(3)} ms)`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => counter.close(() => resolve()));
    }
  });

  it('reviews back: the half-open probe closes the circuit and pages are whole again', async () => {
    const definition = SUBGRAPHS.find((candidate) => candidate.name === 'reviews')!;
    platform.subgraphs.reviews = await startSubgraphServer(definition, {
      db: platform.databases.reviews!,
      logger: createLogger('reviews', 'silent'),
      routerSecret: platform.routerSecret,
      port: reviewsPort,
      shared: platform.shared,
    }); // closed with the platform
    await waitFor(
      'a whole product page',
      async () => (await productPage()).errors === undefined,
      HALF_OPEN_AFTER_MS + 10_000,
      undefined,
      200,
    );
    const page = await productPage();
    assert.equal(page.data?.product?.name, product.name);
    assert.ok((page.data?.product?.rating as { count: number }).count > 0);
    const samples = await scrape();
    assert.equal(value(samples, 'router_subgraph_circuit_state', { subgraph: 'reviews', state: 'closed' }), 1);
  });
});
