import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { createLogger, readPrincipal, waitFor, type Logger, type Principal } from '@commerce/kit';
import type { RouterContext } from '../src/context.js';
import { SubgraphSource } from '../src/subgraph-source.js';
import {
  listenOnAnyPort,
  postQuery,
  TEST_SECRET,
  testLogger,
  startIssuer,
  startStubSubgraph,
  startTestRouter,
  type Issuer,
  type StubSubgraph,
  type TestRouter,
} from './support.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';
const SHOP_SDL = `${LINK}
type Query { products: [String!]! }
type Mutation { buy: String! checkout: Order! }
type Subscription { ticked: Int! counted: Int! }
type Order @key(fields: "id") { id: ID! }`;
// Served by servers that fail on purpose (never answer, answer 503, or are stopped).
const PAYMENTS_SDL = `${LINK}
type Query { balance: Int }
type Mutation { pay: String }
type Order @key(fields: "id") { id: ID! payment: String }`;

type ErrorBody = { message: string; extensions?: Record<string, unknown> };
type Result = { data?: Record<string, unknown> | null; errors?: ErrorBody[] };

/** A logger silent below warn whose lines (every child's) are kept, to assert nothing was logged as an error. */
function capturingLogger(): { logger: Logger; lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const logger = createLogger('errors-test', 'warn', {
    write: (line: string) => void lines.push(JSON.parse(line) as { level: string; msg: string }),
  });
  return { logger, lines };
}

/** An HTTP server standing in for a subgraph, answering (or not) as `handle` does. */
async function rawSubgraph(name: string, sdl: string, handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handle);
  const url = `${await listenOnAnyPort(server)}/graphql`;
  return {
    subgraph: { name, sdl, url } as StubSubgraph, // startTestRouter composes from name, SDL and URL only
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One operation over graphql-ws: what arrived, and the error (a refusal is a list of GraphQL errors). */
async function overWebSocket(router: TestRouter, query: string, connectionParams: Record<string, unknown> = {}) {
  const client: Client = createClient({
    url: router.router.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
  });
  const received: Result[] = [];
  try {
    const error = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query },
        { next: (value) => void received.push(value as Result), error: resolve, complete: () => resolve(undefined) },
      );
    });
    return { received, errors: error as ErrorBody[] | undefined };
  } finally {
    await client.dispose();
  }
}

