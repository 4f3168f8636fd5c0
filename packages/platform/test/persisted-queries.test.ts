import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demoData, REPO_ROOT } from '@commerce/kit';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

/**
 * Every operation in the committed persisted query manifests (schema/persisted-queries/*.json, written by
 * `npm run codegen` from clients/<client>/operations) runs on the embedded platform by its id alone, as the
 * client would send it, without GraphQL errors. The embedded router loads the committed manifests, so the
 * id must resolve from them (not from APQ, which would answer PERSISTED_QUERY_NOT_FOUND).
 *
 * An operation this file has no variables for (a new one) is still sent, with no variables, and must at
 * least parse and validate against the served schema; add it to OPERATIONS to run it for real.
 */
interface Operation {
  id: string;
  name: string;
  type: string;
  body: string;
}

type Role = 'customer' | 'vendor' | 'anonymous';
interface Fixture {
  as: Role;
  variables(context: Context): Record<string, unknown>;
}
interface Context {
  productId: string;
  vendorProductId: string;
  warehouseId: string;
  categorySlug: string;
  /** A product the customer has not reviewed yet, a different one on each call (one review per product). */
  unreviewedProductId(): string;
  refreshToken(): Promise<string>;
}

const data = demoData();
const vendor1 = data.vendors[0]!.id;
const stock = data.stock.find((row) => row.vendorId === vendor1)!;
const customer = data.users.find((user) => user.email === 'customer2@demo.shop')!;

const OPERATIONS: Record<string, Fixture> = {
  ProductList: { as: 'anonymous', variables: () => ({ first: 5, search: 'tent OR knife' }) },
  ProductFeed: { as: 'anonymous', variables: ({ categorySlug }) => ({ first: 5, categorySlug }) },
  SearchProducts: { as: 'anonymous', variables: () => ({ search: 'tent', first: 5 }) },
  ProductDetail: { as: 'anonymous', variables: ({ productId }) => ({ id: productId, reviewsFirst: 3 }) },
  ProductScreen: { as: 'anonymous', variables: ({ productId }) => ({ id: productId }) },
  Categories: { as: 'anonymous', variables: () => ({}) },
  Me: { as: 'customer', variables: () => ({}) },
  MyReviews: { as: 'customer', variables: () => ({ first: 5 }) },
  LogIn: { as: 'anonymous', variables: () => ({ input: { email: 'customer3@demo.shop', password: 'demo-password' } }) },
  SignUp: {
    as: 'anonymous',
    variables: () => ({ input: { email: `pq-${randomUUID()}@example.com`, password: 'long-enough-password', name: 'Pat Persisted' } }),
  },
  RefreshSession: { as: 'anonymous', variables: () => ({}) }, // refreshToken added below (each works once)
  AddReview: {
    as: 'customer',
    variables: ({ unreviewedProductId }) => ({
      input: { productId: unreviewedProductId(), rating: 4, body: 'Sent as a persisted query.' },
    }),
  },
  VendorStock: { as: 'vendor', variables: ({ vendorProductId }) => ({ productId: vendorProductId }) },
  AdjustStock: {
    as: 'vendor',
    variables: ({ vendorProductId, warehouseId }) => ({ input: { productId: vendorProductId, warehouseId, delta: 1, reason: 'delivery' } }),
  },
  ChangeProductPrice: {
    as: 'vendor',
    variables: ({ vendorProductId }) => ({ input: { productId: vendorProductId, amount: '19.99', currencyCode: 'EUR' } }),
  },
};

function manifests(): { client: string; operations: Operation[] }[] {
  const dir = join(REPO_ROOT, 'schema', 'persisted-queries');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({
      client: file.replace(/\.json$/, ''),
      operations: (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { operations: Operation[] }).operations,
    }));
}

describe(`persisted query manifests on the platform (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  const tokens: Partial<Record<Role, string>> = {};
  let context: Context;

  before(async () => {
    platform = await startTestPlatform();
    tokens.customer = await platform.login(customer.email);
    const reviewed = new Set(data.reviews.filter((review) => review.authorId === customer.id).map((review) => review.productId));
    const unreviewed = data.products.filter((product) => !reviewed.has(product.id));
    tokens.vendor = await platform.login('vendor1@demo.shop');
    context = {
      productId: data.products[1]!.id,
      vendorProductId: stock.productId,
      warehouseId: stock.warehouseId,
      categorySlug: data.categories[0]!.slug,
      unreviewedProductId: () => unreviewed.shift()!.id,
      refreshToken: async () => {
        const result = await platform.graphql<{ logIn: { refreshToken: string } }>(
          'mutation($input: LogInInput!) { logIn(input: $input) { refreshToken } }',
          { input: { email: 'customer4@demo.shop', password: 'demo-password' } },
        );
        return result.body.data!.logIn.refreshToken;
      },
    };
  });
  after(() => platform?.close());

  const all = manifests();
  it('has the committed manifests, with operations', () => {
    assert.deepEqual(all.map((manifest) => manifest.client).sort(), ['mobile', 'web']);
    for (const manifest of all) assert.ok(manifest.operations.length > 0, manifest.client);
  });

  for (const { client, operations } of all) {
    for (const operation of operations) {
      it(`${client}: ${operation.type} ${operation.name} runs by id without errors`, async () => {
        const fixture = OPERATIONS[operation.name];
        const variables = fixture ? fixture.variables(context) : {};
        if (operation.name === 'RefreshSession') variables.refreshToken = await context.refreshToken();
        const token = fixture && fixture.as !== 'anonymous' ? tokens[fixture.as] : undefined;
        const response = await fetch(platform.routerUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'apollographql-client-name': client,
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({
            operationName: operation.name,
            variables,
            extensions: { persistedQuery: { version: 1, sha256Hash: operation.id } },
          }),
        });
        const body = (await response.json()) as {
          data?: Record<string, unknown> | null;
          errors?: { message: string; extensions?: { code?: string } }[];
        };
        const codes = (body.errors ?? []).map((error) => error.extensions?.code);
        for (const code of ['PERSISTED_QUERY_NOT_FOUND', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']) {
          assert.ok(!codes.includes(code), `${operation.name}: ${JSON.stringify(body.errors)}`);
        }
        if (!fixture) return; // no variables known: parsing and validation are what we can check
        assert.equal(response.status, 200, JSON.stringify(body));
        assert.equal(body.errors, undefined, JSON.stringify(body.errors));
        assert.ok(body.data && Object.values(body.data).every((value) => value !== null), JSON.stringify(body.data));
        if (operation.type === 'mutation') {
          const [payload] = Object.entries(body.data)
            .filter(([key]) => key !== '__typename')
            .map(([, value]) => value as { userErrors?: unknown[] });
          assert.deepEqual(payload?.userErrors, [], JSON.stringify(payload));
        }
      });
    }
  }
});
