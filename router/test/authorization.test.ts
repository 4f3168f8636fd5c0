import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { prepareSupergraph } from '../src/policies/authorization/directives.js';
import { postQuery, startIssuer, startStubSubgraph, startTestRouter, type Issuer, type Reply, type StubSubgraph, type TestRouter } from './support.js';

const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])';

// "catalog" so that the router's product-vendor lookup (vendor_owns_product) asks this stub.
const CATALOG_SDL = `${LINK}
type Query {
  open: String!
  secret: String @authenticated
  scoped: String @requiresScopes(scopes: [["a:read", "b:read"], ["admin"]])
  products: [Product!]!
  product(id: ID!): Product
  vault: Vault
  strict: Strict
  strictList: [Strict!]
}
type Mutation {
  renameProduct(input: RenameInput!): Product @policy(policies: [["vendor_owns_product"]])
}
input RenameInput { productId: ID! name: String! }
type Product @key(fields: "id") { id: ID! name: String! vendor: Vendor! stock: Stock! }
type Vendor @key(fields: "id") { id: ID! }
type Stock { available: Int! reserved: Int @policy(policies: [["vendor_owns_product"]]) }
type Vault @authenticated { code: String! }
type Strict { inner: Inner! }
type Inner { hidden: String! @authenticated visible: String! }`;

const IDENTITY_SDL = `${LINK}
type Query { users: [User!]! }
type User @key(fields: "id") { id: ID! name: String! email: String @policy(policies: [["self_or_admin"]]) }`;

const PRODUCTS = [
  { id: 'p1', name: 'Tent', vendor: { id: 'v1' }, stock: { available: 3, reserved: 1 } },
  { id: 'p2', name: 'Kettle', vendor: { id: 'v2' }, stock: { available: 5, reserved: 2 } },
];
const USERS = [
  { id: 'u1', name: 'Ann', email: 'ann@example.com' },
  { id: 'u2', name: 'Bob', email: 'bob@example.com' },
];

type Claims = { sub: string; role: string; vendor?: string; scope?: string };
const customer: Claims = { sub: 'u1', role: 'customer', scope: 'a:read' };
const scoped: Claims = { sub: 'u2', role: 'customer', scope: 'a:read b:read' };
const vendor1: Claims = { sub: 'u3', role: 'vendor_staff', vendor: 'v1', scope: 'inventory:read' };
const admin: Claims = { sub: 'u9', role: 'admin', scope: 'admin' };

const codes = (reply: Reply) => (reply.body.errors ?? []).map((error) => [error.extensions?.code, (error.path ?? []).join('.')]);
const unauthorized = (...paths: string[]) => paths.map((path) => ['UNAUTHORIZED_FIELD_OR_TYPE', path]);

