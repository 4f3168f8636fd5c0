import assert from 'node:assert/strict';
import { EventEmitter, on } from 'node:events';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { buildSchema, getOperationAST, parse, print } from 'graphql';
import { emptyRules, prepareSupergraph } from '../src/policies/authorization/directives.js';
import { planAuthorization } from '../src/policies/authorization/plan.js';
import { POLICIES, type EntityLookups } from '../src/policies/authorization/policies.js';
import { applyPlan, SIGN_IN_MESSAGE, UNAUTHORIZED_MESSAGE } from '../src/policies/authorization/response.js';
import {
  postQuery,
  startIssuer,
  startStubSubgraph,
  startTestRouter,
  type Issuer,
  type Reply,
  type StubSubgraph,
  type TestRouter,
} from './support.js';
import { waitFor } from '@commerce/kit';

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
  "A product that _entities does not know: its key is not a known product."
  ghost: Product
  search: [SearchResult!]!
  vault: Vault
  strict: Strict
  strictList: [Strict!]
}
type Mutation {
  renameProduct(input: RenameInput!): Product @policy(policies: [["vendor_owns_product"]])
}
input RenameInput { productId: ID! name: String! }
type Subscription { stockChanged(productId: ID!): StockChange! }
type StockChange { product: Product! available: Int! }
union SearchResult = Product | Vendor
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
const GHOST = { id: 'ghost', name: 'Ghost', vendor: { id: 'v1' }, stock: { available: 7, reserved: 4 } };
/** Stock changes the stub's `stockChanged` publishes: event name productId, argument available. */
const changes = new EventEmitter();
const USERS = [
  { id: 'u1', name: 'Ann', email: 'ann@example.com' },
  { id: 'u2', name: 'Bob', email: 'bob@example.com' },
];

type Claims = { sub: string; role: string; vendor?: string; scope?: string };
const customer: Claims = { sub: 'u1', role: 'customer', scope: 'a:read' };
const scoped: Claims = { sub: 'u2', role: 'customer', scope: 'a:read b:read' };
const vendor1: Claims = { sub: 'u3', role: 'vendor_staff', vendor: 'v1', scope: 'inventory:read' };
const admin: Claims = { sub: 'u9', role: 'admin', scope: 'admin' };

/**
 * Client aliases equal to a name the router uses (or used) for its own fields: the key and typename the
 * router adds (`__authz_key_id`, `__authz_typename`, and the next prefix, `__authz1_`, chosen when a client
 * alias starts with the first), and the old `authz__` names.
 */
const INTERNAL_ALIASES = [
  'authz__id',
  'authz__typename',
  '__authz_key_id',
  '__authz_typename',
  '__authz1_key_id',
  '__authz1_typename',
  '__authz_',
];

const codes = (reply: Reply) => (reply.body.errors ?? []).map((error) => [error.extensions?.code, (error.path ?? []).join('.')]);
const unauthorized = (...paths: string[]) => paths.map((path) => ['UNAUTHORIZED_FIELD_OR_TYPE', path]);

