import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  listenOnAnyPort,
  startIssuer,
  startStubSubgraph,
  startTestRouter,
  type Issuer,
  type StubSubgraph,
  type TestRouter,
} from './support.js';

const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { hello: String! }
type Subscription { ticks: Int! }`;

type Result = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

/** A subscription source that never ticks and ends when told. */
function ticks(): AsyncIterableIterator<number> {
  let wake: ((result: IteratorResult<number>) => void) | undefined;
  const iterator: AsyncIterableIterator<number> = {
    next: () =>
      new Promise((resolve) => {
        wake = resolve;
      }),
    return: async () => {
      wake?.({ value: undefined, done: true });
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** identity's revocation feed, as the router polls it: the test revokes sessions by adding them. */
class Feed {
  readonly revoked: { sid: string; until: number }[] = [];
  readonly asked: (string | null)[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://feed');
      if (url.pathname !== '/sessions/revoked') return void res.writeHead(404).end();
      this.asked.push(url.searchParams.get('since'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ now: Date.now(), revoked: this.revoked }));
    });
    this.url = `${await listenOnAnyPort(this.server)}/sessions/revoked`;
  }

  revoke(sid: string): void {
    this.revoked.push({ sid, until: Date.now() + 15 * 60_000 });
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('revoked sessions', () => {
  let issuer: Issuer;
  let subgraph: StubSubgraph;
  let feed: Feed;
  let router: TestRouter;
  const clients: Client[] = [];
  const streams: AbortController[] = [];
  const others: TestRouter[] = [];

  const token = (sid: string | undefined, sub = `user-of-${sid}`) => issuer.sign({ sub, role: 'customer', ...(sid ? { sid } : {}) });

  const hello = async (target: TestRouter, bearer?: string) => {
    const response = await fetch(target.router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query: '{ hello }' }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Result };
  };

  const connect = (bearer: string) => {
    const client = createClient({
      url: router.router.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${bearer}` },
      retryAttempts: 0,
      lazy: false, // the socket stays open when its subscriptions end: operations on it are checked each time
      onNonLazyError: () => {},
    });
    clients.push(client);
    return client;
  };

  const subscribe = (client: Client, query = 'subscription { ticks }') => {
    const received: Result[] = [];
    const state = { completed: false, error: undefined as unknown };
    client.subscribe(
      { query },
      {
        next: (value) => void received.push(value as Result),
        error: (error) => {
          state.error = error;
          state.completed = true;
        },
        complete: () => {
          state.completed = true;
        },
      },
    );
    return { received, state };
  };

  before(async () => {
    issuer = await startIssuer('revocation-test-key');
    subgraph = await startStubSubgraph('things', SDL, {
      Query: { hello: () => 'world' },
      Subscription: { ticks: { subscribe: () => ticks(), resolve: (tick: number) => tick } },
    });
    feed = new Feed();
    await feed.start();
    router = await startTestRouter([subgraph], issuer, { sessionRevocation: { url: feed.url, intervalMs: 100 } });
  });

  after(async () => {
    for (const stream of streams) stream.abort();
    await Promise.all(clients.map((client) => client.dispose()));
    await Promise.all(others.map((other) => other.stop()));
    await router?.stop();
    await feed?.stop();
    await subgraph?.stop();
    await issuer?.stop();
  });

  test("a signed-out session's tokens get 401 UNAUTHENTICATED within seconds, even cached; other sessions keep working", async () => {
    const [first, rotated, other, partner] = await Promise.all([
      token('s-a'),
      token('s-a'),
      token('s-b'),
      token(undefined, 'client:partner'),
    ]);
    for (const bearer of [first, rotated, other, partner]) assert.equal((await hello(router, bearer)).status, 200); // now in the verified-token cache
    const revokedAt = Date.now();
    feed.revoke('s-a');
    await until(async () => (await hello(router, first)).status === 401, 'the revocation to reach the router');
    const seconds = (Date.now() - revokedAt) / 1000;
    assert.ok(seconds < 3, `took ${seconds} s`);
    for (const bearer of [first, rotated]) {
      const refused = await hello(router, bearer);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assert.match(refused.body.errors?.[0]?.message ?? '', /signed out/);
      assert.match(refused.headers.get('www-authenticate') ?? '', /invalid_token/);
    }
    assert.deepEqual((await hello(router, other)).body, { data: { hello: 'world' } });
    assert.deepEqual((await hello(router, partner)).body, { data: { hello: 'world' } }, 'a token without sid is not affected');
    assert.ok(
      feed.asked.slice(1).every((since) => since !== null && Number(since) > 0),
      'after the first poll the router asks only for what is new',
    );
  });

  test('the subscriptions of a signed-out session end with UNAUTHENTICATED; new operations on its socket are refused', async () => {
    const [mine, theirs] = await Promise.all([token('s-c'), token('s-d')]);
    const socket = connect(mine);
    const overWebSocket = subscribe(socket);
    const controller = new AbortController();
    streams.push(controller);
    const sse = await fetch(`${router.router.baseUrl}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${mine}` },
      body: JSON.stringify({ query: 'subscription { ticks }' }),
      signal: controller.signal,
    });
    assert.equal(sse.status, 200);
    const unaffected = subscribe(connect(theirs));
    await until(() => router.router.subscriptionStats().subscribers === 3, 'three subscribers');

    feed.revoke('s-c');
    await until(() => overWebSocket.state.completed, 'the WebSocket subscription to end');
    assert.equal(overWebSocket.received.at(-1)?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    let text = '';
    const reader = sse.body!.getReader();
    while (!text.includes('event: complete')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    assert.match(text, /"code":"UNAUTHENTICATED"/);
    assert.match(text, /event: complete/);
    await until(() => router.router.subscriptionStats().subscribers === 1, 'only the other session subscribed');
    assert.equal(unaffected.state.completed, false);

    const again = subscribe(socket);
    await until(() => again.state.completed, 'the refusal of a new subscription');
    assert.equal((again.state.error as { extensions?: { code?: string } }[])[0]?.extensions?.code, 'UNAUTHENTICATED');
    const query = subscribe(socket, '{ hello }');
    await until(() => query.state.completed, 'the refusal of a query');
    assert.equal((query.state.error as { extensions?: { code?: string } }[])[0]?.extensions?.code, 'UNAUTHENTICATED');
    // A new connection with the token is refused like any bad token: 4403.
    const reconnected = subscribe(connect(mine));
    await until(() => reconnected.state.completed, 'the refused connection');
    assert.equal((reconnected.state.error as { code?: number }).code, 4403);
  });

  test('a router that starts after the revocation refuses the token from its first request', async () => {
    const bearer = await token('s-e');
    feed.revoke('s-e');
    const fresh = await startTestRouter([subgraph], issuer, { sessionRevocation: { url: feed.url, intervalMs: 60_000 } });
    others.push(fresh);
    assert.equal((await hello(fresh, bearer)).status, 401);
  });
});
