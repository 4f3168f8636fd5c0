import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { createClient as createWebSocketClient, type Client } from 'graphql-ws';
import { createClient } from 'redis';
import WebSocket from 'ws';
import { createLogger, type Logger } from '@commerce/kit';
import { listenOnAnyPort, routerOptions, startIssuer, type Issuer, startStubSubgraph, type StubSubgraph, testLogger } from './support.js';
import { parseTrustProxy } from '../src/client-address.js';
import { startRouter, type RouterOptions, type RunningRouter } from '../src/index.js';
import type { RateLimitOptions } from '../src/policies/rate-limit.js';

// CI starts Redis; these tests fail (they do not skip) when it is not reachable.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated"])
type Query { hello: String! things: [Thing!]! secret: String @authenticated }
type Thing { id: ID! }
type Subscription { ticks: Int! }`;

type Subgraph = StubSubgraph;

/** A subgraph that counts the requests it receives: a refused operation must not reach it. */
function startSubgraph(): Promise<Subgraph> {
  return startStubSubgraph('things', SDL, {
    Query: { hello: () => 'world', things: () => [{ id: '1' }], secret: () => 's' },
    Subscription: { ticks: { subscribe: () => ticks(), resolve: (tick: number) => tick } },
  });
}

/** A subscription source that never ticks (the tests only look at whether a subscription starts) and ends when told. */
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

interface Reply {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function hello(url: string, token?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return post(url, '{ hello }', { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) });
}

async function post(url: string, query: string, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Reply['body'] };
}

function limits(reply: Reply) {
  const header = (name: string) => {
    const value = reply.headers.get(name);
    return value === null ? undefined : Number(value);
  };
  return {
    limit: header('ratelimit-limit'),
    remaining: header('ratelimit-remaining'),
    reset: header('ratelimit-reset'),
    retryAfter: header('retry-after'),
  };
}

function assertPassed(reply: Reply, expected: { limit: number; remaining: number }, windowSeconds: number) {
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.body, { data: { hello: 'world' } });
  const got = limits(reply);
  assert.equal(got.limit, expected.limit);
  assert.equal(got.remaining, expected.remaining);
  assert.ok(got.reset !== undefined && got.reset >= 1 && got.reset <= windowSeconds, `RateLimit-Reset ${got.reset}`);
  assert.equal(got.retryAfter, undefined);
}

function assertLimited(reply: Reply, limit: number, windowSeconds: number) {
  assert.equal(reply.status, 429);
  assert.equal(reply.body.data, undefined);
  assert.equal(reply.body.errors?.length, 1);
  assert.deepEqual(reply.body.errors?.[0]?.extensions, { code: 'REQUEST_RATE_LIMITED' });
  assert.match(reply.body.errors?.[0]?.message ?? '', /rate limited/);
  const got = limits(reply);
  assert.equal(got.limit, limit);
  assert.equal(got.remaining, 0);
  assert.ok(got.retryAfter !== undefined && got.retryAfter >= 1 && got.retryAfter <= windowSeconds, `Retry-After ${got.retryAfter}`);
  assert.equal(got.reset, got.retryAfter);
}

const WINDOW = 60;

describe('rate limits', () => {
  let subgraph: Subgraph;
  let issuer: Issuer;
  let dir: string;
  const routers: RunningRouter[] = [];

  const start = async (rateLimit: RateLimitOptions, logger: Logger = testLogger('rate-limit-test'), other: Partial<RouterOptions> = {}) => {
    const router = await startRouter(
      routerOptions({
        supergraphPath: join(dir, 'supergraph.graphql'),
        jwksUrl: issuer.jwksUrl,
        subgraphUrls: { things: subgraph.url },
        logger,
        rateLimit,
        ...other,
      }),
    );
    routers.push(router);
    return router;
  };

  const token = (userId: string, vendorId?: string) =>
    issuer.sign({ sub: userId, role: vendorId ? 'vendor_staff' : 'customer', ...(vendorId ? { vendor: vendorId } : {}) });

  before(async () => {
    subgraph = await startSubgraph();
    issuer = await startIssuer('rate-limit-test-key');
    dir = await mkdtemp(join(tmpdir(), 'rate-limit-test-'));
    const composed = composeServices([{ name: 'things', url: 'http://unreachable.invalid/graphql', typeDefs: parse(SDL) }]);
    if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
    await writeFile(join(dir, 'supergraph.graphql'), composed.supergraphSdl);
  });

  after(async () => {
    await Promise.all(routers.map((router) => router.close()));
    await issuer?.stop();
    await subgraph?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The scenarios, run once per store. */
  function scenarios(store: () => Pick<RateLimitOptions, 'redisUrl' | 'keyPrefix'>) {
    test('N operations pass with a decreasing RateLimit-Remaining; N+1 is refused before any subgraph call', async () => {
      const router = await start({ ...store(), points: 3, tenantPoints: 100, windowSeconds: WINDOW });
      const before = subgraph.requests;
      for (const remaining of [2, 1, 0]) assertPassed(await hello(router.url), { limit: 3, remaining }, WINDOW);
      assert.equal(subgraph.requests, before + 3);
      assertLimited(await hello(router.url), 3, WINDOW);
      assertLimited(await hello(router.url), 3, WINDOW);
      assert.equal(subgraph.requests, before + 3, 'a refused operation reached the subgraph');
    });

    test('two users have separate buckets (and the anonymous IP bucket is a third)', async () => {
      const router = await start({ ...store(), points: 2, tenantPoints: 100, windowSeconds: WINDOW });
      const [alice, bob] = await Promise.all([token(`alice-${randomUUID()}`), token(`bob-${randomUUID()}`)]);
      assertPassed(await hello(router.url, alice), { limit: 2, remaining: 1 }, WINDOW);
      assertPassed(await hello(router.url, alice), { limit: 2, remaining: 0 }, WINDOW);
      assertLimited(await hello(router.url, alice), 2, WINDOW);
      assertPassed(await hello(router.url, bob), { limit: 2, remaining: 1 }, WINDOW);
      assertPassed(await hello(router.url), { limit: 2, remaining: 1 }, WINDOW);
    });

    test('the tenant bucket limits the users of one vendor together, not other vendors', async () => {
      const router = await start({ ...store(), points: 3, tenantPoints: 4, windowSeconds: WINDOW });
      const vendor = `vendor-${randomUUID()}`;
      const [nora, colin, other] = await Promise.all([
        token(`nora-${randomUUID()}`, vendor),
        token(`colin-${randomUUID()}`, vendor),
        token(`olga-${randomUUID()}`, `vendor-${randomUUID()}`),
      ]);
      // Headers show the bucket closest to its limit: the caller's (3) first, then the tenant's (4).
      assertPassed(await hello(router.url, nora), { limit: 3, remaining: 2 }, WINDOW);
      assertPassed(await hello(router.url, nora), { limit: 3, remaining: 1 }, WINDOW);
      assertPassed(await hello(router.url, colin), { limit: 4, remaining: 1 }, WINDOW);
      assertPassed(await hello(router.url, colin), { limit: 4, remaining: 0 }, WINDOW);
      const before = subgraph.requests;
      assertLimited(await hello(router.url, colin), 4, WINDOW);
      assertLimited(await hello(router.url, nora), 4, WINDOW);
      assert.equal(subgraph.requests, before);
      assertPassed(await hello(router.url, other), { limit: 3, remaining: 2 }, WINDOW);
    });

    test('an operation refused by another policy spends nothing: cost, operation limits, introspection, authorization', async () => {
      const router = await start({ ...store(), points: 3, tenantPoints: 100, windowSeconds: WINDOW }, undefined, {
        demandControl: { mode: 'enforce', maxCost: 5 },
        limits: { maxAliases: 0, introspection: 'off' },
        authorizationMode: 'reject',
      });
      const refusals: [string, string][] = [
        ['{ things { id } }', 'COST_ESTIMATED_TOO_EXPENSIVE'], // estimated 10 points: before, it spent them
        ['{ a: hello }', 'MAX_ALIASES_LIMIT'],
        ['{ __schema { queryType { name } } }', 'INTROSPECTION_DISABLED'],
        ['{ secret }', 'UNAUTHORIZED_FIELD_OR_TYPE'],
      ];
      for (const [query, code] of refusals) {
        const reply = await post(router.url, query);
        assert.equal(reply.body.errors?.[0]?.extensions?.code, code, query);
        assert.equal(reply.body.data ?? undefined, undefined);
      }
      // The whole budget is still there.
      for (const remaining of [2, 1, 0]) assertPassed(await hello(router.url), { limit: 3, remaining }, WINDOW);
      assertLimited(await hello(router.url), 3, WINDOW);
    });

    test('a rate-limited operation spends nothing: a cheaper one still fits', async () => {
      const router = await start({ ...store(), points: 5, tenantPoints: 100, windowSeconds: WINDOW }, undefined, {
        demandControl: { mode: 'enforce', maxCost: 1000 },
      });
      assertPassed(await hello(router.url), { limit: 5, remaining: 4 }, WINDOW);
      const costly = await post(router.url, '{ things { id } }'); // estimated 10 points
      assert.equal(costly.status, 429);
      assert.equal(costly.body.errors?.[0]?.extensions?.code, 'REQUEST_RATE_LIMITED');
      assert.equal(limits(costly).remaining, 4, 'RateLimit-Remaining: what is left, untouched by the refusal');
      assert.ok((limits(costly).retryAfter ?? 0) >= 1);
      for (const remaining of [3, 2, 1, 0]) assertPassed(await hello(router.url), { limit: 5, remaining }, WINDOW);
    });

    test('the operation weight is the seam for cost-based limits', async () => {
      const router = await start({ ...store(), points: 5, tenantPoints: 100, windowSeconds: WINDOW, weight: () => 2 });
      assertPassed(await hello(router.url), { limit: 5, remaining: 3 }, WINDOW);
      assertPassed(await hello(router.url), { limit: 5, remaining: 1 }, WINDOW);
      const refused = await hello(router.url);
      assert.equal(refused.status, 429);
      assert.equal(limits(refused).remaining, 1, 'the point left is shown, and stays: the refusal spent nothing');
      const again = await hello(router.url); // still 2 points for 1 left
      assert.equal(again.status, 429);
      assert.equal(limits(again).remaining, 1);
    });
  }

  describe('in memory', () => {
    scenarios(() => ({}));

    test('a batch: every operation in it is counted and refused on its own', async () => {
      const router = await start({ points: 2, windowSeconds: WINDOW });
      const before = subgraph.requests;
      const response = await fetch(router.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ query: '{ hello }' }, { query: '{ hello }' }, { query: '{ hello }' }]),
      });
      const bodies = (await response.json()) as Reply['body'][];
      assert.equal(bodies.length, 3);
      assert.equal(bodies.filter((body) => body.data?.hello === 'world').length, 2);
      const refused = bodies.filter((body) => body.errors?.[0]?.extensions?.code === 'REQUEST_RATE_LIMITED');
      assert.equal(refused.length, 1);
      assert.equal(subgraph.requests, before + 2);
      // The batch shares one HTTP head: a refused operation makes the whole response a 429.
      assert.equal(response.status, 429);
      assert.ok(Number(response.headers.get('retry-after')) >= 1);
    });

    test('disabled: no limit and no RateLimit headers', async () => {
      const router = await start({ enabled: false, points: 1 });
      for (let i = 0; i < 3; i++) {
        const reply = await hello(router.url);
        assert.equal(reply.status, 200);
        assert.equal(reply.headers.get('ratelimit-limit'), null);
      }
    });

    test('each router instance counts on its own without Redis', async () => {
      const [a, b] = [await start({ points: 1 }), await start({ points: 1 })];
      assertPassed(await hello(a.url), { limit: 1, remaining: 0 }, 60);
      assertPassed(await hello(b.url), { limit: 1, remaining: 0 }, 60);
      assertLimited(await hello(a.url), 1, 60);
    });
  });

  describe('over graphql-ws and SSE, and behind proxies', () => {
    const clients: Client[] = [];
    const streams: AbortController[] = [];
    after(async () => {
      for (const stream of streams) stream.abort();
      await Promise.all(clients.map((client) => client.dispose()));
    });

    /** A graphql-ws client; `headers` go on the upgrade request (X-Forwarded-For). */
    const connect = (router: RunningRouter, headers: Record<string, string> = {}) => {
      class WithHeaders extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, { headers });
        }
      }
      const client = createWebSocketClient({
        url: router.url.replace(/^http/, 'ws'),
        webSocketImpl: WithHeaders,
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(client);
      return client;
    };

    /** Runs a query over the socket: its one result. */
    const queryOver = (client: Client, query: string) =>
      new Promise<Reply['body']>((resolve, reject) => {
        let result: Reply['body'] | undefined;
        client.subscribe(
          { query },
          {
            next: (value) => {
              result = value as Reply['body'];
            },
            error: reject,
            complete: () => resolve(result ?? {}),
          },
        );
      });

    /** Starts a subscription over the socket: 'started' once the router counts it, else the refusal's code. */
    const subscribeOver = (router: RunningRouter, client: Client) =>
      new Promise<string>((resolve, reject) => {
        const before = router.subscriptionStats().subscribers;
        const timer = setInterval(() => {
          if (router.subscriptionStats().subscribers > before) done('started');
        }, 10);
        const done = (outcome: string) => {
          clearInterval(timer);
          resolve(outcome);
        };
        client.subscribe(
          { query: 'subscription { ticks }' },
          {
            next: () => {},
            error: (errors) => done(String((errors as { extensions?: { code?: string } }[])[0]?.extensions?.code)),
            complete: () => reject(new Error('completed')),
          },
        );
      });

    /** Starts a subscription over SSE: 'started' (an event stream is open), else the refusal's code. */
    const subscribeOverSse = async (router: RunningRouter, headers: Record<string, string> = {}) => {
      const controller = new AbortController();
      streams.push(controller);
      const response = await fetch(`${router.baseUrl}/graphql/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify({ query: 'subscription { ticks }' }),
        signal: controller.signal,
      });
      if (response.status === 200) return 'started';
      const body = (await response.json()) as Reply['body'];
      return `${response.status} ${String(body.errors?.[0]?.extensions?.code)}`;
    };

    test('queries over graphql-ws are charged to the socket client, in the same bucket as its HTTP requests', async () => {
      const router = await start({ points: 2, windowSeconds: WINDOW });
      assertPassed(await hello(router.url), { limit: 2, remaining: 1 }, WINDOW);
      assert.deepEqual(await queryOver(connect(router), '{ hello }'), { data: { hello: 'world' } });
      // Before, socket operations went to one bucket shared by every anonymous socket ("ip:unknown").
      assertLimited(await hello(router.url), 2, WINDOW);
      const refused = await queryOver(connect(router), '{ hello }');
      assert.equal(refused.errors?.[0]?.extensions?.code, 'REQUEST_RATE_LIMITED');
    });

    test('a subscription is charged when it starts (graphql-ws and SSE) and refused over budget', async () => {
      const router = await start({ points: 3, windowSeconds: WINDOW });
      const before = subgraph.requests;
      assert.equal(await subscribeOver(router, connect(router)), 'started');
      assert.equal(await subscribeOverSse(router), 'started');
      assertPassed(await hello(router.url), { limit: 3, remaining: 0 }, WINDOW);
      assert.equal(await subscribeOver(router, connect(router)), 'REQUEST_RATE_LIMITED');
      assert.equal(await subscribeOverSse(router), '429 REQUEST_RATE_LIMITED');
      assert.equal(router.subscriptionStats().subscribers, 2);
      assert.equal(subgraph.requests, before + 1, 'only the query reached the subgraph over HTTP');
    });

    test('TRUST_PROXY off (the default): X-Forwarded-For is ignored, the socket address is the key', async () => {
      const router = await start({ points: 1, windowSeconds: WINDOW });
      assertPassed(await hello(router.url, undefined, { 'x-forwarded-for': '203.0.113.1' }), { limit: 1, remaining: 0 }, WINDOW);
      assertLimited(await hello(router.url, undefined, { 'x-forwarded-for': '203.0.113.2' }), 1, WINDOW);
    });

    test('TRUST_PROXY with trusted addresses: each client behind the proxy has its own bucket, over HTTP, graphql-ws and SSE', async () => {
      const router = await start({ points: 2, windowSeconds: WINDOW }, undefined, { trustProxy: parseTrustProxy('loopback') });
      const alice = { 'x-forwarded-for': '203.0.113.1' };
      const bob = { 'x-forwarded-for': '203.0.113.2' };
      assertPassed(await hello(router.url, undefined, alice), { limit: 2, remaining: 1 }, WINDOW);
      assert.deepEqual(await queryOver(connect(router, alice), '{ hello }'), { data: { hello: 'world' } });
      assertLimited(await hello(router.url, undefined, alice), 2, WINDOW);
      assert.equal(await subscribeOverSse(router, alice), '429 REQUEST_RATE_LIMITED');
      // Bob, behind the same proxy, has his own budget.
      assert.equal(await subscribeOverSse(router, bob), 'started');
      assert.equal(await subscribeOver(router, connect(router, bob)), 'started');
      assertLimited(await hello(router.url, undefined, bob), 2, WINDOW);
    });

    test('TRUST_PROXY as a hop count: only the hops the proxies appended are believed', async () => {
      const router = await start({ points: 1, windowSeconds: WINDOW }, undefined, { trustProxy: parseTrustProxy('1') });
      // The client wrote the first entry itself; the one proxy appended the address it saw.
      assertPassed(
        await hello(router.url, undefined, { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' }),
        { limit: 1, remaining: 0 },
        WINDOW,
      );
      assertLimited(await hello(router.url, undefined, { 'x-forwarded-for': '198.51.100.2, 203.0.113.9' }), 1, WINDOW);
      assertPassed(await hello(router.url, undefined, { 'x-forwarded-for': '203.0.113.10' }), { limit: 1, remaining: 0 }, WINDOW);
    });

    test('TRUST_PROXY values: off, hops, addresses; true and garbage are refused', () => {
      assert.equal(parseTrustProxy(undefined), false);
      assert.equal(parseTrustProxy('off'), false);
      assert.equal(parseTrustProxy('false'), false);
      assert.equal(parseTrustProxy('2'), 2);
      assert.deepEqual(parseTrustProxy('loopback, 10.0.0.0/8,fd00::/8'), ['loopback', '10.0.0.0/8', 'fd00::/8']);
      assert.throws(() => parseTrustProxy('true'), /TRUST_PROXY=true/);
      assert.throws(() => parseTrustProxy('10.0.0.0/99'), /TRUST_PROXY must be/);
      assert.throws(() => parseTrustProxy('proxy.internal'), /TRUST_PROXY must be/);
      assert.throws(() => parseTrustProxy('100'), /at most/);
    });
  });

  describe('in Redis', () => {
    const runPrefix = `rl-test-${process.pid}-${randomUUID()}:`;
    let redis: ReturnType<typeof createClient>;
    let next = 0;
    // A fresh prefix per test, so no two tests share a bucket; all under runPrefix for the cleanup.
    let prefix = '';
    const store = () => ({ redisUrl: REDIS_URL, keyPrefix: prefix });

    before(async () => {
      redis = createClient({ url: REDIS_URL, socket: { connectTimeout: 2000, reconnectStrategy: false } });
      redis.on('error', () => {});
      await redis.connect(); // throws, failing the suite, when Redis is not reachable
      assert.equal(await redis.ping(), 'PONG');
    });

    beforeEach(() => {
      next += 1;
      prefix = `${runPrefix}${next}:`;
    });

    after(async () => {
      if (!redis?.isOpen) return;
      const keys: string[] = [];
      for await (const batch of redis.scanIterator({ MATCH: `${runPrefix}*`, COUNT: 100 })) keys.push(...batch);
      if (keys.length) await redis.del(keys);
      await redis.close();
    });

    scenarios(store);

    test('two router instances sharing Redis share one bucket', async () => {
      const [a, b] = [
        await start({ ...store(), points: 3, windowSeconds: WINDOW }),
        await start({ ...store(), points: 3, windowSeconds: WINDOW }),
      ];
      const user = await token(`shared-${randomUUID()}`);
      assertPassed(await hello(a.url, user), { limit: 3, remaining: 2 }, WINDOW);
      assertPassed(await hello(b.url, user), { limit: 3, remaining: 1 }, WINDOW);
      assertPassed(await hello(a.url, user), { limit: 3, remaining: 0 }, WINDOW);
      const before = subgraph.requests;
      assertLimited(await hello(b.url, user), 3, WINDOW);
      assertLimited(await hello(a.url, user), 3, WINDOW);
      assert.equal(subgraph.requests, before);
    });

    test('the buckets live under the key prefix and expire with the window', async () => {
      const router = await start({ ...store(), points: 3, windowSeconds: WINDOW });
      const vendor = `vendor-${randomUUID()}`;
      const userId = `keyed-${randomUUID()}`;
      assert.equal((await hello(router.url, await token(userId, vendor))).status, 200);
      const keys: string[] = [];
      for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
      assert.deepEqual(keys.sort(), [`${prefix}caller:user:${userId}`, `${prefix}tenant:vendor:${vendor}`]);
      for (const key of keys) {
        const ttl = await redis.ttl(key);
        assert.ok(ttl > 0 && ttl <= WINDOW, `${key} ttl ${ttl}`);
        assert.equal(await redis.get(key), '1');
      }
    });

    test('Redis down: requests are served (fail open) and a warning is logged', async () => {
      const closed = createServer();
      const port = Number(new URL(await listenOnAnyPort(closed)).port);
      await new Promise((resolve) => closed.close(resolve));
      const warnings: string[] = [];
      const logger = createLogger('rate-limit-test', 'silent');
      const warn = logger.warn.bind(logger);
      const child = logger.child.bind(logger);
      // The policy logs through a child logger; capture its warnings.
      logger.child = ((...args: Parameters<Logger['child']>) => {
        const created = child(...args);
        const childWarn = created.warn.bind(created);
        created.warn = ((...warnArgs: Parameters<Logger['warn']>) => {
          warnings.push(String(warnArgs.find((arg) => typeof arg === 'string')));
          childWarn(...warnArgs);
        }) as Logger['warn'];
        return created;
      }) as Logger['child'];
      logger.warn = warn;
      const router = await start({ redisUrl: `redis://127.0.0.1:${port}`, keyPrefix: prefix, points: 1, redisTimeoutMs: 100 }, logger);
      const before = subgraph.requests;
      for (let i = 0; i < 3; i++) {
        const reply = await hello(router.url);
        assert.equal(reply.status, 200);
        assert.deepEqual(reply.body, { data: { hello: 'world' } });
        assert.equal(reply.headers.get('ratelimit-limit'), null);
      }
      assert.equal(subgraph.requests, before + 3);
      assert.ok(
        warnings.some((message) => /fail(ing)? open/.test(message)),
        `warnings: ${warnings.join(' | ')}`,
      );
    });
  });
});