describe('field-level authorization (@authenticated, @requiresScopes, @policy)', () => {
  let issuer: Issuer;
  let catalog: StubSubgraph;
  let identity: StubSubgraph;
  let filter: TestRouter;
  let reject: TestRouter;
  let renames = 0;
  const clients: Client[] = [];

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
        ghost: () => GHOST,
        search: () => [...PRODUCTS, { id: 'v1' }],
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
      Subscription: {
        stockChanged: {
          // `on` ends at once when the subscriber leaves (an async generator would wait for the next event).
          subscribe: (_: unknown, { productId }: { productId: string }) => {
            const events = on(changes, productId) as AsyncIterableIterator<[number]>;
            const product = PRODUCTS.find((each) => each.id === productId);
            const iterator: AsyncIterableIterator<unknown> = {
              next: async () => {
                const event = await events.next();
                return event.done ? event : { done: false, value: { stockChanged: { product, available: event.value[0] } } };
              },
              return: () => events.return!(),
              [Symbol.asyncIterator]: () => iterator,
            };
            return iterator;
          },
        },
      },
      SearchResult: { __resolveType: (value: { name?: string }) => (value.name ? 'Product' : 'Vendor') },
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
    await Promise.all(clients.map((client) => client.dispose()));
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
    assert.deepEqual(asAnn.body.data, {
      users: [
        { id: 'u1', email: 'ann@example.com' },
        { id: 'u2', email: null },
      ],
    });
    assert.deepEqual(codes(asAnn), unauthorized('users.1.email'));
    // The key the policy needed was added by the router and is not in the answer.
    const withoutId = await ask('{ users { name email } }', customer);
    assert.deepEqual(withoutId.body.data, {
      users: [
        { name: 'Ann', email: 'ann@example.com' },
        { name: 'Bob', email: null },
      ],
    });
    const asAdmin = await ask('{ users { email } }', admin);
    assert.deepEqual(asAdmin.body, { data: { users: [{ email: 'ann@example.com' }, { email: 'bob@example.com' }] } });
    // Anonymous: decided before the fetch, so identity is not even asked for emails.
    const anonymous = await ask('{ users { name email } }');
    assert.deepEqual(codes(anonymous), unauthorized('users.@.email'));
    assert.doesNotMatch(identity.received.at(-1)!, /email/);
  });

  test("@policy vendor_owns_product: a vendor sees its own products' reserved stock only", async () => {
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

  test('a client alias equal to an internal name is answered as asked and never stands in for an entity key (HTTP)', async () => {
    for (const alias of INTERNAL_ALIASES) {
      const foreign = await ask(`{ product(id: "p2") { ${alias}: name stock { available reserved } } }`, vendor1);
      assert.deepEqual(foreign.body.data, { product: { [alias]: 'Kettle', stock: { available: 5, reserved: null } } }, alias);
      assert.deepEqual(codes(foreign), unauthorized('product.stock.reserved'), alias);
      const own = await ask(`{ product(id: "p1") { ${alias}: name stock { reserved } } }`, vendor1);
      assert.deepEqual(own.body, { data: { product: { [alias]: 'Tent', stock: { reserved: 1 } } } }, alias);
      const bulk = await ask(`{ products { ${alias}: name stock { reserved } } }`, vendor1);
      assert.deepEqual(
        bulk.body.data,
        {
          products: [
            { [alias]: 'Tent', stock: { reserved: 1 } },
            { [alias]: 'Kettle', stock: { reserved: null } },
          ],
        },
        alias,
      );
      assert.deepEqual(codes(bulk), unauthorized('products.1.stock.reserved'), alias);
      // Under a union the router reads the concrete type from its own __typename: a client alias must not replace it.
      const union = await ask(`{ search { ... on Product { ${alias}: name stock { reserved } } ... on Vendor { id } } }`, vendor1);
      assert.deepEqual(
        union.body.data,
        { search: [{ [alias]: 'Tent', stock: { reserved: 1 } }, { [alias]: 'Kettle', stock: { reserved: null } }, { id: 'v1' }] },
        alias,
      );
      assert.deepEqual(codes(union), unauthorized('search.1.stock.reserved'), alias);
    }
    const several = await ask(
      '{ products { __authz_key_id: name __authz1_key_id: name __authz1_typename: id stock { reserved } } }',
      vendor1,
    );
    assert.deepEqual(several.body.data, {
      products: [
        { __authz_key_id: 'Tent', __authz1_key_id: 'Tent', __authz1_typename: 'p1', stock: { reserved: 1 } },
        { __authz_key_id: 'Kettle', __authz1_key_id: 'Kettle', __authz1_typename: 'p2', stock: { reserved: null } },
      ],
    });
  });

  test('a client alias equal to an internal name never stands in for an entity key (subscription)', async () => {
    const token = await issuer.sign(vendor1);
    const client = createClient({
      url: filter.router.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    clients.push(client);
    for (const alias of INTERNAL_ALIASES) {
      const events = (['p1', 'p2'] as const).map((id) =>
        client.iterate({
          query: `subscription { stockChanged(productId: "${id}") { available product { ${alias}: name stock { reserved } } } }`,
        }),
      );
      const next = events.map((iterator) => iterator.next());
      await waitFor('both subscribed upstream', () => changes.listenerCount('p1') === 1 && changes.listenerCount('p2') === 1);
      changes.emit('p1', 8);
      changes.emit('p2', 9);
      const [own, foreign] = await Promise.all(next);
      assert.deepEqual(
        own!.value,
        { data: { stockChanged: { available: 8, product: { [alias]: 'Tent', stock: { reserved: 1 } } } } },
        alias,
      );
      assert.deepEqual(
        foreign!.value,
        {
          data: { stockChanged: { available: 9, product: { [alias]: 'Kettle', stock: { reserved: null } } } },
          errors: [
            {
              message: UNAUTHORIZED_MESSAGE,
              path: ['stockChanged', 'product', 'stock', 'reserved'],
              extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
            },
          ],
        },
        alias,
      );
      await Promise.all(events.map((iterator) => iterator.return?.()));
      await waitFor('released upstream', () => changes.listenerCount('p1') + changes.listenerCount('p2') === 0);
    }
  });

  test('vendor_owns_product denies an object whose key is not a known product, and an unknown product on a mutation', async () => {
    const reply = await ask('{ ghost { name stock { available reserved } } }', vendor1);
    assert.deepEqual(reply.body.data, { ghost: { name: 'Ghost', stock: { available: 7, reserved: null } } });
    assert.deepEqual(codes(reply), unauthorized('ghost.stock.reserved'));
    assert.deepEqual((await ask('{ ghost { stock { reserved } } }', admin)).body, { data: { ghost: { stock: { reserved: 4 } } } });
    const before = renames;
    const unknown = await ask('mutation { renameProduct(input: {productId: "nope", name: "x"}) { name } }', vendor1);
    assert.deepEqual(codes(unknown), unauthorized('renameProduct'));
    assert.equal(renames, before, 'the refused mutation never ran');
  });

  test('__typename comes back wherever the client asked for it, aliased or in fragments, when fields are filtered', async () => {
    const reply = await ask(
      'query Me { __typename users { __typename id t: __typename ...U } } fragment U on User { email __typename }',
      customer,
    );
    assert.equal(
      JSON.stringify(reply.body.data),
      JSON.stringify({
        __typename: 'Query',
        users: [
          { __typename: 'User', id: 'u1', t: 'User', email: 'ann@example.com' },
          { __typename: 'User', id: 'u2', t: 'User', email: null },
        ],
      }),
    );
    assert.deepEqual(codes(reply), unauthorized('users.1.email'));
    const union = await ask(
      '{ search { __typename ... on Product { name stock { __typename reserved } } ... on Vendor { id } } }',
      vendor1,
    );
    assert.equal(
      JSON.stringify(union.body.data),
      JSON.stringify({
        search: [
          { __typename: 'Product', name: 'Tent', stock: { __typename: 'Stock', reserved: 1 } },
          { __typename: 'Product', name: 'Kettle', stock: { __typename: 'Stock', reserved: null } },
          { __typename: 'Vendor', id: 'v1' },
        ],
      }),
    );
    const onlyTypename = await ask('{ vault { __typename code } strict { __typename inner { __typename hidden } } }');
    assert.equal(JSON.stringify(onlyTypename.body.data), JSON.stringify({ vault: null, strict: null }));
  });

  test("the answer keeps the client's field order, refused fields in their place", async () => {
    const reply = await ask('{ secret open vault { code } scoped }');
    assert.equal(JSON.stringify(reply.body.data), JSON.stringify({ secret: null, open: 'open', vault: null, scoped: null }));
    const nested = await ask('{ products { stock { reserved available } name } }', vendor1);
    assert.equal(
      JSON.stringify(nested.body.data),
      JSON.stringify({
        products: [
          { stock: { reserved: 1, available: 3 }, name: 'Tent' },
          { stock: { reserved: null, available: 5 }, name: 'Kettle' },
        ],
      }),
    );
  });

  test('the refusal tells an anonymous caller to sign in, and anyone else nothing about whose entity it is', async () => {
    const messages = (reply: Reply) => (reply.body.errors ?? []).map((error) => [error.extensions?.code, error.message]);
    assert.deepEqual(messages(await ask('{ open secret }')), [['UNAUTHORIZED_FIELD_OR_TYPE', SIGN_IN_MESSAGE]]);
    assert.equal(SIGN_IN_MESSAGE, 'Unauthorized field or type: sign in to see this field');
    assert.deepEqual(messages(await ask('{ products { stock { reserved } } }')), [['UNAUTHORIZED_FIELD_OR_TYPE', SIGN_IN_MESSAGE]]);
    assert.deepEqual(messages(await ask('{ open secret }', undefined, undefined, reject)), [
      ['UNAUTHORIZED_FIELD_OR_TYPE', SIGN_IN_MESSAGE],
    ]);
    const generic = [['UNAUTHORIZED_FIELD_OR_TYPE', 'Unauthorized field or type']];
    assert.deepEqual(messages(await ask('{ scoped }', customer)), generic); // a scope missing
    assert.deepEqual(messages(await ask('{ product(id: "p2") { stock { reserved } } }', vendor1)), generic); // another vendor's product
    assert.deepEqual(messages(await ask('{ products { stock { reserved } } }', customer)), generic); // a role that never may
    const mutation = await ask('mutation { renameProduct(input: {productId: "p2", name: "x"}) { name } }', vendor1);
    assert.deepEqual(messages(mutation), generic);
    assert.doesNotMatch(JSON.stringify(mutation.body), /v2|vendor/i);
  });
});

describe('authorization plan: entity keys the router reads back', () => {
  const schema = buildSchema(`
    type Query { product(id: ID!): Product }
    type Product { id: ID! name: String! related: Product stock: Stock! }
    type Stock { reserved: Int }
  `);
  const rules = emptyRules();
  rules.fields.set('Stock.reserved', { authenticated: false, scopes: [], policies: [[['vendor_owns_product']]] });
  rules.policyNames.add('vendor_owns_product');
  const lookups: EntityLookups = {
    productVendors: async (ids) => new Map(ids.map((id) => [id, ({ p1: 'v1', p2: 'v2' } as Record<string, string>)[id] ?? null])),
    orderBuyers: async () => new Map(),
  };
  const principal = { userId: 'u3', role: 'vendor_staff' as const, vendorId: 'v1', scopes: [] };
  const plan = async (query: string) => {
    const document = parse(query);
    return planAuthorization({
      schema,
      rules,
      policies: POLICIES,
      document,
      operation: getOperationAST(document)!,
      variables: {},
      principal,
      lookups,
    });
  };

  test("an object whose key is missing is denied, never decided with an outer object's key", async () => {
    const planned = await plan('{ product(id: "p1") { stock { reserved } related { stock { reserved } } } }');
    const key = planned.internal.key('id');
    assert.match(print(planned.document!), new RegExp(`related \\{\\s+stock \\{\\s+reserved\\s+\\}\\s+${key}: id`));
    // The inner product's key did not come back (say, a subgraph failed): its stock is not the outer product's.
    const data = { product: { stock: { reserved: 1 }, related: { stock: { reserved: 2 } }, [key]: 'p1' } };
    const applied = await applyPlan(planned, data, POLICIES, lookups);
    assert.deepEqual(applied.data, { product: { stock: { reserved: 1 }, related: { stock: { reserved: null } } } });
    assert.deepEqual(
      applied.errors.map((error) => error.path),
      [['product', 'related', 'stock', 'reserved']],
    );
  });

  test('the internal prefix is one no response key of the document starts with', async () => {
    assert.equal((await plan('{ product(id: "p1") { stock { reserved } } }')).internal.prefix, '__authz_');
    const taken = await plan('{ product(id: "p1") { __authz_x: name __authz1_key_id: id stock { reserved } } }');
    assert.equal(taken.internal.prefix, '__authz2_');
    assert.match(print(taken.document!), /__authz2_key_id: id/);
  });
});
