import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { STOCK_CHANGED_TOPIC } from '@commerce/inventory';
import { demoData, REPO_ROOT, waitFor } from '@commerce/kit';
import { Kind, parse, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestPlatform, type GraphQLResponse, type TestPlatform } from '../src/testing.js';

/**
 * Stock figures through the router as each role sees them: a vendor never reads another vendor's figures,
 * whatever aliases it writes (over HTTP and the stockChanged subscription); the client apps' operations come
 * back shaped as they asked, `__typename` included; and a refusal says to sign in only to anonymous callers.
 */

/** Aliases equal to names the router uses (or used) for the fields it adds for itself. */
const INTERNAL_ALIASES = ['authz__id', 'authz__typename', '__authz_key_id', '__authz_typename', '__authz1_key_id'];
const STOCK = 'stock { reserved onHand warehouses { warehouse { code } onHand reserved } }';
const SIGN_IN = 'Unauthorized field or type: sign in to see this field';
const GENERIC = 'Unauthorized field or type';

type Errors = NonNullable<GraphQLResponse<unknown>['body']['errors']>;
type Stock = { reserved: number | null; onHand: number | null; warehouses: { onHand: number | null }[] | null };
const refusals = (errors: Errors | undefined) => (errors ?? []).map((error) => [error.extensions?.code, error.path?.join('.')]);

interface ManifestOperation {
  id: string;
  name: string;
  body: string;
}

function manifestOperation(client: string, name: string): ManifestOperation {
  const file = join(REPO_ROOT, 'schema', 'persisted-queries', `${client}.json`);
  const { operations } = JSON.parse(readFileSync(file, 'utf8')) as { operations: ManifestOperation[] };
  return operations.find((operation) => operation.name === name)!;
}

/**
 * Where `data` differs from the shape the selection asks for: each object must have exactly the selected
 * response keys, in the selected order (`__typename` included). Returns the paths that differ.
 */
function shapeDifferences(selectionSet: SelectionSetNode, value: unknown, path: string[] = []): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((item, index) => shapeDifferences(selectionSet, item, [...path, String(index)]));
  const object = value as Record<string, unknown>;
  const fields = selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection] : []));
  const keys = fields.map((field) => field.alias?.value ?? field.name.value);
  const here =
    JSON.stringify(Object.keys(object)) === JSON.stringify(keys) ? [] : [`${path.join('.') || '(root)'}: ${Object.keys(object).join(',')}`];
  const typename = fields.some(
    (field) => field.name.value === '__typename' && typeof object[field.alias?.value ?? '__typename'] !== 'string',
  );
  return [
    ...here,
    ...(typename ? [`${path.join('.')}: no __typename`] : []),
    ...fields.flatMap((field) =>
      field.selectionSet
        ? shapeDifferences(field.selectionSet, object[field.alias?.value ?? field.name.value], [...path, field.name.value])
        : [],
    ),
  ];
}

