import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Principal, principalHeaders, REPO_ROOT, type Role } from '@commerce/kit';
// The engine is not wired into the router yet (issue 12): reached through the router's build output.
import { type Engine, HttpSubgraphFetcher, prepare } from '@commerce/router/dist/src/engine/index.js';
import { generateCorpus } from '@commerce/router/dist/test/engine-corpus.js';
import { parse } from 'graphql';
import { SUPERGRAPH_PATH } from '../src/embedded.js';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

interface ManifestOperation {
  name: string;
  type: string;
  body: string;
}

function manifest(client: string): ManifestOperation[] {
  const file = join(REPO_ROOT, 'schema', 'persisted-queries', `${client}.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { operations: ManifestOperation[] }).operations;
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
  );
}

/**
 * The clients' persisted queries, answered by the router (@apollo/gateway with every policy) and by the engine
 * (straight to the same subgraphs, with the principal the router would sign): the same data and errors. Anonymous
 * shoppers' queries, a customer's and a vendor's. The engine has no pipeline yet: the test signs the principal the
 * router's authentication derives from the same token.
 */
describe(`engine vs the router on the platform (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  let engine: Engine;
  let fetcher: HttpSubgraphFetcher;
  let productIds: string[];
  const signedIn: Record<string, { token: string; fetcher: HttpSubgraphFetcher }> = {};

  before(async () => {
    platform = await startTestPlatform();
    engine = prepare(readFileSync(SUPERGRAPH_PATH, 'utf8'));
    fetcher = new HttpSubgraphFetcher(Object.fromEntries(Object.values(platform.subgraphs).map((running) => [running.name, running.url])));
    const list = await platform.graphql<{ products: { edges: { node: { id: string } }[] } }>(
      '{ products(first: 3) { edges { node { id } } } }',
    );
    productIds = list.body.data?.products.edges.map((edge) => edge.node.id) ?? [];
    assert.equal(productIds.length, 3);
    const urls = Object.fromEntries(Object.values(platform.subgraphs).map((running) => [running.name, running.url]));
    for (const [who, email] of [
      ['customer', 'customer20@demo.shop'],
      ['vendor', 'vendor1@demo.shop'],
    ] as const) {
      const token = await platform.login(email);
      // Headers are signed once: the test runs well within their validity.
      signedIn[who] = { token, fetcher: new HttpSubgraphFetcher(urls, principalHeaders(principalOf(token), platform.routerSecret)) };
    }
  });
  after(() => platform?.close());

  const variablesFor = (name: string): Record<string, unknown>[] => {
    switch (name) {
      case 'ProductDetail':
        return productIds.map((id) => ({ id, reviewsFirst: 3 }));
      case 'ProductScreen':
      case 'VendorStock':
        return productIds.map((id) => (name === 'VendorStock' ? { productId: id } : { id }));
      case 'SearchProducts':
        return [{ search: 'a' }, { search: 'zzzz-nothing' }];
      case 'ProductList':
        return [{}, { first: 2 }];
      case 'ProductFeed':
        return [{}, { first: 3 }];
      default:
        return [{}];
    }
  };
  const PUBLIC = new Set(['Categories', 'ProductDetail', 'ProductList', 'ProductFeed', 'ProductScreen', 'SearchProducts']);
  const AS: Record<string, 'customer' | 'vendor'> = { Me: 'customer', MyOrders: 'customer', MyReviews: 'customer', VendorStock: 'vendor' };

  it('a generated corpus of queries, as a customer: identical data and errors where no router policy intervenes', async () => {
    const customer = signedIn.customer;
    assert.ok(customer);
    const ids = productIds.map((id) => JSON.stringify(id));
    const corpus = generateCorpus(engine.apiSchema, {
      count: Number(process.env.ENGINE_PLATFORM_CORPUS_SIZE ?? 200),
      seed: Number(process.env.ENGINE_CORPUS_SEED ?? 7),
      argumentValues: {
        'Query.product.id': ids,
        'Query.products.first': ['1', '3'],
        'Query.products.search': ['"a"', '"chair"'],
        'Product.reviews.first': ['2'],
      },
      maxDepth: 3,
      // Fields a customer may not read (admin, inventory scopes, vendor_owns_product, self_or_admin on other users):
      // the router's authorization redacts them, which is the pipeline's work, not the executor's.
      exclude: new Set([
        'Query.partnerClients',
        'Query.warehouses',
        'StockLevel.reserved',
        'StockLevel.onHand',
        'StockLevel.warehouses',
        'User.email',
        'User.notifications',
        'User.orders',
      ]),
    });
    // Refusals and redactions of the router's policies (limits, cost, authorization, rate limit) are not the
    // executor's business: those operations are counted, not compared.
    const POLICY_CODES = new Set([
      'UNAUTHORIZED_FIELD_OR_TYPE',
      'COST_ESTIMATED_TOO_EXPENSIVE',
      'MAX_DEPTH_EXCEEDED',
      'MAX_ALIASES_EXCEEDED',
      'MAX_ROOT_FIELDS_EXCEEDED',
      'MAX_FIELDS_EXCEEDED',
      'RATE_LIMITED',
      'PERSISTED_QUERY_NOT_IN_SAFELIST',
      'INTROSPECTION_DISABLED',
    ]);
    const mismatches: string[] = [];
    const skipped = new Map<string, number>();
    let compared = 0;
    for (const operation of corpus) {
      const expected = await platform.graphql(operation.query, operation.variables, { token: customer.token });
      const codes = (expected.body.errors ?? []).map((error) => String(error.extensions?.code ?? ''));
      const policy =
        codes.find((code) => POLICY_CODES.has(code)) ?? (expected.body.data ? undefined : `HTTP ${expected.status} ${codes[0]}`);
      if (policy) {
        skipped.set(policy, (skipped.get(policy) ?? 0) + 1);
        continue;
      }
      compared++;
      const actual = await engine.execute({ document: parse(operation.query), variables: operation.variables }, customer.fetcher);
      const errorsOf = (errors: readonly { message: string; path?: readonly unknown[] }[] | undefined) =>
        (errors ?? []).map((error) => JSON.stringify({ message: error.message, path: error.path })).sort();
      const want = JSON.stringify({ data: sorted(expected.body.data), errors: errorsOf(expected.body.errors) });
      const got = JSON.stringify({ data: sorted(actual.data), errors: errorsOf(actual.errors) });
      if (want !== got) mismatches.push(`${operation.query} ${JSON.stringify(operation.variables)}\n  router: ${want}\n  engine: ${got}`);
    }
    process.stdout.write(`# corpus: ${compared} compared, skipped for router policies: ${JSON.stringify([...skipped])}\n`);
    assert.deepEqual(mismatches.slice(0, 3), [], `${mismatches.length} of ${compared} operations differ`);
    assert.ok(compared >= corpus.length / 2, `only ${compared} of ${corpus.length} operations compared`);
  });

  for (const client of ['web', 'mobile']) {
    for (const operation of manifest(client)) {
      const who = AS[operation.name];
      if (operation.type !== 'query' || (!PUBLIC.has(operation.name) && !who)) continue;
      it(`${client} ${operation.name}${who ? ` as a ${who}` : ''}: identical data and errors`, async () => {
        const as = who ? signedIn[who] : undefined;
        for (const variables of variablesFor(operation.name)) {
          const expected = await platform.graphql(operation.body, variables, as ? { token: as.token } : {});
          const actual = await engine.execute({ document: parse(operation.body), variables }, as?.fetcher ?? fetcher);
          assert.ok(actual.data, `${operation.name} ${JSON.stringify(variables)} answered data`);
          assert.deepEqual(sorted(actual.data), sorted(expected.body.data), `${operation.name} ${JSON.stringify(variables)}`);
          const errorsOf = (errors: readonly { message: string; path?: readonly unknown[] }[] | undefined) =>
            (errors ?? []).map((error) => JSON.stringify({ message: error.message, path: error.path })).sort();
          assert.deepEqual(errorsOf(actual.errors), errorsOf(expected.body.errors));
        }
      });
    }
  }
});

/** The principal in an access token, as the router's authentication reads it (the token was just issued). */
function principalOf(token: string): Principal {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  const scope = typeof payload.scope === 'string' ? payload.scope : '';
  return {
    userId: String(payload.sub),
    role: payload.role as Role,
    ...(typeof payload.vendor === 'string' ? { vendorId: payload.vendor } : {}),
    scopes: scope.split(' ').filter(Boolean),
  };
}