async function overSse(router: TestRouter, query: string) {
  const response = await fetch(`${router.router.baseUrl}/graphql/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** The `next` events of a finished SSE stream, and whether it completed. */
function sseEvents(text: string): { next: Result[]; completed: boolean } {
  const next = [...text.matchAll(/event: next\ndata: (.*)\n/g)].map((match) => JSON.parse(match[1]!) as Result);
  return { next, completed: /event: complete\n/.test(text) };
}

describe('router errors a client can act on', () => {
  let issuer: Issuer;
  let shop: StubSubgraph;
  let router: TestRouter;
  const capture = capturingLogger();

  before(async () => {
    issuer = await startIssuer();
    shop = await startStubSubgraph('shop', SHOP_SDL, {
      Query: { products: () => ['tent'] },
      Mutation: { buy: () => 'bought', checkout: () => ({ id: 'o1' }) },
      Subscription: {
        ticked: {
          subscribe: async function* () {
            yield { ticked: 1 };
          },
        },
        counted: {
          subscribe: async function* () {
            for (let count = 1; ; count += 1) {
              yield { counted: count };
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          },
        },
      },
    });
    router = await startTestRouter([shop], issuer, { limits: { introspection: 'scope' }, logger: capture.logger });
  });

  after(async () => {
    await router?.stop();
    await shop?.stop();
    await issuer?.stop();
  });

  describe('field suggestions are masked on every transport for callers who may not introspect', () => {
    const MISTYPED = '{ produts }';
    const assertNoSuggestion = (errors: ErrorBody[] | undefined) => {
      assert.ok(errors?.length, 'an error');
      assert.equal(errors[0]!.message, 'Cannot query field "produts" on type "Query".');
      assert.equal(errors[0]!.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    };

    test('HTTP POST and GET', async () => {
      const posted = await postQuery(router.router.url, MISTYPED);
      assert.equal(posted.status, 400);
      assertNoSuggestion(posted.body.errors);
      const got = await fetch(`${router.router.url}?query=${encodeURIComponent(MISTYPED)}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      assert.equal(got.status, 400);
      assertNoSuggestion(((await got.json()) as Result).errors);
    });

    test('WebSocket (graphql-ws): a query and a subscription', async () => {
      assertNoSuggestion((await overWebSocket(router, MISTYPED)).errors);
      const subscription = await overWebSocket(router, 'subscription { tickd }');
      assert.deepEqual(
        subscription.errors?.map((error) => [error.message, error.extensions?.code]),
        [['Cannot query field "tickd" on type "Subscription".', 'GRAPHQL_VALIDATION_FAILED']],
      );
    });

    test('a masked subscription stream still ends when the client leaves, releasing its upstream', async () => {
      const client = createClient({ url: router.router.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
      try {
        const received: Result[] = [];
        const unsubscribe = client.subscribe(
          { query: 'subscription { counted }' },
          { next: (value) => void received.push(value as Result), error: () => {}, complete: () => {} },
        );
        await waitFor('two events', () => received.length >= 2);
        assert.deepEqual(received[0], { data: { counted: 1 } });
        unsubscribe();
        await waitFor(
          'the subscription released',
          () => router.router.subscriptionStats().subscribers === 0 && router.router.subscriptionStats().upstreams === 0,
        );
      } finally {
        await client.dispose();
      }
    });

    test('SSE (graphql-sse)', async () => {
      const refused = await overSse(router, MISTYPED);
      assert.equal(refused.status, 400);
      assertNoSuggestion((JSON.parse(refused.text) as Result).errors);
    });

    test('a caller with schema:read still gets them, on WebSocket as over HTTP', async () => {
      const token = await issuer.sign({ sub: 'partner-1', role: 'partner', scope: 'schema:read' });
      const suggested = 'Cannot query field "produts" on type "Query". Did you mean "products"?';
      assert.equal((await postQuery(router.router.url, MISTYPED, { token })).body.errors?.[0]?.message, suggested);
      assert.equal((await overWebSocket(router, MISTYPED, { authorization: `Bearer ${token}` })).errors?.[0]?.message, suggested);
    });
  });

  test('a subscription sent as a plain HTTP POST: 400 saying where subscriptions go; nothing reaches the subgraph', async () => {
    shop.requests = 0;
    const { status, body } = await postQuery(router.router.url, 'subscription { ticked }');
    assert.equal(status, 400);
    assert.equal(body.errors?.length, 1);
    assert.equal(body.errors[0]!.extensions?.code, 'SUBSCRIPTION_OVER_HTTP_NOT_SUPPORTED');
    assert.match(body.errors[0]!.message, /WebSocket \(graphql-ws protocol\) on \/graphql/);
    assert.match(body.errors[0]!.message, /Server-Sent Events \(graphql-sse protocol\) on \/graphql\/stream/);
    assert.equal(shop.requests, 0);
    const metrics = await (await fetch(`${router.router.baseUrl}/metrics`)).text();
    assert.match(metrics, /router_rejections_total\{code="SUBSCRIPTION_OVER_HTTP_NOT_SUPPORTED"\} 1/, 'counted as a policy refusal');
    // The same subscription over the WebSocket runs.
    assert.deepEqual((await overWebSocket(router, 'subscription { ticked }')).received, [{ data: { ticked: 1 } }]);
  });

  test('APQ with an unsupported version: 400 BAD_REQUEST "Unsupported persisted query version"', async () => {
    for (const persistedQuery of [
      { version: 2, sha256Hash: 'abc' },
      { version: '1', sha256Hash: 'abc' },
    ]) {
      const response = await fetch(router.router.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ products }', extensions: { persistedQuery } }),
      });
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), {
        errors: [{ message: 'Unsupported persisted query version', extensions: { code: 'BAD_REQUEST' } }],
      });
    }
  });

  test('SSE: a result with errors only arrives as next and complete, with its code', async () => {
    const { status, contentType, text } = await overSse(router, '{ __schema { queryType { name } } }');
    assert.equal(status, 200);
    assert.match(contentType, /text\/event-stream/);
    assert.deepEqual(sseEvents(text), {
      next: [{ errors: [{ message: 'introspection has been disabled', extensions: { code: 'INTROSPECTION_DISABLED' } }] }],
      completed: true,
    });
  });

  test("none of the client's mistakes above was logged as an error", () => {
    assert.deepEqual(
      capture.lines.filter((line) => line.level === 'error' || line.level === 'fatal'),
      [],
    );
  });

  describe('failed subgraph fetches', () => {
    const capture = capturingLogger();
    let frozen: Awaited<ReturnType<typeof rawSubgraph>>;
    let failing: Awaited<ReturnType<typeof rawSubgraph>>;
    let stopped: Awaited<ReturnType<typeof rawSubgraph>>;
    let garbled: Awaited<ReturnType<typeof rawSubgraph>>;
    let garbledAnswer: { type: string; body: string } = { type: 'text/html', body: '<html>proxy error</html>' };
    let toGarbled: TestRouter;
    let toFrozen: TestRouter;
    let toFailing: TestRouter;
    let toStopped: TestRouter;
    const held: ServerResponse[] = [];

    before(async () => {
      // Reads the request and never answers: a subgraph stopped with SIGSTOP, or stuck.
      frozen = await rawSubgraph('payments', PAYMENTS_SDL, (req, res) => {
        req.resume();
        held.push(res);
      });
      failing = await rawSubgraph('payments', PAYMENTS_SDL, (req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream connect error: secret internal detail'));
      });
      stopped = await rawSubgraph('payments', PAYMENTS_SDL, () => {});
      garbled = await rawSubgraph('payments', PAYMENTS_SDL, (req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(200, { 'content-type': garbledAnswer.type }).end(garbledAnswer.body));
      });
      const options = { logger: capture.logger, subgraphTimeouts: { defaultMs: 20_000, bySubgraph: { payments: 300 } } };
      toFrozen = await startTestRouter([shop, frozen.subgraph], issuer, options);
      toFailing = await startTestRouter([shop, failing.subgraph], issuer, options);
      toStopped = await startTestRouter([shop, stopped.subgraph], issuer, options);
      toGarbled = await startTestRouter([shop, garbled.subgraph], issuer, options);
      await stopped.stop(); // its port now refuses connections
    });

    after(async () => {
      await Promise.all([toFrozen?.stop(), toFailing?.stop(), toStopped?.stop(), toGarbled?.stop()]);
      await Promise.all([frozen?.stop(), failing?.stop(), garbled?.stop()]);
    });

    test("a subgraph that never answers: SUBREQUEST_TIMEOUT within its timeout, the other subgraph's data kept", async () => {
      const started = Date.now();
      const { status, body } = await postQuery(toFrozen.router.url, '{ products balance }');
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 300 && elapsed < 3000, `answered after ${elapsed} ms (timeout 300 ms, default 20 s)`);
      assert.equal(status, 200);
      assert.deepEqual(body.data, { products: ['tent'], balance: null });
      assert.deepEqual(body.errors, [
        {
          message: "Subgraph 'payments' did not answer in time (no answer within 300 ms)",
          extensions: { code: 'SUBREQUEST_TIMEOUT', service: 'payments', reason: 'no answer within 300 ms', retrySafe: true },
        },
      ]);
      assert.ok(held.length >= 1, 'the request reached the frozen subgraph');
    });

    test('a timed-out mutation is not safe to retry (it may have been applied)', async () => {
      const { body } = await postQuery(toFrozen.router.url, 'mutation { pay }');
      assert.deepEqual(body.data, { pay: null });
      assert.equal(body.errors?.[0]?.extensions?.code, 'SUBREQUEST_TIMEOUT');
      assert.equal(body.errors?.[0]?.extensions?.retrySafe, false);
    });

    test('a subgraph answering 503: SUBREQUEST_HTTP_ERROR with the status, not its body', async () => {
      const { status, body } = await postQuery(toFailing.router.url, '{ products balance }');
      assert.equal(status, 200);
      assert.deepEqual(body, {
        data: { products: ['tent'], balance: null },
        errors: [
          {
            message: "HTTP fetch failed from 'payments': 503: Service Unavailable",
            extensions: { code: 'SUBREQUEST_HTTP_ERROR', service: 'payments', reason: '503: Service Unavailable', retrySafe: true },
          },
        ],
      });
      const mutation = await postQuery(toFailing.router.url, 'mutation { pay }');
      assert.equal(mutation.body.errors?.[0]?.extensions?.code, 'SUBREQUEST_HTTP_ERROR');
      assert.equal(mutation.body.errors?.[0]?.extensions?.retrySafe, false, 'the subgraph received it');
    });

    test('a 2xx answer that is not GraphQL JSON: SUBREQUEST_MALFORMED_RESPONSE', async () => {
      for (const answer of [
        { type: 'text/html', body: '<html>proxy error</html>' },
        { type: 'application/json', body: '{"data": ' },
      ]) {
        garbledAnswer = answer;
        const { status, body } = await postQuery(toGarbled.router.url, '{ products balance }');
        assert.equal(status, 200);
        assert.deepEqual(body.data, { products: ['tent'], balance: null }, answer.type);
        assert.deepEqual(body.errors, [
          {
            message: "HTTP fetch failed from 'payments': the answer is not a GraphQL JSON response",
            extensions: {
              code: 'SUBREQUEST_MALFORMED_RESPONSE',
              service: 'payments',
              reason: 'the answer is not a GraphQL JSON response',
              retrySafe: true,
            },
          },
        ]);
      }
    });

    test('an unreachable subgraph: SUBGRAPH_UNAVAILABLE, safe to retry even for a mutation (it never got it)', async () => {
      const query = await postQuery(toStopped.router.url, '{ products balance }');
      assert.deepEqual(query.body, {
        data: { products: ['tent'], balance: null },
        errors: [
          {
            message: "Subgraph 'payments' is unavailable (connection refused)",
            extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'payments', reason: 'connection refused', retrySafe: true },
          },
        ],
      });
      const mutation = await postQuery(toStopped.router.url, 'mutation { pay }');
      assert.deepEqual(
        mutation.body.errors?.map((error) => [error.extensions?.code, error.extensions?.retrySafe]),
        [['SUBGRAPH_UNAVAILABLE', true]],
      );
    });

    test('a mutation whose earlier field ran on another subgraph is not safe to retry, even if this one was refused', async () => {
      const { body } = await postQuery(toStopped.router.url, 'mutation { buy pay }');
      assert.deepEqual(body.data, { buy: 'bought', pay: null });
      assert.deepEqual(
        body.errors?.map((error) => [error.extensions?.code, error.extensions?.retrySafe]),
        [['SUBGRAPH_UNAVAILABLE', false]],
      );
    });

    test('a committed mutation whose result needs an unreachable subgraph: its data, and an error saying not to retry', async () => {
      const { status, body } = await postQuery(toStopped.router.url, 'mutation { checkout { id payment } }');
      assert.equal(status, 200);
      assert.deepEqual(body.data, { checkout: { id: 'o1', payment: null } });
      assert.deepEqual(
        body.errors?.map((error) => [error.extensions?.code, error.extensions?.service, error.extensions?.retrySafe]),
        [['SUBGRAPH_UNAVAILABLE', 'payments', false]],
      );
    });

    test('over WebSocket and SSE the same codes arrive', async () => {
      const ws = await overWebSocket(toStopped, '{ products balance }');
      assert.equal(ws.received[0]?.errors?.[0]?.extensions?.code, 'SUBGRAPH_UNAVAILABLE');
      const sse = sseEvents((await overSse(toStopped, '{ balance }')).text);
      assert.equal(sse.completed, true);
      assert.deepEqual(
        sse.next[0]?.errors?.map((error) => error.extensions?.code),
        ['SUBGRAPH_UNAVAILABLE'],
      );
    });

    test('logged as warnings (throttled per subgraph and code), never as errors', async () => {
      await waitFor('the warning', () => capture.lines.some((line) => line.msg === 'subgraph fetch failed'));
      const failures = capture.lines.filter((line) => line.msg === 'subgraph fetch failed');
      assert.ok(failures.every((line) => line.level === 'warn'));
      assert.deepEqual(
        capture.lines.filter((line) => line.level === 'error' || line.level === 'fatal'),
        [],
      );
    });
  });
});

