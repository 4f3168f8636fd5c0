import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { createClient } from 'redis';
import { createLogger, type Logger } from '@commerce/kit';
import { listenOnAnyPort, routerOptions, startIssuer, type Issuer, startStubSubgraph, type StubSubgraph, testLogger } from './support.js';
import { startRouter, type RunningRouter } from '../src/index.js';
import type { RateLimitOptions } from '../src/policies/rate-limit.js';

// CI starts Redis; these tests fail (they do not skip) when it is not reachable.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query { hello: String! }`;

type Subgraph = StubSubgraph;

/** A subgraph that counts the requests it receives: a refused operation must not reach it. */
function startSubgraph(): Promise<Subgraph> {
  return startStubSubgraph('things', SDL, { Query: { hello: () => 'world' } });
}

interface Reply {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function hello(url: string, token?: string): Promise<Reply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: '{ hello }' }),
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
  assert.deepEqual(reply.body.errors[0].extensions, { code: 'REQUEST_RATE_LIMITED' });
  assert.match(reply.body.errors[0].message, /rate limited/);
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

  const start = async (rateLimit: RateLimitOptions, logger: Logger = testLogger('rate-limit-test')) => {
    const router = await startRouter(
      routerOptions({ supergraphPath: join(dir, 'supergraph.graphql'), jwksUrl: issuer.jwksUrl, subgraphUrls: { things: subgraph.url }, logger, rateLimit }),
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

    test('the operation weight is the seam for cost-based limits', async () => {
      const router = await start({ ...store(), points: 5, tenantPoints: 100, windowSeconds: WINDOW, weight: () => 2 });
      assertPassed(await hello(router.url), { limit: 5, remaining: 3 }, WINDOW);
      assertPassed(await hello(router.url), { limit: 5, remaining: 1 }, WINDOW);
      assertLimited(await hello(router.url), 5, WINDOW);
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
      const [a, b] = [await start({ ...store(), points: 3, windowSeconds: WINDOW }), await start({ ...store(), points: 3, windowSeconds: WINDOW })];
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
      assert.ok(warnings.some((message) => /fail(ing)? open/.test(message)), `warnings: ${warnings.join(' | ')}`);
    });
  });
});
