import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { generateKeyPair } from 'jose';
import { readClientAddress, readPrincipal, waitFor, type Logger } from '@commerce/kit';
import { listenOnAnyPort, routerOptions, startIssuer, type Issuer, TEST_SECRET, testLogger } from './support.js';
import { startRouter, type RouterOptions, type RunningRouter } from '../src/index.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

/** A one-field-per-version subgraph: it always serves every field, the supergraph decides what is exposed. */
function subgraphSdl(fields: string[]): string {
  return `${LINK}\ntype Query {\n${fields.map((field) => `  ${field}: String!`).join('\n')}\n}`;
}

function supergraphFor(fields: string[]): string {
  // The URL in the supergraph is deliberately unreachable: the router must use the override.
  const result = composeServices([{ name: 'things', url: 'http://unreachable.invalid/graphql', typeDefs: parse(subgraphSdl(fields)) }]);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
  return result.supergraphSdl;
}

interface Subgraph {
  url: string;
  received: IncomingHttpHeaders[];
  stop(): Promise<void>;
}

async function startSubgraph(): Promise<Subgraph> {
  const received: IncomingHttpHeaders[] = [];
  const schema = buildSubgraphSchema({
    typeDefs: parse(subgraphSdl(['hello', 'goodbye', 'later'])),
    resolvers: { Query: { hello: () => 'world', goodbye: () => 'moon', later: () => 'soon' } },
  });
  const server = new ApolloServer({ schema });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => {
      received.push(req.headers);
      return {};
    },
  });
  return { url, received, stop: () => server.stop() };
}