describe('subgraph timeouts from the environment (main.ts)', () => {
  const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');
  const cases: [Record<string, string>, RegExp][] = [
    [
      { ROUTER_SUBGRAPH_TIMEOUT_MS: '0' },
      /^configuration error: ROUTER_SUBGRAPH_TIMEOUT_MS must be a whole number from 1 to 600000, got "0"\n$/,
    ],
    [{ ROUTER_SUBGRAPH_TIMEOUT_MS: '30s' }, /^configuration error: ROUTER_SUBGRAPH_TIMEOUT_MS must be a whole number/],
    [{ SUBGRAPH_PAYMENTS_TIMEOUT_MS: '-5' }, /^configuration error: SUBGRAPH_PAYMENTS_TIMEOUT_MS must be a whole number from 1 to 600000/],
  ];
  for (const [env, expected] of cases) {
    test(`${Object.entries(env)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')} stops the router with one line`, () => {
      const result = spawnSync(process.execPath, [main], {
        env: { PATH: process.env.PATH ?? '', ROUTER_SHARED_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', ...env },
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, expected);
    });
  }
});

test("a long-lived context (a subscription's) is signed anew before subgraphs would refuse its principal as stale", (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-12-04T12:00:00Z') });
  const source = new SubgraphSource({ url: 'http://127.0.0.1:9/graphql', name: 'shop', routerSecret: TEST_SECRET, logger: testLogger() });
  const principal: Principal = { userId: 'u1', role: 'customer', vendorId: undefined, scopes: [] };
  const context: RouterContext = { principal };
  const fetchHeaders = () => {
    const headers = new Map<string, string>();
    const options = { request: { query: '{ products }', http: { method: 'POST', url: '', headers } }, context };
    source.willSendRequest(options as unknown as GraphQLDataSourceProcessOptions<RouterContext>); // only the fields it reads
    return Object.fromEntries(headers);
  };
  const first = fetchHeaders();
  assert.deepEqual(fetchHeaders(), first, 'one signature per request');
  t.mock.timers.tick(6 * 60_000); // events keep coming for the same subscription
  const later = fetchHeaders();
  assert.throws(() => readPrincipal(first, TEST_SECRET), /stale/);
  assert.deepEqual(readPrincipal(later, TEST_SECRET), principal);
});
