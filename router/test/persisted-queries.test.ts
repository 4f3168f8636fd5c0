import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, describe, test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { createClient } from 'redis';
import { ConfigError, requireTestRedis, waitFor, type Logger } from '@commerce/kit';
import { routerOptions, startStubSubgraph, type StubSubgraph, TEST_SECRET, testLogger } from './support.js';
import { startRouter, type RunningRouter } from '../src/index.js';
import { normalizeBody, parseManifest, PersistedQueryList, redactedBody } from '../src/policies/persisted-queries/manifest.js';
import { LogThrottle } from '../src/policies/persisted-queries/log-throttle.js';
import type { PersistedQueryOptions } from '../src/policies/persisted-queries/policy.js';

before(requireTestRedis); // fails at once, with one line, when Redis is not running

// CI starts Redis; the Redis variants fail (they do not skip) when it is not reachable.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query {
  hello: String!
  greet(name: String!): String!
}`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Manifest operations: ids are the sha256 of the body, as our codegen writes them. */
const HELLO = 'query Hello {\n  hello\n}';
const GREET = 'query Greet($name: String!) {\n  greet(name: $name)\n}';
const ADDED = 'query Added {\n  hello\n  greet(name: "added")\n}';
const UNKNOWN = '{ hello greet(name: "free-form") }';

function manifest(...bodies: string[]): string {
  const operations = bodies.map((body) => ({ id: sha256(body), name: /^query (\w+)/.exec(body)?.[1] ?? null, type: 'query', body }));
  return JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations }, null, 2);
}

interface Reply {
  status: number;
  headers: Headers;
  /** A batch answers with an array (compared with deepEqual only). */
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function reply(response: Response): Promise<Reply> {
  return { status: response.status, headers: response.headers, body: (await response.json()) as Reply['body'] };
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then(
    reply,
  );
}

/** A GET as Apollo Client sends a hashed query (content-type set, so CSRF prevention lets it through). */
function get(url: string, params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Reply> {
  const search = new URLSearchParams(
    Object.entries(params).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)] as [string, string]),
  );
  return fetch(`${url}?${search}`, { headers: { 'content-type': 'application/json', ...headers } }).then(reply);
}

const byHash = (hash: string, extra: Record<string, unknown> = {}) => ({
  extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
  ...extra,
});
const codes = (r: Reply) => (r.body.errors ?? []).map((error) => error.extensions?.code);

interface Capture {
  logger: Logger;
  lines: { level: string; msg: string; fields: Record<string, unknown> }[];
}

/** A silent logger recording what the policies (which log through child loggers) say. */
function capturingLogger(): Capture {
  const lines: Capture['lines'] = [];
  const logger = testLogger('persisted-queries-test');
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<Logger['child']>) => {
    const created = child(...args);
    for (const level of ['info', 'warn', 'error'] as const) {
      const original = created[level].bind(created) as (...logArgs: unknown[]) => void;
      created[level] = ((...logArgs: unknown[]) => {
        const fields = logArgs.find((arg) => typeof arg === 'object' && arg !== null) as Record<string, unknown> | undefined;
        lines.push({ level, msg: String(logArgs.find((arg) => typeof arg === 'string')), fields: fields ?? {} });
        original(...logArgs);
      }) as Logger['info'];
    }
    return created;
  }) as Logger['child'];
  return { logger, lines };
}

type Subgraph = StubSubgraph;

/** A subgraph counting its requests: a refused operation must never reach it. */
function startSubgraph(): Promise<Subgraph> {
  return startStubSubgraph('things', SDL, {
    Query: { hello: () => 'world', greet: (_: unknown, { name }: { name: string }) => `hi ${name}` },
  });
}

describe('persisted queries', () => {
  let subgraph: Subgraph;
  let dir: string;
  let manifestPath: string;
  const routers: RunningRouter[] = [];
  const redisPrefix = `pq-test:${randomUUID()}:`;

  const start = async (persistedQueries: PersistedQueryOptions, logger?: Logger) => {
    const router = await startRouter(
      routerOptions({
        supergraphPath: join(dir, 'supergraph.graphql'),
        jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json', // no request here carries a token
        subgraphUrls: { things: subgraph.url },
        logger: logger ?? testLogger('persisted-queries-test'),
        persistedQueries: { manifests: [manifestPath], ...persistedQueries },
      }),
    );
    routers.push(router);
    return router;
  };

  before(async () => {
    subgraph = await startSubgraph();
    dir = await mkdtemp(join(tmpdir(), 'persisted-queries-test-'));
    const composed = composeServices([{ name: 'things', url: 'http://unreachable.invalid/graphql', typeDefs: parse(SDL) }]);
    if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
    await writeFile(join(dir, 'supergraph.graphql'), composed.supergraphSdl);
    manifestPath = join(dir, 'manifest.json');
    await writeFile(manifestPath, manifest(HELLO, GREET));
  });

  after(async () => {
    await Promise.all(routers.map((router) => router.close()));
    await subgraph?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length) await redis.del(keys);
    await redis.close();
  });

  beforeEach(() => {
    subgraph.requests = 0;
  });

  describe('manifests and normalization (units)', () => {
    test('parses the apollo-persisted-query-manifest v1 format and refuses anything else', () => {
      assert.deepEqual(parseManifest(manifest(HELLO)), [{ id: sha256(HELLO), name: 'Hello', type: 'query', body: HELLO }]);
      assert.throws(() => parseManifest('{'), /not valid JSON/);
      assert.throws(() => parseManifest('{"format":"other","version":1,"operations":[]}'), /"format" must be/);
      assert.throws(() => parseManifest('{"format":"apollo-persisted-query-manifest","version":2,"operations":[]}'), /"version" must be 1/);
      assert.throws(
        () => parseManifest('{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"x"}]}'),
        /operations\[0\]/,
      );
      assert.throws(
        () =>
          new PersistedQueryList([
            { id: 'x', body: HELLO },
            { id: 'x', body: GREET },
          ]),
        /two different bodies/,
      );
    });

    test('safelist matching ignores whitespace, comments and definition order, not field order', () => {
      const list = new PersistedQueryList([{ id: 'a', body: 'fragment A on Q { a }  query Op { ...A b }' }]);
      assert.ok(list.allows('# comment\nquery Op {\n  ...A,\n  b\n}\nfragment A on Q { a }'));
      assert.ok(!list.allows('query Op { b ...A } fragment A on Q { a }'));
      assert.equal(normalizeBody('}}}'), '}}}'); // unparseable: byte for byte only
    });

    test('ids resolve for their client first, then for any client', () => {
      const list = new PersistedQueryList([
        { id: 'op', body: HELLO },
        { id: 'op', body: GREET, clientName: 'mobile' },
      ]);
      assert.equal(list.body('op', 'mobile'), GREET);
      assert.equal(list.body('op', 'web'), HELLO);
      assert.equal(list.body('op', undefined), HELLO);
      assert.equal(list.body('nope', undefined), undefined);
    });

    test('logged bodies have their literals redacted', () => {
      assert.equal(
        redactedBody('mutation { logIn(input: { email: "a@b.c", password: "hunter2", pin: 1234 }) { accessToken } }'),
        'mutation { logIn(input: {email: "", password: "", pin: 0}) { accessToken } }',
      );
    });
  });

  /** The APQ scenarios, once per store. */
  function apqScenarios(store: () => PersistedQueryOptions) {
    test('an unknown hash alone: 200 PERSISTED_QUERY_NOT_FOUND (not cacheable) and no subgraph call', async () => {
      const router = await start({ ...store() });
      const refused = await post(router.url, byHash(sha256(`{ hello } # ${randomUUID()}`)));
      assert.equal(refused.status, 200);
      assert.deepEqual(codes(refused), ['PERSISTED_QUERY_NOT_FOUND']);
      assert.match(refused.headers.get('cache-control') ?? '', /no-cache/);
      assert.equal(subgraph.requests, 0);
    });

    test('hash + query registers; then the hash alone runs it over POST and GET', async () => {
      const router = await start({ ...store() });
      const query = `{ greet(name: "apq") } # ${randomUUID()}`;
      const registered = await post(router.url, { query, ...byHash(sha256(query)) });
      assert.equal(registered.status, 200, JSON.stringify(registered.body));
      assert.deepEqual(registered.body, { data: { greet: 'hi apq' } });
      // Apollo Server stores the registration without waiting for the store.
      await waitFor('the registration to land', async () => codes(await post(router.url, byHash(sha256(query)))).length === 0);
      const viaPost = await post(router.url, byHash(sha256(query)));
      assert.deepEqual(viaPost.body, { data: { greet: 'hi apq' } });
      const viaGet = await get(router.url, byHash(sha256(query)));
      assert.equal(viaGet.status, 200);
      assert.deepEqual(viaGet.body, { data: { greet: 'hi apq' } });
    });

    test('a hash that is not the sha256 of the query: 400 PERSISTED_QUERY_HASH_MISMATCH, nothing registered, no subgraph call', async () => {
      const router = await start({ ...store() });
      const wrong = sha256('something else');
      const refused = await post(router.url, { query: '{ hello }', ...byHash(wrong) });
      assert.equal(refused.status, 400);
      assert.deepEqual(codes(refused), ['PERSISTED_QUERY_HASH_MISMATCH']);
      assert.deepEqual(codes(await post(router.url, byHash(wrong))), ['PERSISTED_QUERY_NOT_FOUND']);
      assert.equal(subgraph.requests, 0);
    });
  }

  describe('APQ in memory', () => apqScenarios(() => ({})));

  describe('APQ in Redis', () => {
    apqScenarios(() => ({ redisUrl: REDIS_URL, keyPrefix: redisPrefix }));

    test('registrations are stored under the prefix with a TTL and shared by every router on the same Redis', async () => {
      const [a, b] = [
        await start({ redisUrl: REDIS_URL, keyPrefix: redisPrefix, apqTtlSeconds: 600 }),
        await start({ redisUrl: REDIS_URL, keyPrefix: redisPrefix }),
      ];
      const query = `{ hello } # shared ${randomUUID()}`;
      assert.equal((await post(a.url, { query, ...byHash(sha256(query)) })).status, 200);
      const redis = createClient({ url: REDIS_URL });
      await redis.connect();
      try {
        const key = `${redisPrefix}apq:${sha256(query)}`;
        await waitFor('the key in Redis', async () => (await redis.get(key)) === query);
        const ttl = await redis.ttl(key);
        assert.ok(ttl > 0 && ttl <= 600, `ttl ${ttl}`);
      } finally {
        await redis.close();
      }
      assert.deepEqual((await get(b.url, byHash(sha256(query)))).body, { data: { hello: 'world' } });
    });
  });

  test('APQ off: an unknown id gets 404 PERSISTED_QUERY_NOT_IN_LIST, an id with a query 400 CANNOT_SEND_PQ_ID_AND_BODY', async () => {
    const router = await start({ apq: false });
    const unknown = await post(router.url, byHash(sha256(UNKNOWN)));
    assert.equal(unknown.status, 404);
    assert.deepEqual(codes(unknown), ['PERSISTED_QUERY_NOT_IN_LIST']);
    const both = await post(router.url, { query: UNKNOWN, ...byHash(sha256(UNKNOWN)) });
    assert.equal(both.status, 400);
    assert.deepEqual(codes(both), ['CANNOT_SEND_PQ_ID_AND_BODY']);
    assert.deepEqual((await post(router.url, byHash(sha256(HELLO)))).body, { data: { hello: 'world' } }, 'manifest ids still resolve');
    assert.equal(subgraph.requests, 1);
  });

  describe('safelist', () => {
    test('a manifest id runs its body over POST and GET, variables and all, in every mode', async () => {
      for (const mode of ['off', 'log', 'safelist', 'id-only'] as const) {
        const router = await start({ modes: { default: mode } });
        const viaPost = await post(router.url, byHash(sha256(GREET), { variables: { name: mode } }));
        assert.deepEqual(viaPost.body, { data: { greet: `hi ${mode}` } }, mode);
        const viaGet = await get(router.url, byHash(sha256(HELLO), { operationName: 'Hello' }));
        assert.deepEqual(viaGet.body, { data: { hello: 'world' } }, mode);
      }
      assert.equal(subgraph.requests, 8);
    });

    test('safelist: a body in the manifest runs free-form (reformatted too); an unknown one gets 403 PERSISTED_QUERY_NOT_IN_LIST and no subgraph call', async () => {
      const router = await start({ modes: { default: 'safelist' } });
      assert.deepEqual((await post(router.url, { query: HELLO })).body, { data: { hello: 'world' } });
      assert.deepEqual((await post(router.url, { query: '# same operation\nquery Hello { hello }' })).body, { data: { hello: 'world' } });
      assert.equal(subgraph.requests, 2);

      const refused = await post(router.url, { query: UNKNOWN });
      assert.equal(refused.status, 403);
      assert.deepEqual(codes(refused), ['PERSISTED_QUERY_NOT_IN_LIST']);
      assert.equal(refused.body.errors?.[0]?.message, 'The operation body was not found in the persisted query safelist');
      assert.match(refused.headers.get('cache-control') ?? '', /no-cache/);
      const overGet = await get(router.url, { query: UNKNOWN });
      assert.equal(overGet.status, 403);
      assert.deepEqual(codes(overGet), ['PERSISTED_QUERY_NOT_IN_LIST']);
      assert.equal(subgraph.requests, 2);
    });

    test('safelist: an unknown id gets 404 PERSISTED_QUERY_NOT_IN_LIST without consulting APQ; registering gets 400 CANNOT_SEND_PQ_ID_AND_BODY', async () => {
      const store = { redisUrl: REDIS_URL, keyPrefix: redisPrefix };
      const open = await start({ ...store, modes: { default: 'off' } });
      const strict = await start({ ...store, modes: { default: 'safelist' } });
      // Registered through a client allowed to use APQ, in the store both routers share...
      assert.equal((await post(open.url, { query: UNKNOWN, ...byHash(sha256(UNKNOWN)) })).status, 200);
      assert.equal(subgraph.requests, 1);
      // ...it is still not a way around the safelist.
      const refused = await post(strict.url, byHash(sha256(UNKNOWN)));
      assert.equal(refused.status, 404);
      assert.deepEqual(codes(refused), ['PERSISTED_QUERY_NOT_IN_LIST']);
      assert.equal(refused.body.errors?.[0]?.message, `Persisted query '${sha256(UNKNOWN)}' not found in the persisted query list`);
      assert.match(refused.headers.get('cache-control') ?? '', /no-cache/);
      const registering = await post(strict.url, { query: UNKNOWN, ...byHash(sha256(UNKNOWN)) });
      assert.equal(registering.status, 400);
      assert.deepEqual(codes(registering), ['CANNOT_SEND_PQ_ID_AND_BODY']);
      assert.equal(subgraph.requests, 1);
    });

    test('safelist: introspection-only operations pass the list (the introspection policy decides them)', async () => {
      const router = await start({ modes: { default: 'safelist' } });
      const typename = await post(router.url, { query: '{ __typename }' });
      assert.deepEqual(typename.body, { data: { __typename: 'Query' } });
      const schema = await post(router.url, { query: '{ __schema { queryType { name } } }' });
      assert.equal(schema.status, 200, JSON.stringify(schema.body));
      assert.deepEqual(codes(await post(router.url, { query: '{ __typename hello }' })), ['PERSISTED_QUERY_NOT_IN_LIST']);
    });

    test('id-only: any free-form operation, even a safelisted one, gets 400 PERSISTED_QUERY_ID_REQUIRED and no subgraph call', async () => {
      const router = await start({ modes: { default: 'id-only' } });
      for (const query of [UNKNOWN, HELLO]) {
        const refused = await post(router.url, { query });
        assert.equal(refused.status, 400);
        assert.deepEqual(codes(refused), ['PERSISTED_QUERY_ID_REQUIRED']);
        assert.equal(refused.body.data, undefined);
      }
      const overGet = await get(router.url, { query: HELLO });
      assert.equal(overGet.status, 400);
      assert.deepEqual(codes(overGet), ['PERSISTED_QUERY_ID_REQUIRED']);
      assert.equal(subgraph.requests, 0);
      assert.deepEqual((await post(router.url, byHash(sha256(HELLO)))).body, { data: { hello: 'world' } });
    });

    test('a malformed persistedQuery extension is no way around the list', async () => {
      const store = { redisUrl: REDIS_URL, keyPrefix: redisPrefix };
      const open = await start({ ...store, modes: { default: 'off' } });
      const strict = await start({ ...store, modes: { default: 'id-only' } });
      const query = `{ hello } # ${randomUUID()}`;
      assert.equal((await post(open.url, { query, ...byHash(sha256(query)) })).status, 200); // registered in APQ
      assert.equal(subgraph.requests, 1);
      // Falsy: free-form for Apollo Server, so free-form here too.
      for (const persistedQuery of [false, 0, '']) {
        assert.deepEqual(
          codes(await post(strict.url, { query, extensions: { persistedQuery } })),
          ['PERSISTED_QUERY_ID_REQUIRED'],
          String(persistedQuery),
        );
      }
      // A hash that is not a string would be looked up in APQ as its string form.
      const array = await post(strict.url, { extensions: { persistedQuery: { version: 1, sha256Hash: [sha256(query)] } } });
      assert.equal(array.status, 400);
      assert.deepEqual(codes(array), ['BAD_REQUEST']);
      // Another version: refused with a code (Apollo Server's own refusal has none).
      const version = await post(strict.url, { query, extensions: { persistedQuery: { version: 2, sha256Hash: sha256(query) } } });
      assert.equal(version.status, 400);
      assert.deepEqual(codes(version), ['BAD_REQUEST']);
      assert.equal(subgraph.requests, 1);
    });

    test('modes per client, chosen by the apollographql-client-name header', async () => {
      const router = await start({ modes: { default: 'safelist', clients: { mobile: 'id-only', 'web-tooling': 'off' } } });
      const as = (client: string): Record<string, string> => ({ 'apollographql-client-name': client });
      assert.deepEqual(codes(await post(router.url, { query: HELLO }, as('mobile'))), ['PERSISTED_QUERY_ID_REQUIRED']);
      assert.deepEqual((await post(router.url, byHash(sha256(HELLO)), as('mobile'))).body, { data: { hello: 'world' } });
      assert.deepEqual((await post(router.url, { query: HELLO }, as('web'))).body, { data: { hello: 'world' } });
      assert.deepEqual(codes(await post(router.url, { query: UNKNOWN }, as('web'))), ['PERSISTED_QUERY_NOT_IN_LIST']);
      assert.deepEqual(codes(await post(router.url, { query: UNKNOWN })), ['PERSISTED_QUERY_NOT_IN_LIST']);
      assert.deepEqual((await post(router.url, { query: UNKNOWN }, as('web-tooling'))).body, {
        data: { hello: 'world', greet: 'hi free-form' },
      });
      assert.equal(subgraph.requests, 3);
    });

    test('log: unknown operations are served and logged (literals redacted); known ones are not logged', async () => {
      const { logger, lines } = capturingLogger();
      const router = await start({ modes: { default: 'log' } }, logger);
      const unknownLogs = () => lines.filter((line) => line.level === 'warn' && /unknown operation/.test(line.msg));
      assert.deepEqual((await post(router.url, { query: UNKNOWN }, { 'apollographql-client-name': 'web' })).body, {
        data: { hello: 'world', greet: 'hi free-form' },
      });
      assert.equal(unknownLogs().length, 1);
      assert.equal(unknownLogs()[0]!.fields.client, 'web');
      assert.equal(unknownLogs()[0]!.fields.body, '{ hello greet(name: "") }');
      assert.deepEqual((await post(router.url, { query: HELLO })).body, { data: { hello: 'world' } });
      assert.deepEqual((await post(router.url, byHash(sha256(GREET), { variables: { name: 'x' } }))).body, { data: { greet: 'hi x' } });
      assert.equal(unknownLogs().length, 1, 'operations in the list are not logged');
      // Registered through APQ, then found there: one line for both (once per client and operation per minute).
      const query = `{ hello } # ${randomUUID()}`;
      await post(router.url, { query, ...byHash(sha256(query)) });
      await post(router.url, byHash(sha256(query)));
      assert.equal(unknownLogs().length, 2);
      assert.equal(unknownLogs()[1]!.fields.repeats, 0);
      // The same unknown operation again and again: served every time, logged once per interval.
      for (let i = 0; i < 5; i += 1) await post(router.url, { query: UNKNOWN }, { 'apollographql-client-name': 'web' });
      assert.equal(unknownLogs().length, 2);
      assert.equal(subgraph.requests, 10);
    });

    test('log lines of unknown operations: once per key and interval, with the repeats held back; bounded keys', () => {
      let now = 0;
      const throttle = new LogThrottle(60_000, 2, () => now);
      assert.equal(throttle.take('web:a'), 0);
      assert.equal(throttle.take('web:a'), undefined);
      assert.equal(throttle.take('web:a'), undefined);
      assert.equal(throttle.take('mobile:a'), 0, 'another client is another key');
      now = 60_000;
      assert.equal(throttle.take('web:a'), 2, 'after the interval: logged, with the two held back');
      assert.equal(throttle.take('web:b'), 0); // a third key pushes out the least recently logged (mobile:a)
      assert.equal(throttle.take('mobile:a'), 0, 'forgotten, so logged again at once');
      assert.equal(throttle.take('web:b'), undefined);
      const everyTime = new LogThrottle(0, 10, () => now);
      assert.deepEqual([everyTime.take('x'), everyTime.take('x')], [0, 0], 'interval 0: every time');
    });

    test('a batch with one refused entry is refused whole, one error per refused entry, before any subgraph call', async () => {
      const router = await start({ modes: { default: 'safelist' } });
      const refused = await post(router.url, [{ query: HELLO }, { query: UNKNOWN }, byHash(sha256(GREET), { variables: { name: 'b' } })]);
      assert.equal(refused.status, 403);
      assert.deepEqual(codes(refused), ['PERSISTED_QUERY_NOT_IN_LIST']);
      assert.equal(subgraph.requests, 0);
      const passed = await post(router.url, [{ query: HELLO }, byHash(sha256(GREET), { variables: { name: 'b' } })]);
      assert.deepEqual(passed.body, [{ data: { hello: 'world' } }, { data: { greet: 'hi b' } }]);
    });
  });

  describe('manifest reloads', () => {
    test('watched: a new operation is allowed without a restart; a broken manifest keeps the old list', async () => {
      const watched = join(await mkdtemp(join(dir, 'watched-')), 'mobile.json');
      await writeFile(watched, manifest(HELLO));
      const { logger, lines } = capturingLogger();
      const router = await start({ manifests: [watched], watch: true, modes: { default: 'id-only' } }, logger);
      assert.deepEqual(codes(await post(router.url, byHash(sha256(ADDED)))), ['PERSISTED_QUERY_NOT_IN_LIST']);

      await writeFile(watched, manifest(HELLO, ADDED));
      await waitFor('the new operation', async () => (await post(router.url, byHash(sha256(ADDED)))).status === 200);
      assert.deepEqual((await post(router.url, byHash(sha256(ADDED)))).body, { data: { hello: 'world', greet: 'hi added' } });

      await writeFile(watched, '{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [ broken');
      await waitFor('the broken manifest to be rejected', () =>
        lines.some((line) => line.level === 'error' && /manifest rejected/.test(line.msg)),
      );
      assert.deepEqual((await post(router.url, byHash(sha256(ADDED)))).body, { data: { hello: 'world', greet: 'hi added' } });
      assert.deepEqual((await post(router.url, byHash(sha256(HELLO)))).body, { data: { hello: 'world' } });
    });

    test('on the reload signal (SIGHUP in production), without a watch', async () => {
      const signalled = join(await mkdtemp(join(dir, 'signalled-')), 'web.json');
      await writeFile(signalled, manifest(HELLO));
      const router = await start({ manifests: [signalled], reloadSignal: 'SIGHUP', modes: { default: 'safelist' } });
      // a router that watches the same file shows when the change could have been seen
      const watching = await start({ manifests: [signalled], watch: true, modes: { default: 'safelist' } });
      await writeFile(signalled, manifest(HELLO, ADDED));
      await waitFor('the watching router to reload', async () => (await post(watching.url, { query: ADDED })).status === 200);
      assert.deepEqual(
        codes(await post(router.url, { query: ADDED })),
        ['PERSISTED_QUERY_NOT_IN_LIST'],
        'not watched: unchanged until the signal',
      );
      process.emit('SIGHUP', 'SIGHUP');
      await waitFor('the reload after SIGHUP', async () => (await post(router.url, { query: ADDED })).status === 200);
    });

    test('a missing or invalid manifest stops the start with a one-line ConfigError', async () => {
      await assert.rejects(
        start({ manifests: [join(dir, 'missing.json')] }),
        (error: unknown) => error instanceof ConfigError && /missing\.json/.test(error.message),
      );
      const bad = join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'x' }] }));
      await assert.rejects(
        start({ manifests: [bad] }),
        (error: unknown) => error instanceof ConfigError && /bad\.json: operations\[0\]/.test(error.message),
      );
    });
  });

  describe('configuration from the environment (main.ts)', () => {
    const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [main], {
        env: { PATH: process.env.PATH ?? '', ROUTER_SHARED_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', ...env },
        encoding: 'utf8',
        timeout: 20_000,
      });
    const cases: [Record<string, string>, RegExp][] = [
      [
        { PERSISTED_QUERIES_MODE: 'strict' },
        /^configuration error: PERSISTED_QUERIES_MODE must be one of off, log, safelist, id-only, got "strict"\n$/,
      ],
      [
        { PERSISTED_QUERIES_CLIENT_MODES: 'mobile=id-only,web' },
        /^configuration error: PERSISTED_QUERIES_CLIENT_MODES must be client=mode pairs/,
      ],
      [
        { PERSISTED_QUERIES_CLIENT_MODES: 'mobile=require-id' },
        /^configuration error: PERSISTED_QUERIES_CLIENT_MODES must be client=mode pairs/,
      ],
      [
        { PERSISTED_QUERIES_MANIFEST: 'schema/persisted-queries/nope.json' },
        /^configuration error: PERSISTED_QUERIES_MANIFEST: no manifest at .*nope\.json/,
      ],
      [{ APQ_ENABLED: 'maybe' }, /^configuration error: APQ_ENABLED must be true or false/],
      [{ APQ_TTL_SECONDS: '-1' }, /^configuration error: APQ_TTL_SECONDS must be a whole number/],
    ];
    for (const [env, expected] of cases) {
      test(`${Object.entries(env)
        .map(([key, value]) => `${key}=${value}`)
        .join(' ')} stops the router with one line`, () => {
        const result = run(env);
        assert.equal(result.status, 1, result.stderr);
        assert.match(result.stderr, expected);
        assert.equal(result.stderr.trim().split('\n').length, 1);
      });
    }
  });
});