describe(`stock authorization through the router (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  const tokens: Record<'vendor' | 'customer' | 'admin', string> = { vendor: '', customer: '', admin: '' };
  const clients: Client[] = [];
  const data = demoData();
  const vendor1 = data.vendors[0]!.id;
  const contoso = data.vendors.find((vendor) => vendor.name.startsWith('Contoso'))!;
  const own = data.stock.find((row) => row.vendorId === vendor1 && row.onHand > 5)!;
  const foreign = data.stock.find((row) => row.vendorId === contoso.id && row.onHand > 5)!;
  const foreignProduct = data.products.find((product) => product.id === foreign.productId)!;
  const listening = () => platform.subgraphs.inventory!.pubsub.subscriberCount(STOCK_CHANGED_TOPIC);

  before(async () => {
    platform = await startTestPlatform();
    tokens.vendor = await platform.login('vendor1@demo.shop');
    tokens.customer = await platform.login('customer1@demo.shop');
    tokens.admin = await platform.login('admin@demo.shop');
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await platform?.close();
  });

  const persisted = async (client: string, name: string, variables: Record<string, unknown>, token: string) => {
    const operation = manifestOperation(client, name);
    const response = await fetch(platform.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'apollographql-client-name': client, authorization: `Bearer ${token}` },
      body: JSON.stringify({ operationName: name, variables, extensions: { persistedQuery: { version: 1, sha256Hash: operation.id } } }),
    });
    const body = (await response.json()) as GraphQLResponse<Record<string, unknown>>['body'];
    const document = parse(operation.body).definitions[0] as OperationDefinitionNode;
    return { body, differences: shapeDifferences(document.selectionSet, body.data) };
  };

  it("a vendor never reads another vendor's stock through an alias equal to the router's own names (one product)", async () => {
    for (const alias of INTERNAL_ALIASES) {
      const query = `query($id: ID!) { product(id: $id) { ${alias}: name ${STOCK} } }`;
      const stolen = await platform.graphql<{ product: { stock: Stock } & Record<string, unknown> }>(
        query,
        { id: foreign.productId },
        { token: tokens.vendor },
      );
      assert.deepEqual(stolen.body.data!.product.stock, { reserved: null, onHand: null, warehouses: null }, alias);
      assert.equal(stolen.body.data!.product[alias], foreignProduct.name, alias);
      assert.deepEqual(
        refusals(stolen.body.errors).sort(),
        [
          ['UNAUTHORIZED_FIELD_OR_TYPE', 'product.stock.onHand'],
          ['UNAUTHORIZED_FIELD_OR_TYPE', 'product.stock.reserved'],
          ['UNAUTHORIZED_FIELD_OR_TYPE', 'product.stock.warehouses'],
        ],
        alias,
      );
      const mine = await platform.graphql<{ product: { stock: Stock } }>(query, { id: own.productId }, { token: tokens.vendor });
      assert.equal(mine.body.errors, undefined, alias);
      assert.equal(typeof mine.body.data!.product.stock.onHand, 'number', alias);
    }
  });

  it("a vendor never reads another vendor's stock through such an alias in bulk (products(filter: { vendorId }))", async () => {
    for (const alias of INTERNAL_ALIASES) {
      const result = await platform.graphql<{ products: { edges: { node: { stock: Stock } }[] } }>(
        `query($vendorId: ID!) { products(first: 5, filter: { vendorId: $vendorId }) { edges { node { ${alias}: name ${STOCK} } } } }`,
        { vendorId: contoso.id },
        { token: tokens.vendor },
      );
      const stocks = result.body.data!.products.edges.map((edge) => edge.node.stock);
      assert.equal(stocks.length, 5);
      for (const stock of stocks) assert.deepEqual(stock, { reserved: null, onHand: null, warehouses: null }, alias);
      assert.equal(result.body.errors?.length, 15, alias);
    }
  });

  it("a vendor never reads another vendor's stock through such an alias on stockChanged", async () => {
    const client = createClient({
      url: platform.routerUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${tokens.vendor}` },
      retryAttempts: 0,
    });
    clients.push(client);
    for (const alias of INTERNAL_ALIASES) {
      const events = client.iterate<{ stockChanged: { product: { stock: Stock } & Record<string, unknown> } }>({
        query: `subscription($id: ID!) { stockChanged(productId: $id) { available product { ${alias}: name ${STOCK} } } }`,
        variables: { id: foreign.productId },
      });
      const next = events.next();
      await waitFor('the upstream subscription', () => listening() === 1);
      const adjusted = await platform.graphql<{ adjustStock: { userErrors: unknown[] } }>(
        'mutation($input: AdjustStockInput!) { adjustStock(input: $input) { userErrors { code } } }',
        { input: { productId: foreign.productId, warehouseId: foreign.warehouseId, delta: 1, reason: 'delivery' } },
        { token: tokens.admin },
      );
      assert.deepEqual(adjusted.body.data!.adjustStock.userErrors, []);
      const event = (await next).value!;
      assert.deepEqual(event.data!.stockChanged.product.stock, { reserved: null, onHand: null, warehouses: null }, alias);
      assert.equal(event.data!.stockChanged.product[alias], foreignProduct.name, alias);
      assert.equal(event.errors?.length, 3, alias);
      await events.return?.();
      await waitFor('the upstream released', () => listening() === 0);
    }
  });

  it('the web and mobile Me, VendorStock and AdjustStock operations come back as asked, __typename at every level', async () => {
    const runs = [
      await persisted('web', 'Me', {}, tokens.customer),
      await persisted('mobile', 'Me', {}, tokens.customer),
      await persisted('web', 'Me', {}, tokens.vendor),
      await persisted('web', 'VendorStock', { productId: own.productId }, tokens.vendor),
      await persisted(
        'web',
        'AdjustStock',
        { input: { productId: own.productId, warehouseId: own.warehouseId, delta: 1, reason: 'delivery' } },
        tokens.vendor,
      ),
    ];
    for (const { body, differences } of runs) {
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      assert.deepEqual(differences, [], JSON.stringify(body.data));
    }
    const me = runs[0]!.body.data as { __typename: string; me: { __typename: string; email: string } };
    assert.equal(me.__typename, 'Query');
    assert.equal(me.me.__typename, 'User');
    assert.equal(me.me.email, 'customer1@demo.shop');
    // Another vendor's product: the figures are refused, the shape (and __typename) stays.
    const foreignStock = await persisted('web', 'VendorStock', { productId: foreign.productId }, tokens.vendor);
    assert.deepEqual(foreignStock.differences, [], JSON.stringify(foreignStock.body.data));
    assert.deepEqual(
      refusals(foreignStock.body.errors)
        .map(([, path]) => path)
        .sort(),
      ['product.stock.onHand', 'product.stock.reserved', 'product.stock.warehouses'],
    );
  });

  it('a refusal tells an anonymous caller to sign in, and a signed-in one only that it is refused', async () => {
    const messages = (errors: Errors | undefined) => (errors ?? []).map((error) => [error.extensions?.code, error.message]);
    const query = `query($id: ID!) { product(id: $id) { ${STOCK} } }`;
    const anonymous = await platform.graphql(query, { id: foreign.productId });
    assert.deepEqual(new Set(messages(anonymous.body.errors).map(String)), new Set([['UNAUTHORIZED_FIELD_OR_TYPE', SIGN_IN].join()]));
    for (const token of [tokens.vendor, tokens.customer]) {
      const refused = await platform.graphql(query, { id: foreign.productId }, { token });
      assert.deepEqual(new Set(messages(refused.body.errors).map(String)), new Set([['UNAUTHORIZED_FIELD_OR_TYPE', GENERIC].join()]));
      assert.ok(!JSON.stringify(refused.body.errors).includes(contoso.id) && !/contoso/i.test(JSON.stringify(refused.body.errors)));
    }
    const warehouses = await platform.graphql('{ warehouses { code } }');
    assert.deepEqual(messages(warehouses.body.errors), [['UNAUTHORIZED_FIELD_OR_TYPE', SIGN_IN]]);
    const customer = await platform.graphql('{ warehouses { code } }', {}, { token: tokens.customer });
    assert.deepEqual(messages(customer.body.errors), [['UNAUTHORIZED_FIELD_OR_TYPE', GENERIC]]);
  });
});