describe('field-level authorization (@authenticated, @requiresScopes, @policy)', () => {
  let issuer: Issuer;
  let catalog: StubSubgraph;
  let identity: StubSubgraph;
  let filter: TestRouter;
  let reject: TestRouter;
  let renames = 0;

  const ask = (query: string, claims?: Claims, variables?: Record<string, unknown>, via = filter) =>
    (claims ? issuer.sign(claims) : Promise.resolve(undefined)).then((token) => postQuery(via.router.url, query, { token, variables }));
  const catalogAsked = () => catalog.received.filter((query) => !query.includes('ProductVendors'));

  before(async () => {
    issuer = await startIssuer();
    catalog = await startStubSubgraph('catalog', CATALOG_SDL, {
      Query: {
        open: () => 'open',
        secret: () => 'secret',
        scoped: () => 'scoped',
        products: () => PRODUCTS,
        product: (_: unknown, { id }: { id: string }) => PRODUCTS.find((product) => product.id === id) ?? null,
        vault: () => ({ code: '1234' }),
        strict: () => ({ inner: { hidden: 'h', visible: 'v' } }),
        strictList: () => [{ inner: { hidden: 'h', visible: 'v' } }],
      },
      Mutation: {
        renameProduct: (_: unknown, { input }: { input: { productId: string } }) => {
          renames += 1;
          return PRODUCTS.find((product) => product.id === input.productId) ?? null;
        },
      },
      Product: { __resolveReference: (ref: { id: string }) => PRODUCTS.find((product) => product.id === ref.id) ?? null },
    });
    identity = await startStubSubgraph('identity', IDENTITY_SDL, {
      Query: { users: () => USERS },
      User: { __resolveReference: (ref: { id: string }) => USERS.find((user) => user.id === ref.id) ?? null },
    });
    filter = await startTestRouter([catalog, identity], issuer);
    reject = await startTestRouter([catalog, identity], issuer, { authorizationMode: 'reject' });
  });

  after(async () => {
    await filter?.stop();
    await reject?.stop();
    await catalog?.stop();
    await identity?.stop();
    await issuer?.stop();
  });

  beforeEach(() => {
    catalog.received.length = 0;
    identity.received.length = 0;
  });

  test('the directives are taken out of the SDL the gateway gets, and kept as rules', async () => {
    const { composeServices } = await import('@apollo/composition');
    const { parse } = await import('graphql');
    const composed = composeServices([
      { name: 'catalog', url: 'http://catalog.invalid', typeDefs: parse(CATALOG_SDL) },
      { name: 'identity', url: 'http://identity.invalid', typeDefs: parse(IDENTITY_SDL) },
    ]);
    const { gatewaySdl, rules } = prepareSupergraph(composed.supergraphSdl!);
    assert.ok(composed.supergraphSdl!.includes('for: SECURITY'));
    assert.doesNotMatch(gatewaySdl, /@authenticated|@requiresScopes|@policy|for: SECURITY|policy__Policy/);
    assert.deepEqual(rules.fields.get('Query.scoped')?.scopes, [[['a:read', 'b:read'], ['admin']]]);
    assert.deepEqual(rules.fields.get('User.email')?.policies, [[['self_or_admin']]]);
    assert.equal(rules.types.get('Vault')?.authenticated, true);
  });

  test('@authenticated: anonymous gets null and an error, the rest runs, the subgraph is never asked for it', async () => {
    const anonymous = await ask('{ open secret }');
    assert.equal(anonymous.status, 200);
    assert.deepEqual(anonymous.body.data, { open: 'open', secret: null });
    assert.deepEqual(codes(anonymous), unauthorized('secret'));
    assert.equal(catalogAsked().length, 1);
    assert.doesNotMatch(catalogAsked()[0]!, /secret/);

    const signedIn = await ask('{ open secret }', customer);
    assert.deepEqual(signedIn.body, { data: { open: 'open', secret: 'secret' } });
  });

  test('an operation whose every field is refused calls no subgraph at all', async () => {
    const reply = await ask('{ secret vault { code } }');
    assert.deepEqual(reply.body.data, { secret: null, vault: null });
    assert.deepEqual(codes(reply), unauthorized('secret', 'vault'));
    assert.equal(catalog.received.length + identity.received.length, 0);
  });

  test('@requiresScopes: one complete group of scopes is needed', async () => {
    assert.deepEqual(codes(await ask('{ scoped }', customer)), unauthorized('scoped')); // a:read only
    assert.deepEqual((await ask('{ scoped }', scoped)).body, { data: { scoped: 'scoped' } }); // a:read and b:read
    assert.deepEqual((await ask('{ scoped }', admin)).body, { data: { scoped: 'scoped' } }); // the other group
  });

  test('a type with @authenticated guards every field that returns it', async () => {
    assert.deepEqual(codes(await ask('{ vault { code } }')), unauthorized('vault'));
    assert.deepEqual((await ask('{ vault { code } }', customer)).body, { data: { vault: { code: '1234' } } });
  });

  test('a refused non-null field nulls its nearest nullable parent, as execution would', async () => {
    const single = await ask('{ strict { inner { hidden visible } } open }');
    assert.deepEqual(single.body.data, { strict: null, open: 'open' });
    assert.deepEqual(codes(single), unauthorized('strict.inner.hidden'));
    const list = await ask('{ strictList { inner { hidden } } }');
    assert.deepEqual(list.body.data, { strictList: null }); // [Strict!]: a null item nulls the list
    assert.deepEqual(codes(list), unauthorized('strictList.@.inner.hidden'));
  });

  test('fragments and aliases are followed; a refused field is reported at each path it is selected', async () => {
    const reply = await ask('{ a: vault { ...V } b: vault { ...V } } fragment V on Vault { code }');
    assert.deepEqual(reply.body.data, { a: null, b: null });
    assert.deepEqual(codes(reply), unauthorized('a', 'b'));
  });

  test('@policy self_or_admin: each user sees only their own email, admins see all', async () => {
    const asAnn = await ask('{ users { id email } }', customer);
    assert.deepEqual(asAnn.body.data, { users: [{ id: 'u1', email: 'ann@example.com' }, { id: 'u2', email: null }] });
    assert.deepEqual(codes(asAnn), unauthorized('users.1.email'));
    // The key the policy needed was added by the router and is not in the answer.
    const withoutId = await ask('{ users { name email } }', customer);
    assert.deepEqual(withoutId.body.data, { users: [{ name: 'Ann', email: 'ann@example.com' }, { name: 'Bob', email: null }] });
    const asAdmin = await ask('{ users { email } }', admin);
    assert.deepEqual(asAdmin.body, { data: { users: [{ email: 'ann@example.com' }, { email: 'bob@example.com' }] } });
    // Anonymous: decided before the fetch, so identity is not even asked for emails.
    const anonymous = await ask('{ users { name email } }');
    assert.deepEqual(codes(anonymous), unauthorized('users.@.email'));
    assert.doesNotMatch(identity.received.at(-1)!, /email/);
  });

  test('@policy vendor_owns_product: a vendor sees its own products\' reserved stock only', async () => {
    const reply = await ask('{ products { name stock { available reserved } } }', vendor1);
    assert.deepEqual(reply.body.data, {
      products: [
        { name: 'Tent', stock: { available: 3, reserved: 1 } },
        { name: 'Kettle', stock: { available: 5, reserved: null } },
      ],
    });
    assert.deepEqual(codes(reply), unauthorized('products.1.stock.reserved'));
    const customerReply = await ask('{ products { stock { reserved } } }', customer);
    assert.deepEqual(codes(customerReply), unauthorized('products.@.stock.reserved'));
    assert.doesNotMatch(catalogAsked().at(-1)!, /reserved/);
  });

  test('@policy on a mutation is decided from its arguments before it runs', async () => {
    const mutation = 'mutation($id: ID!) { renameProduct(input: {productId: $id, name: "x"}) { name } }';
    const own = await ask(mutation, vendor1, { id: 'p1' });
    assert.deepEqual(own.body, { data: { renameProduct: { name: 'Tent' } } });
    const before = renames;
    const foreign = await ask(mutation, vendor1, { id: 'p2' });
    assert.deepEqual(foreign.body.data, { renameProduct: null });
    assert.deepEqual(codes(foreign), unauthorized('renameProduct'));
    const anonymous = await ask(mutation, undefined, { id: 'p1' });
    assert.deepEqual(codes(anonymous), unauthorized('renameProduct'));
    assert.equal(renames, before, 'the refused mutations never ran');
  });

  test('reject mode refuses the whole operation with 403 before any subgraph is called', async () => {
    const reply = await ask('{ open secret }', undefined, undefined, reject);
    assert.equal(reply.status, 403);
    assert.equal(reply.body.data, undefined);
    assert.deepEqual(codes(reply), unauthorized('secret'));
    assert.equal(catalog.received.length, 0);
    const allowed = await ask('{ open secret }', customer, undefined, reject);
    assert.deepEqual(allowed.body, { data: { open: 'open', secret: 'secret' } });
  });

  test('different principals never share a rewritten query plan', async () => {
    const query = '{ open secret }';
    for (let round = 0; round < 2; round += 1) {
      assert.deepEqual((await ask(query, customer)).body.data, { open: 'open', secret: 'secret' });
      assert.deepEqual((await ask(query)).body.data, { open: 'open', secret: null });
    }
  });
});
