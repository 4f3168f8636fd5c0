import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger, SubscriberQueue, waitFor } from '@commerce/kit';
import { startIssuer, startStubSubgraph, startTestRouter, type Issuer, type StubSubgraph, type TestRouter } from './support.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated"])';
const INVENTORY_SDL = `${LINK}
type Query { ping: String }
type Subscription { stockChanged(productId: ID!): StockChange! }
type StockChange { product: Product! available: Int! at: String! }
type Product @key(fields: "id", resolvable: false) { id: ID! }`;
const CATALOG_SDL = `${LINK}
type Query { product(id: ID!): Product }
type Product @key(fields: "id") { id: ID! name: String! secret: String @authenticated }`;

const PRODUCTS: Record<string, { id: string; name: string; secret: string }> = {
  p1: { id: 'p1', name: 'Tent', secret: 's1' },
  p2: { id: 'p2', name: 'Kettle', secret: 's2' },
};

type Result = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
};

/** The inventory stub's side: who listens upstream, and a way to publish a change. */
class StockFeed {
  private readonly listeners = new Set<(event: { productId: string; available: number }) => void>();
  get active(): number {
    return this.listeners.size;
  }
  publish(productId: string, available: number): void {
    for (const listener of this.listeners) listener({ productId, available });
  }
  subscribe(productId: string): AsyncIterableIterator<unknown> {
    const listener = (event: { productId: string; available: number }) => {
      if (event.productId === productId) queue.push({ productId, available: event.available, at: new Date().toISOString() });
    };
    const queue: SubscriberQueue = new SubscriberQueue({
      topic: `stockChanged ${productId}`,
      capacity: 100,
      logger: createLogger('stock-feed', 'silent'),
      ready: Promise.resolve(),
      onEnd: () => this.listeners.delete(listener),
    });
    this.listeners.add(listener);
    return queue;
  }
}

/** A graphql-ws client subscription that collects what arrives. */
function subscribeOverWebSocket(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const received: Result[] = [];
  const state = { completed: false, error: undefined as unknown };
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (result) => void received.push(result as Result),
      error: (error) => {
        state.error = error;
        state.completed = true;
      },
      complete: () => {
        state.completed = true;
      },
    },
  );
  return { received, state, unsubscribe };
}

