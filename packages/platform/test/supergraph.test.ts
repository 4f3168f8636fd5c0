import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

const PAGE_QUERY = `query Page($first: Int!) {
  products(first: $first) {
    edges { node {
      id name price { amount currencyCode }
      stock { available reserved } inStock
      rating { average count }
      reviews(first: 3) { edges { node { rating body author { id name } } } }
    } }
  }
}`;

interface PageData {
  products: {
    edges: {
      node: {
        id: string;
        name: string;
        price: { amount: string; currencyCode: string };
        stock: { available: number; reserved: number };
        inStock: boolean;
        rating: { average: number | null; count: number };
        reviews: { edges: { node: { rating: number; body: string; author: { id: string; name: string } } }[] };
      };
    }[];
  };
}

describe(`supergraph (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform?.close());

  it('answers the quick-start query with fields from all four subgraphs', async () => {
    const result = await platform.graphql<PageData>(
      `{ products(first: 3) { edges { node { name price { amount currencyCode } stock { available } rating { average count }
         reviews(first: 2) { edges { node { rating author { name } } } } } } } }`,
    );
    assert.equal(result.status, 200);
    assert.equal(result.body.errors, undefined);
    const nodes = result.body.data!.products.edges.map((edge) => edge.node);
    assert.equal(nodes.length, 3);
    for (const node of nodes) {
      assert.ok(node.name.length > 0);
      assert.match(node.price.amount, /^\d+\.\d{2}$/);
      assert.equal(node.price.currencyCode, 'EUR');
      assert.equal(typeof node.stock.available, 'number');
      assert.ok(node.rating.count > 0 && node.rating.average !== null);
      assert.ok(node.reviews.edges.length > 0);
      for (const review of node.reviews.edges) assert.ok(review.node.author.name.length > 0);
    }
  });

  it('loads a page with a bounded number of SQL queries per subgraph, whatever the page size', async () => {
    const counts: Record<number, Record<string, number>> = {};
    // As vendor staff, so StockLevel.reserved goes through the per-entity vendor_owns_product policy too.
    const token = await platform.login('vendor1@demo.shop');
    await platform.graphql<PageData>(PAGE_QUERY, { first: 1 }, { token }); // settles the log-in's own writes first
    for (const size of [5, 50]) {
      platform.resetQueryCounts();
      const result = await platform.graphql<PageData>(PAGE_QUERY, { first: size }, { token });
      // Other vendors' reserved counts are hidden; nothing else fails.
      const failures = (result.body.errors ?? []).filter(
        (error) => error.extensions?.code !== 'UNAUTHORIZED_FIELD_OR_TYPE' || error.path?.at(-1) !== 'reserved',
      );
      assert.deepEqual(failures, []);
      const nodes = result.body.data!.products.edges;
      assert.equal(nodes.length, size);
      if (size === 50) {
        assert.ok(
          nodes.some((edge) => edge.node.reviews.edges.length === 3),
          'some products have three reviews',
        );
        assert.ok(nodes.every((edge) => edge.node.reviews.edges.every((review) => review.node.author.name)));
      }
      counts[size] = platform.queryCounts();
    }
    // Only queries run for GraphQL requests are counted; the relays and sweepers running meanwhile are not.
    // catalog: ids + rows, + the router's batched ownership lookup (2); inventory: stock; reviews: pages + ratings;
    // identity: authors
    const bounds: Record<string, number> = { catalog: 4, inventory: 1, reviews: 2, identity: 1 };
    for (const [subgraph, bound] of Object.entries(bounds)) {
      assert.ok(counts[5]![subgraph]! > 0, `${subgraph}'s queries for the page were counted`);
      assert.ok(counts[50]![subgraph]! <= bound, `${subgraph} ran ${counts[50]![subgraph]} queries for 50 products (bound ${bound})`);
      assert.equal(counts[50]![subgraph], counts[5]![subgraph], `${subgraph} query count must not grow with the page size`);
    }
  });

  it('paginates with cursors without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const result: {
        body: {
          data?: {
            products: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
          } | null;
        };
      } = await platform.graphql(
        'query($after: String) { products(first: 25, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      const page = result.body.data!.products;
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    assert.equal(seen.length, 60);
    assert.equal(new Set(seen).size, 60);
  });

  it('searches the full text, ranks, and filters by category and price', async () => {
    const search = await platform.graphql<{ products: { edges: { node: { name: string; description: string } }[] } }>(
      '{ products(first: 20, search: "tent") { edges { node { name description } } } }',
    );
    const names = search.body.data!.products.edges.map((edge) => edge.node.name);
    assert.ok(names.length >= 1 && names.every((name) => /tent/i.test(name)), names.join(', '));

    const categories = await platform.graphql<{ categories: { id: string; slug: string }[] }>('{ categories { id slug } }');
    assert.equal(categories.body.data!.categories.length, 6);
    const kitchen = categories.body.data!.categories.find((category) => category.slug === 'kitchen')!;
    const filtered = await platform.graphql<{
      products: { edges: { node: { price: { amount: string }; category: { id: string } } }[] };
    }>('query($filter: ProductFilter) { products(first: 50, filter: $filter) { edges { node { price { amount } category { id } } } } }', {
      filter: { categoryId: kitchen.id, minPrice: '20.00', maxPrice: '150.00' },
    });
    const nodes = filtered.body.data!.products.edges.map((edge) => edge.node);
    assert.ok(nodes.length > 0);
    for (const node of nodes) {
      assert.equal(node.category.id, kitchen.id);
      assert.ok(Number(node.price.amount) >= 20 && Number(node.price.amount) <= 150);
    }
  });

  it('returns null for an unknown product and BAD_USER_INPUT for bad arguments', async () => {
    const unknown = await platform.graphql('{ product(id: "00000000-0000-4000-8000-000000000000") { name } }');
    assert.deepEqual(unknown.body.data, { product: null });
    const malformed = await platform.graphql('{ product(id: "not-an-id") { name } }');
    assert.deepEqual(malformed.body.data, { product: null });
    for (const query of [
      '{ products(first: 1000) { edges { cursor } } }',
      '{ products(first: 5, after: "garbage") { edges { cursor } } }',
      '{ products(first: 5, filter: { minPrice: "cheap" }) { edges { cursor } } }',
      '{ products(first: 5, filter: { minPrice: "50", maxPrice: "10" }) { edges { cursor } } }',
    ]) {
      const result = await platform.graphql(query);
      assert.equal(result.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${query}: ${JSON.stringify(result.body)}`);
    }
  });

  it('serves health endpoints on the router and every subgraph', async () => {
    const base = platform.routerUrl.replace(/\/graphql$/, '');
    for (const url of [base, ...Object.values(platform.subgraphs).map((running) => running.url.replace(/\/graphql$/, ''))]) {
      assert.equal((await fetch(`${url}/health/live`)).status, 200);
      assert.equal((await fetch(`${url}/health/ready`)).status, 200);
    }
  });

  it('answers a malformed body with a JSON BAD_REQUEST, never an HTML stack trace', async () => {
    for (const url of [platform.routerUrl, platform.subgraphs.catalog!.url]) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      assert.equal(body.errors[0]!.extensions.code, 'BAD_REQUEST');
    }
  });

  it('refuses a forged token with 401 UNAUTHENTICATED, and subgraphs refuse unsigned principals', async () => {
    const forged = await platform.graphql('{ me { id } }', {}, { token: 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln' });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const direct = await fetch(platform.subgraphs.identity!.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-commerce-principal': Buffer.from(JSON.stringify({ userId: 'x', role: 'admin', scopes: [], iat: Date.now() })).toString(
          'base64url',
        ),
        'x-commerce-principal-signature': 'made-up',
      },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    assert.equal(direct.status, 401);
  });
});