async function post(url: string, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  // Shape of a GraphQL response; only what the tests look at.
  const body = (await response.json()) as {
    data?: Record<string, unknown>;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  return { status: response.status, body };
}

describe('router', () => {
  let subgraph: Subgraph;
  let issuer: Issuer;
  let dir: string;
  let router: RunningRouter;

  const options = (overrides: Partial<RouterOptions>): RouterOptions =>
    routerOptions({
      supergraphPath: join(dir, 'supergraph.graphql'),
      jwksUrl: issuer.jwksUrl,
      subgraphUrls: { things: subgraph.url },
      ...overrides,
    });

  before(async () => {
    subgraph = await startSubgraph();
    issuer = await startIssuer('test-key-1');
    dir = await mkdtemp(join(tmpdir(), 'router-test-'));
    await writeFile(join(dir, 'supergraph.graphql'), supergraphFor(['hello']));
    router = await startRouter(options({}));
  });

  after(async () => {
    await router?.close();
    await issuer?.stop();
    await subgraph?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    subgraph.received.length = 0;
  });

  test('a query flows through to the subgraph (URL taken from the override)', async () => {
    const { status, body } = await post(router.url, '{ hello }');
    assert.equal(status, 200);
    assert.deepEqual(body, { data: { hello: 'world' } });
    assert.equal(subgraph.received.length, 1);
    assert.equal(router.supergraphVersion(), 1);
  });

  test('GET /graphql works for queries (with a CSRF preflight header)', async () => {
    const response = await fetch(`${router.url}?query=${encodeURIComponent('{ hello }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { data: { hello: 'world' } });
  });

  test('CSRF prevention stays on: a simple GET without a preflight header is refused', async () => {
    const response = await fetch(`${router.url}?query=${encodeURIComponent('{ hello }')}`);
    assert.equal(response.status, 400);
    assert.equal(subgraph.received.length, 0);
  });

  test('a valid token reaches the subgraph as signed principal headers, never as the token', async () => {
    const token = await issuer.sign({ sub: 'user-7', role: 'vendor_staff', vendor: 'vendor-3', scope: 'catalog:write stock:read' });
    const { status, body } = await post(router.url, '{ hello }', { authorization: `Bearer ${token}` });
    assert.equal(status, 200);
    assert.deepEqual(body, { data: { hello: 'world' } });
    assert.equal(subgraph.received.length, 1);
    const [headers] = subgraph.received;
    assert.ok(headers);
    assert.equal(headers.authorization, undefined);
    assert.deepEqual(readPrincipal(headers, TEST_SECRET), {
      userId: 'user-7',
      role: 'vendor_staff',
      vendorId: 'vendor-3',
      scopes: ['catalog:write', 'stock:read'],
    });
    assert.throws(() => readPrincipal(headers, 'another-secret-that-is-long-enough-xxxxxx'));
  });

  test('a customer token without vendor or scope gives an empty scope list', async () => {
    const token = await issuer.sign({ sub: 'user-1', role: 'customer' });
    const { status } = await post(router.url, '{ hello }', { authorization: `Bearer ${token}` });
    assert.equal(status, 200);
    const [headers] = subgraph.received;
    assert.ok(headers);
    assert.deepEqual(readPrincipal(headers, TEST_SECRET), { userId: 'user-1', role: 'customer', vendorId: undefined, scopes: [] });
  });

  test('no token: anonymous, no principal headers', async () => {
    const { status } = await post(router.url, '{ hello }');
    assert.equal(status, 200);
    assert.equal(subgraph.received.length, 1);
    const [headers] = subgraph.received;
    assert.ok(headers);
    assert.equal(readPrincipal(headers, TEST_SECRET), undefined);
    assert.equal(headers['x-commerce-principal'], undefined);
    // the client's address goes along, signed: identity throttles log-ins by it
    assert.match(readClientAddress(headers, TEST_SECRET) ?? '', /127\.0\.0\.1$/);
    assert.throws(() => readClientAddress(headers, 'another-secret-that-is-long-enough-xxxxxx'));
  });

  const refused: [string, () => Promise<string>][] = [
    [
      'forged (signed by another key)',
      async () => {
        const { privateKey } = await generateKeyPair('EdDSA');
        return `Bearer ${await issuer.sign({ sub: 'user-7', role: 'admin' }, { key: privateKey })}`;
      },
    ],
    [
      'expired',
      async () => `Bearer ${await issuer.sign({ sub: 'user-7', role: 'customer' }, { expiresAt: Math.floor(Date.now() / 1000) - 60 })}`,
    ],
    ['garbage', async () => 'Bearer not-a-jwt'],
    ['not a bearer token', async () => 'Basic dXNlcjpwYXNz'],
    ['an unknown role', async () => `Bearer ${await issuer.sign({ sub: 'user-7', role: 'superuser' })}`],
    ['missing sub', async () => `Bearer ${await issuer.sign({ role: 'customer' })}`],
  ];
  for (const [name, authorization] of refused) {
    test(`token ${name}: 401 UNAUTHENTICATED and no subgraph call`, async () => {
      const { status, body } = await post(router.url, '{ hello }', { authorization: await authorization() });
      assert.equal(status, 401);
      assert.deepEqual(Object.keys(body), ['errors']);
      assert.equal(body.errors?.length, 1);
      assert.deepEqual(Object.keys(body.errors?.[0] ?? {}), ['message', 'extensions']);
      assert.deepEqual(body.errors?.[0]?.extensions, { code: 'UNAUTHENTICATED' });
      assert.equal(subgraph.received.length, 0);
    });
  }

  test('key set unreachable: a token is refused with 503, anonymous requests still work', async () => {
    const closed = createServer();
    const jwksUrl = `${await listenOnAnyPort(closed)}/.well-known/jwks.json`;
    await new Promise((resolve) => closed.close(resolve));
    const isolated = await startRouter(options({ jwksUrl }));
    try {
      const token = await issuer.sign({ sub: 'user-7', role: 'customer' });
      const refused = await post(isolated.url, '{ hello }', { authorization: `Bearer ${token}` });
      assert.equal(refused.status, 503);
      assert.equal(subgraph.received.length, 0);
      assert.equal((await post(isolated.url, '{ hello }')).status, 200);
    } finally {
      await isolated.close();
    }
  });

  test('a malformed JSON body is a JSON 400, not an HTML page', async () => {
    const response = await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' });
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  });

  test('health endpoints', async () => {
    const live = await fetch(`${router.baseUrl}/health/live`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: 'ok' });
    const ready = await fetch(`${router.baseUrl}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ok' });
  });

  test('watched supergraph: an edit adds a field; a broken file keeps the old schema serving', async () => {
    const path = join(dir, 'watched.graphql');
    await writeFile(path, supergraphFor(['hello']));
    const logger = testLogger();
    const rejected: unknown[] = [];
    const logError = logger.error.bind(logger);
    logger.error = ((...args: Parameters<Logger['error']>) => {
      if (args[1] === 'new supergraph rejected; keeping the current one') rejected.push(args[0]);
      logError(...args);
    }) as Logger['error'];
    const watched = await startRouter(options({ supergraphPath: path, watchSupergraph: true, logger }));
    try {
      assert.equal(watched.supergraphVersion(), 1);
      const before = await post(watched.url, '{ goodbye }');
      assert.equal(before.status, 400);
      assert.equal(before.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');

      await writeFile(path, supergraphFor(['hello', 'goodbye']));
      await waitFor('the edited supergraph to load', () => watched.supergraphVersion() === 2);
      assert.deepEqual((await post(watched.url, '{ hello goodbye }')).body, { data: { hello: 'world', goodbye: 'moon' } });

      await writeFile(path, 'this is not a supergraph {');
      await waitFor('the broken supergraph to be rejected', () => rejected.length === 1);
      assert.equal(watched.supergraphVersion(), 2);
      assert.deepEqual((await post(watched.url, '{ hello goodbye }')).body, { data: { hello: 'world', goodbye: 'moon' } });
      assert.equal((await fetch(`${watched.baseUrl}/health/ready`)).status, 200);

      // The watch survives a rejected file.
      await writeFile(path, supergraphFor(['hello', 'goodbye', 'later']));
      await waitFor('the repaired supergraph to load', () => watched.supergraphVersion() === 3);
      assert.deepEqual((await post(watched.url, '{ later }')).body, { data: { later: 'soon' } });
    } finally {
      await watched.close();
    }
  });

  test('a router over a broken supergraph does not start', async () => {
    const path = join(dir, 'broken.graphql');
    await writeFile(path, 'type Query { nope: String }');
    await assert.rejects(startRouter(options({ supergraphPath: path })));
  });
});