describe('federated subscriptions (graphql-ws and graphql-sse)', () => {
  let issuer: Issuer;
  let feed: StockFeed;
  let inventory: StubSubgraph;
  let catalog: StubSubgraph;
  let test_: TestRouter;
  let limited: TestRouter;
  const clients: Client[] = [];

  const inventoryResolvers = () => ({
    Query: { ping: () => 'pong' },
    Subscription: {
      stockChanged: {
        subscribe: (_: unknown, { productId }: { productId: string }) => feed.subscribe(productId),
        resolve: (event: { productId: string; available: number; at: string }) => ({
          product: { id: event.productId },
          available: event.available,
          at: event.at,
        }),
      },
    },
  });

  const connect = (router: TestRouter, connectionParams: Record<string, unknown> = {}) => {
    const client = createClient({
      url: router.router.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => {}, // refusals are asserted through the sinks
    });
    clients.push(client);
    return client;
  };

  before(async () => {
    issuer = await startIssuer();
    feed = new StockFeed();
    inventory = await startStubSubgraph('inventory', INVENTORY_SDL, inventoryResolvers());
    catalog = await startStubSubgraph('catalog', CATALOG_SDL, {
      Query: { product: (_: unknown, { id }: { id: string }) => PRODUCTS[id] ?? null },
      Product: { __resolveReference: (ref: { id: string }) => PRODUCTS[ref.id] ?? null },
    });
    test_ = await startTestRouter([inventory, catalog], issuer, {
      subscriptions: { upstream: { retryAttempts: 20 }, keepAliveMs: 1000 },
      limits: { maxAliases: 1 },
    });
    limited = await startTestRouter([inventory, catalog], issuer, {
      subscriptions: { limits: { perConnection: 2, perPrincipal: 3 } },
      demandControl: { maxCost: 1 },
    });
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await test_?.stop();
    await limited?.stop();
    await inventory?.stop();
    await catalog?.stop();
    await issuer?.stop();
  });

  test('a WebSocket subscriber gets each change with fields from another subgraph', async () => {
    const client = connect(test_);
    const sub = subscribeOverWebSocket(
      client,
      'subscription($id: ID!) { stockChanged(productId: $id) { available product { id name } } }',
      { id: 'p1' },
    );
    await waitFor('the upstream subscription', () => feed.active === 1);
    feed.publish('p2', 1); // another product: not delivered
    feed.publish('p1', 7);
    feed.publish('p1', 6);
    await waitFor('two events', () => sub.received.length === 2);
    assert.deepEqual(sub.received, [
      { data: { stockChanged: { available: 7, product: { id: 'p1', name: 'Tent' } } } },
      { data: { stockChanged: { available: 6, product: { id: 'p1', name: 'Tent' } } } },
    ]);
    assert.ok(
      catalog.received.some((query) => query.includes('_entities')),
      'the product name was fetched from catalog',
    );
    sub.unsubscribe();
    await waitFor('the upstream to be released', () => feed.active === 0);
  });

  test('identical subscriptions share one upstream, released when the last client leaves', async () => {
    const query = 'subscription { stockChanged(productId: "p1") { available } }';
    const first = subscribeOverWebSocket(connect(test_), query);
    const second = subscribeOverWebSocket(connect(test_), query);
    const other = subscribeOverWebSocket(connect(test_), 'subscription { stockChanged(productId: "p1") { at } }');
    await waitFor('three subscribers', () => test_.router.subscriptionStats().subscribers === 3);
    await waitFor('two upstreams (two distinct subgraph operations)', () => feed.active === 2);
    assert.equal(test_.router.subscriptionStats().upstreams, 2);
    feed.publish('p1', 5);
    await waitFor('fan-out', () => first.received.length === 1 && second.received.length === 1 && other.received.length === 1);
    assert.deepEqual(first.received[0], { data: { stockChanged: { available: 5 } } });
    first.unsubscribe();
    await waitFor('one subscriber fewer', () => test_.router.subscriptionStats().subscribers === 2);
    assert.equal(feed.active, 2, 'the shared upstream stays while a client needs it');
    second.unsubscribe();
    other.unsubscribe();
    await waitFor('every upstream released', () => feed.active === 0);
    assert.deepEqual(test_.router.subscriptionStats(), { subscribers: 0, upstreams: 0 });
  });

  test('closing the client connection releases the upstream', async () => {
    const client = connect(test_);
    subscribeOverWebSocket(client, 'subscription { stockChanged(productId: "p2") { available } }');
    await waitFor('the upstream', () => feed.active === 1);
    await client.dispose();
    await waitFor('the upstream to be released after the socket closed', () => feed.active === 0);
  });

  test('an unauthorized field comes back null with UNAUTHORIZED_FIELD_OR_TYPE in every event', async () => {
    const anonymous = subscribeOverWebSocket(
      connect(test_),
      'subscription { stockChanged(productId: "p1") { available product { name secret } } }',
    );
    const token = await issuer.sign({ sub: 'u1', role: 'customer' });
    const signedIn = subscribeOverWebSocket(
      connect(test_, { authorization: `Bearer ${token}` }),
      'subscription { stockChanged(productId: "p1") { available product { name secret } } }',
    );
    await waitFor('both subscribed', () => test_.router.subscriptionStats().subscribers === 2);
    await waitFor('one shared upstream: the primary fetch is the same for both', () => feed.active === 1);
    feed.publish('p1', 4);
    await waitFor('the event', () => anonymous.received.length === 1 && signedIn.received.length === 1);
    assert.deepEqual(anonymous.received[0], {
      data: { stockChanged: { available: 4, product: { name: 'Tent', secret: null } } },
      errors: [
        {
          message: 'Unauthorized field or type: sign in to see this field',
          path: ['stockChanged', 'product', 'secret'],
          extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
        },
      ],
    });
    assert.deepEqual(signedIn.received[0], { data: { stockChanged: { available: 4, product: { name: 'Tent', secret: 's1' } } } });
    const entityFetches = catalog.received.slice(-2);
    assert.equal(entityFetches.filter((query) => query.includes('secret')).length, 1, "only the signed-in group's fetch asked for secret");
    anonymous.unsubscribe();
    signedIn.unsubscribe();
    await waitFor('released', () => feed.active === 0);
  });

  test('policies refuse before anything is subscribed upstream: validation, aliases, cost, bad token', async () => {
    const codeOf = (sub: ReturnType<typeof subscribeOverWebSocket>) =>
      (sub.state.error as { extensions?: { code?: string } }[] | undefined)?.[0]?.extensions?.code;
    const invalid = subscribeOverWebSocket(connect(test_), 'subscription { stockChanged(productId: "p1") { nope } }');
    const aliases = subscribeOverWebSocket(connect(test_), 'subscription { stockChanged(productId: "p1") { a: available b: available } }');
    const costly = subscribeOverWebSocket(connect(limited), 'subscription { stockChanged(productId: "p1") { product { id } } }');
    await waitFor('three refusals', () => invalid.state.completed && aliases.state.completed && costly.state.completed);
    assert.deepEqual(
      [codeOf(invalid), codeOf(aliases), codeOf(costly)],
      ['GRAPHQL_VALIDATION_FAILED', 'MAX_ALIASES_LIMIT', 'COST_ESTIMATED_TOO_EXPENSIVE'],
    );

    const forged = await issuer.sign({ sub: 'u1', role: 'superuser' });
    const closed = await new Promise<number>((resolve) => {
      const client = createClient({
        url: test_.router.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${forged}` },
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => {},
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      clients.push(client);
    });
    assert.equal(closed, 4403);
    assert.equal(feed.active, 0, 'nothing was subscribed upstream');
  });

  test('too many subscriptions on a connection or for one principal: REQUEST_RATE_LIMITED', async () => {
    const client = connect(limited);
    const query = 'subscription { stockChanged(productId: "p1") { available } }';
    const first = subscribeOverWebSocket(client, query);
    const second = subscribeOverWebSocket(client, query);
    await waitFor('two subscribers', () => limited.router.subscriptionStats().subscribers === 2);
    const third = subscribeOverWebSocket(client, query);
    await waitFor('the refusal', () => third.state.completed);
    assert.equal((third.state.error as { extensions?: { code?: string } }[])[0]?.extensions?.code, 'REQUEST_RATE_LIMITED');
    // per principal (here the anonymous caller's IP): 3 over all connections
    const elsewhere = subscribeOverWebSocket(connect(limited), query);
    await waitFor('a third on another connection', () => limited.router.subscriptionStats().subscribers === 3);
    const fourth = subscribeOverWebSocket(connect(limited), query);
    await waitFor('the per-principal refusal', () => fourth.state.completed);
    assert.equal((fourth.state.error as { extensions?: { code?: string } }[])[0]?.extensions?.code, 'REQUEST_RATE_LIMITED');
    for (const sub of [first, second, elsewhere]) sub.unsubscribe();
    await waitFor('released', () => feed.active === 0);
  });

  test('a token that expires ends the subscription with UNAUTHENTICATED', async () => {
    const token = await issuer.sign({ sub: 'u5', role: 'customer' }, { expiresAt: Math.floor(Date.now() / 1000) + 2 });
    const sub = subscribeOverWebSocket(
      connect(test_, { authorization: `Bearer ${token}` }),
      'subscription { stockChanged(productId: "p1") { available } }',
    );
    await waitFor('subscribed', () => feed.active === 1);
    await waitFor('the end at expiry', () => sub.state.completed, 6000);
    assert.equal(sub.received.at(-1)?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    await waitFor('the upstream released', () => feed.active === 0);
  });

  test('queries work over the WebSocket too', async () => {
    const sub = subscribeOverWebSocket(connect(test_), '{ product(id: "p2") { name } }');
    await waitFor('the result', () => sub.state.completed);
    assert.deepEqual(sub.received, [{ data: { product: { name: 'Kettle' } } }]);
  });

  test('graphql-sse: a subscriber over HTTP gets events as next, refusals as plain JSON', async () => {
    const controller = new AbortController();
    const response = await fetch(`${test_.router.baseUrl}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { stockChanged(productId: "p2") { available product { name } } }' }),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    await waitFor('the upstream', () => feed.active === 1);
    feed.publish('p2', 9);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('event: next')) text += new TextDecoder().decode((await reader.read()).value);
    const data = /data: (.*)\n/.exec(text.slice(text.indexOf('event: next')))?.[1];
    assert.deepEqual(JSON.parse(data!), { data: { stockChanged: { available: 9, product: { name: 'Kettle' } } } });
    controller.abort();
    await waitFor('the upstream released when the HTTP client left', () => feed.active === 0);

    const refused = await fetch(`${test_.router.baseUrl}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: 'Bearer forged' },
      body: JSON.stringify({ query: 'subscription { stockChanged(productId: "p2") { available } }' }),
    });
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, 'UNAUTHENTICATED');
  });

  test('a subgraph that restarts: the router subscribes again and the client keeps receiving', async () => {
    const sub = subscribeOverWebSocket(connect(test_), 'subscription { stockChanged(productId: "p1") { available } }');
    await waitFor('subscribed', () => feed.active === 1);
    const port = Number(new URL(inventory.url).port);
    await inventory.stop();
    await waitFor('the old upstream gone', () => feed.active === 0);
    inventory = await startStubSubgraph('inventory', INVENTORY_SDL, inventoryResolvers(), port);
    await waitFor('the router to subscribe again', () => feed.active === 1, 10_000);
    feed.publish('p1', 3);
    await waitFor('the event after the restart', () => sub.received.length === 1);
    assert.deepEqual(sub.received[0], { data: { stockChanged: { available: 3 } } });
    assert.equal(sub.state.completed, false, 'the client noticed nothing');
    sub.unsubscribe();
    await waitFor('released', () => feed.active === 0);
  });

  test('a subgraph that stays away: the client gets SUBGRAPH_UNAVAILABLE and the stream completes', async () => {
    const fragile = await startTestRouter([inventory, catalog], issuer, { subscriptions: { upstream: { retryAttempts: 1 } } });
    try {
      const sub = subscribeOverWebSocket(connect(fragile), 'subscription { stockChanged(productId: "p1") { available } }');
      await waitFor('subscribed', () => feed.active === 1);
      const port = Number(new URL(inventory.url).port);
      await inventory.stop();
      await waitFor('the end of the stream', () => sub.state.completed, 10_000);
      assert.equal(sub.received.at(-1)?.errors?.[0]?.extensions?.code, 'SUBGRAPH_UNAVAILABLE');
      assert.equal(sub.received.at(-1)?.errors?.[0]?.extensions?.service, 'inventory');
      assert.equal(sub.received.at(-1)?.errors?.[0]?.extensions?.retrySafe, true);
      inventory = await startStubSubgraph('inventory', INVENTORY_SDL, inventoryResolvers(), port);
    } finally {
      await fragile.stop();
    }
  });

  test('persisted-query ids work for subscriptions; an id-only client cannot subscribe free-form', async () => {
    const body = 'subscription Stock { stockChanged(productId: "p2") { available } }';
    const id = createHash('sha256').update(body).digest('hex');
    const dir = await mkdtemp(join(tmpdir(), 'pq-subscriptions-'));
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id, name: 'Stock', type: 'subscription', body }],
      }),
    );
    const strict = await startTestRouter([inventory, catalog], issuer, {
      persistedQueries: { manifests: [join(dir, 'manifest.json')], modes: { default: 'id-only' } },
    });
    try {
      const client = connect(strict);
      const received: Result[] = [];
      const byId = client.subscribe(
        { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: id } } },
        { next: (result) => void received.push(result as Result), error: () => {}, complete: () => {} },
      );
      await waitFor('the subscription by id', () => feed.active === 1);
      feed.publish('p2', 11);
      await waitFor('the event', () => received.length === 1);
      assert.deepEqual(received[0], { data: { stockChanged: { available: 11 } } });
      byId();
      const freeForm = subscribeOverWebSocket(client, body);
      await waitFor('the refusal', () => freeForm.state.completed);
      assert.equal((freeForm.state.error as { extensions?: { code?: string } }[])[0]?.extensions?.code, 'PERSISTED_QUERY_ID_REQUIRED');
      await waitFor('released', () => feed.active === 0);
    } finally {
      await strict.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
