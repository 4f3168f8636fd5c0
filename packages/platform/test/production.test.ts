import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  createLogger,
  demoData,
  InProcessPubSub,
  openDatabase,
  REPO_ROOT,
  requireTestRedis,
  SharedResources,
  waitFor,
} from '@commerce/kit';
import { SUBGRAPHS } from '../src/subgraphs.js';
import { createPostgresDatabases, testMode } from '../src/testing.js';

before(requireTestRedis); // fails at once, with one line, when Redis is not running

/**
 * Production mode as an operator runs it: migrations with the per-service command, then one OS process per
 * subgraph and one for the router, configured only by environment variables.
 */
const SECRET = 'production-test-shared-secret-0123456789';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ORDERS_KEYS = `test-${process.pid}:${randomBytes(32).toString('base64')}`;
const IDENTITY_KEYS = `test-${process.pid}:${randomBytes(32).toString('base64')}`;
// One namespace per run in the shared Redis: pub/sub channels, rate-limit buckets, APQ entries.
const RUN = `prod-${process.pid}-${Date.now().toString(36)}`;
const REDIS_ENV = {
  REDIS_URL,
  PUBSUB_CHANNEL_PREFIX: `${RUN}:ps:`,
  RATE_LIMIT_KEY_PREFIX: `${RUN}:rl:`,
  APQ_KEY_PREFIX: `${RUN}:pq:`,
  EVENTS_STREAM_PREFIX: `${RUN}:ev:`,
  // quick takeover of a killed consumer's messages, quick saga step retries (the crash test)
  EVENTS_CLAIM_IDLE_MS: '3000',
  EVENTS_RETRY_MAX_MS: '2000',
  EVENTS_BLOCK_MS: '200',
  ORDERS_SAGA_STEP_TIMEOUT_MS: '3000',
};

interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: { traceId: string; name: string }[] }[];
  }[];
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`process exited early: ${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never became ready: ${output()}`);
}

describe(`production mode, one process per service (${testMode()})`, () => {
  const processes: ChildProcess[] = [];
  const dataRoot = mkdtempSync(join(tmpdir(), 'commerce-production-'));
  let dropDatabases: (() => Promise<void>) | undefined;
  let databaseUrls: Record<string, string>;
  let routerUrl: string;
  let subgraphUrls: Record<string, string>;
  let routerOutput: () => string = () => '';
  /** How each subgraph process was started, to start it again. */
  const services: Record<string, { child: ChildProcess; env: Record<string, string>; port: number }> = {};

  function launch(script: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
    let output = '';
    const child = spawn(process.execPath, [join(REPO_ROOT, script)], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    processes.push(child);
    return { child, output: () => output };
  }

  /** A stand-in OpenTelemetry collector: every OTLP/HTTP JSON export the processes send. */
  const exported: OtlpExport[] = [];
  let collector: Server | undefined;
  let otlpEnv: Record<string, string> = {};

  before(async () => {
    collector = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') exported.push(JSON.parse(body) as OtlpExport);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    const collectorPort = await new Promise<number>((resolve) =>
      collector!.listen(0, '127.0.0.1', () => resolve((collector!.address() as { port: number }).port)),
    );
    otlpEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`, OTEL_BSP_SCHEDULE_DELAY: '100' };
    if (testMode() === 'postgres') {
      const databases = await createPostgresDatabases();
      databaseUrls = databases.urls;
      dropDatabases = databases.drop;
    } else {
      databaseUrls = Object.fromEntries(SUBGRAPHS.map((definition) => [definition.name, join(dataRoot, definition.name)]));
    }
    for (const definition of SUBGRAPHS) {
      const migrate = spawnSync(process.execPath, [join(REPO_ROOT, 'packages/kit/dist/src/cli/migrate.js'), definition.name], {
        env: { ...process.env, DATABASE_URL: databaseUrls[definition.name] },
        encoding: 'utf8',
      });
      assert.equal(migrate.status, 0, migrate.stderr);
      assert.match(migrate.stdout, new RegExp(`${definition.name}: applied \\d+_init`));
      // production never seeds demo data itself; the test gives it some to query
      const db = await openDatabase(databaseUrls[definition.name]!);
      const logger = createLogger('seed', 'silent');
      const pubsub = new InProcessPubSub({ logger });
      const shared = new SharedResources();
      const clientAddress = () => 'seed';
      const env = { IDENTITY_KEY_ENCRYPTION_KEYS: IDENTITY_KEYS }; // identity seals its first signing key with it
      const instance = await definition.create({ db, logger, schema: await definition.buildSchema(), pubsub, shared, env, clientAddress });
      await instance.seed(demoData());
      await instance.close();
      await shared.close();
      await pubsub.close();
      await db.close();
    }
    const urls: Record<string, string> = {};
    for (const definition of SUBGRAPHS) {
      const port = await freePort();
      const env = {
        DATABASE_URL: databaseUrls[definition.name]!,
        ROUTER_SHARED_SECRET: SECRET,
        PORT: String(port),
        HOST: '127.0.0.1',
        ORDERS_ENCRYPTION_KEYS: ORDERS_KEYS, // orders refuses to start without its keys
        IDENTITY_KEY_ENCRYPTION_KEYS: IDENTITY_KEYS, // and identity without its key-encryption keys
        ...REDIS_ENV,
        ...otlpEnv,
      };
      const service = launch(`subgraphs/${definition.name}/dist/src/main.js`, env);
      services[definition.name] = { child: service.child, env, port };
      await waitReady(`http://127.0.0.1:${port}/health/ready`, service.child, service.output);
      urls[`SUBGRAPH_${definition.name.toUpperCase()}_URL`] = `http://127.0.0.1:${port}/graphql`;
    }
    subgraphUrls = urls;
    const routerPort = await freePort();
    const router = launch('router/dist/src/main.js', {
      ...urls,
      ...REDIS_ENV,
      ...otlpEnv,
      ROUTER_SHARED_SECRET: SECRET,
      PORT: String(routerPort),
      HOST: '127.0.0.1',
    });
    await waitReady(`http://127.0.0.1:${routerPort}/health/ready`, router.child, router.output);
    routerUrl = `http://127.0.0.1:${routerPort}/graphql`;
    routerOutput = router.output;
  });

  after(async () => {
    await Promise.all(
      processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    collector?.close();
    await dropDatabases?.();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  const post = async (body: object, token?: string) => {
    const send = () =>
      fetch(routerUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    // An idle keep-alive socket the server is closing just then fails the request before it is sent: send again once.
    const response = await send().catch(send);
    // biome-ignore lint/suspicious/noExplicitAny: ad-hoc response shapes, read field by field
    type Reply = { data?: Record<string, any>; errors?: unknown[] };
    return (await response.json()) as Reply;
  };

  it('serves the quick-start query across five processes', async () => {
    const result = await post({
      query:
        '{ products(first: 3) { edges { node { name price { amount } stock { available } rating { count } reviews(first: 1) { edges { node { author { name } } } } } } } }',
    });
    assert.equal(result.errors, undefined);
    assert.equal(result.data!.products.edges.length, 3);
  });

  it('exports traces over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set: one trace from the router into the subgraphs', async () => {
    const traceId = randomBytes(16).toString('hex');
    const response = await fetch(routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: JSON.stringify({ query: '{ products(first: 2) { edges { node { name stock { available } } } } }' }),
    });
    assert.equal(response.status, 200);
    const services = () =>
      new Set(
        exported.flatMap((payload) =>
          payload.resourceSpans
            .filter((resourceSpans) => resourceSpans.scopeSpans.some((scope) => scope.spans.some((span) => span.traceId === traceId)))
            .map(
              (resourceSpans) => resourceSpans.resource.attributes.find((attribute) => attribute.key === 'service.name')?.value.stringValue,
            ),
        ),
      );
    const until = Date.now() + 10_000;
    while (Date.now() < until && !['router', 'catalog', 'inventory'].every((service) => services().has(service))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual([...services()].sort(), ['catalog', 'inventory', 'router']);
  });

  it('signs in through identity and verifies the token against its JWKS over HTTP', async () => {
    const login = await post({
      query: 'mutation { logIn(input: { email: "customer1@demo.shop", password: "demo-password" }) { accessToken } }',
    });
    const me = await post({ query: '{ me { email role } }' }, login.data!.logIn.accessToken);
    assert.deepEqual(me.data, { me: { email: 'customer1@demo.shop', role: 'customer' } });
  });

  it('a session signed out at identity (refresh token reused) is refused by the router process within seconds', async () => {
    const refresh = (token: string) =>
      post({
        query: 'mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken userErrors { code } } }',
        variables: { token },
      });
    const login = await post({
      query: 'mutation { logIn(input: { email: "customer4@demo.shop", password: "demo-password" }) { accessToken refreshToken } }',
    });
    const { accessToken, refreshToken } = login.data!.logIn;
    assert.ok((await post({ query: '{ me { email } }' }, accessToken)).data?.me);
    assert.deepEqual((await refresh(refreshToken)).data!.refreshSession.userErrors, []);
    assert.equal((await refresh(refreshToken)).data!.refreshSession.userErrors[0].code, 'REFRESH_TOKEN_REUSED');
    const codeOf = async () =>
      ((await post({ query: '{ me { email } }' }, accessToken)).errors?.[0] as { extensions?: { code?: string } } | undefined)?.extensions
        ?.code;
    await waitFor('the router to refuse the signed-out session', async () => (await codeOf()) === 'UNAUTHENTICATED', 10_000);
  });

  it('stops at start with a one-line message when configuration is wrong', () => {
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'subgraphs/catalog/dist/src/main.js')], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrls.catalog, ROUTER_SHARED_SECRET: 'short', PORT: '1' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 1);
    assert.equal(result.stderr.trim(), 'configuration error: ROUTER_SHARED_SECRET must be at least 32 characters');
    const badPort = spawnSync(process.execPath, [join(REPO_ROOT, 'router/dist/src/main.js')], {
      env: { PATH: process.env.PATH ?? '', ROUTER_SHARED_SECRET: SECRET, PORT: 'abc' },
      encoding: 'utf8',
    });
    assert.equal(badPort.status, 1);
    assert.match(badPort.stderr, /^configuration error: PORT must be a port number/);
    const trustAll = spawnSync(process.execPath, [join(REPO_ROOT, 'router/dist/src/main.js')], {
      env: { PATH: process.env.PATH ?? '', ROUTER_SHARED_SECRET: SECRET, TRUST_PROXY: 'true' },
      encoding: 'utf8',
    });
    assert.equal(trustAll.status, 1);
    assert.match(trustAll.stderr, /^configuration error: TRUST_PROXY=true would let any client choose its address/);
    const badKey = spawnSync(process.execPath, [join(REPO_ROOT, 'subgraphs/orders/dist/src/main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: databaseUrls.orders,
        ROUTER_SHARED_SECRET: SECRET,
        ORDERS_ENCRYPTION_KEYS: 'k1:c2hvcnQ=',
      },
      encoding: 'utf8',
    });
    assert.equal(badKey.status, 1);
    assert.equal(badKey.stderr.trim(), 'configuration error: ORDERS_ENCRYPTION_KEYS: key "k1" must be 32 bytes (AES-256), got 5');
    // identity with a key-encryption key that did not seal its signing keys: a clear refusal, not a crash later
    // (PostgreSQL only: an embedded PGlite folder must not be opened by a second process)
    if (testMode() === 'postgres') {
      const wrongKek = `test-${process.pid}:${randomBytes(32).toString('base64')}`;
      const badKek = spawnSync(process.execPath, [join(REPO_ROOT, 'subgraphs/identity/dist/src/main.js')], {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: databaseUrls.identity,
          ROUTER_SHARED_SECRET: SECRET,
          IDENTITY_KEY_ENCRYPTION_KEYS: wrongKek,
          PORT: '0',
        },
        encoding: 'utf8',
      });
      assert.equal(badKek.status, 1);
      assert.match(
        badKek.stderr.trim(),
        /^configuration error: IDENTITY_KEY_ENCRYPTION_KEYS: key "test-\d+" does not open signing key \w+; it is not the key that sealed it/,
      );
    }
  });

  it('the orders process killed in the middle of sagas and restarted: every order settles, nothing captured twice, no stock leaked', async () => {
    const adminLogin = await post({
      query: 'mutation { logIn(input: { email: "admin@demo.shop", password: "demo-password" }) { accessToken } }',
    }).catch((error: unknown) => assert.fail(`router unreachable: ${String(error)} ${routerOutput()}`));
    const admin = adminLogin.data!.logIn.accessToken as string;
    const product = demoData().products.at(-1)!;
    const stockQuery = {
      query: 'query($id: ID!) { product(id: $id) { stock { onHand reserved available } } }',
      variables: { id: product.id },
    };
    const stock = async () =>
      (await post(stockQuery, admin)).data!.product.stock as { onHand: number; reserved: number; available: number };
    const initial = await stock();
    assert.ok(initial.available >= 6, JSON.stringify(initial));
    const customers = await Promise.all(
      Array.from({ length: 12 }, async (_, index) => {
        const email = `crash-${index}-${RUN}@example.com`;
        const signUp = await post({
          query: 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }',
          variables: { input: { email, password: 'correct horse battery staple', name: 'Crash Test' } },
        });
        return signUp.data!.signUp.accessToken as string;
      }),
    );
    // more units asked for than there are: some orders must fail, and their stock must come back
    const quantity = Math.ceil(initial.available / 8);
    const orderIds = await Promise.all(
      customers.map(async (token, index) => {
        const added = await post(
          {
            query: 'mutation($input: AddToCartInput!) { addToCart(input: $input) { userErrors { code } } }',
            variables: { input: { productId: product.id, quantity } },
          },
          token,
        );
        assert.deepEqual(added.data!.addToCart.userErrors, []);
        const checkout = await post(
          {
            query: 'mutation($input: CheckoutInput!) { checkout(input: $input) { order { id } userErrors { code } } }',
            variables: {
              input: {
                idempotencyKey: `crash-${index}-${RUN}`,
                paymentMethod: index % 4 === 3 ? 'pm_card_declined' : 'pm_card_ok',
                shippingAddress: { name: 'C', line1: '1 Main St', city: 'Delft', postalCode: '2611', country: 'NL' },
              },
            },
          },
          token,
        );
        assert.deepEqual(checkout.data!.checkout.userErrors, [], JSON.stringify(checkout));
        return checkout.data!.checkout.order.id as string;
      }),
    );
    // kill -9 while the sagas run, then start it again on the same port (the router knows that address)
    const orders = services.orders!;
    await new Promise((resolve) => setTimeout(resolve, 150));
    const killed = new Promise((resolve) => orders.child.once('exit', resolve));
    orders.child.kill('SIGKILL');
    await killed;
    const restarted = launch('subgraphs/orders/dist/src/main.js', orders.env);
    services.orders = { ...orders, child: restarted.child };
    await waitReady(`http://127.0.0.1:${orders.port}/health/ready`, restarted.child, restarted.output);

    const ORDER = '{ me { orders(first: 1) { edges { node { id status failureReason payment { status } } } } } }';
    type Settled = { id: string; status: string; failureReason: string | null; payment: { status: string } | null };
    const deadline = Date.now() + 90_000;
    let settled: Settled[] = [];
    for (;;) {
      settled = await Promise.all(
        customers.map(async (token) => (await post({ query: ORDER }, token)).data?.me?.orders.edges[0]?.node as Settled),
      );
      const done = settled.every(
        (order) => order && (order.status === 'FAILED' || (order.status === 'CONFIRMED' && order.payment?.status === 'CAPTURED')),
      );
      if (done && (await stock()).reserved === initial.reserved) break;
      if (Date.now() > deadline)
        assert.fail(`sagas did not settle: ${JSON.stringify(settled)} ${JSON.stringify(await stock())} ${restarted.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.deepEqual(new Set(settled.map((order) => order.id)), new Set(orderIds));
    const confirmed = settled.filter((order) => order.status === 'CONFIRMED');
    assert.ok(confirmed.length > 0 && confirmed.length < 12, `confirmed ${confirmed.length}`);
    for (const order of settled.filter((each) => each.status === 'FAILED')) {
      assert.ok(['OUT_OF_STOCK', 'PAYMENT_DECLINED'].includes(order.failureReason!), order.failureReason!);
      assert.notEqual(order.payment?.status, 'CAPTURED');
    }
    // the sums: what was sold left the shelf, nothing else did, nothing stays reserved
    assert.deepEqual(await stock(), {
      onHand: initial.onHand - confirmed.length * quantity,
      reserved: initial.reserved,
      available: initial.available - confirmed.length * quantity,
    });
    if (testMode() === 'postgres') {
      const payments = await openDatabase(databaseUrls.payments!);
      try {
        const captures = await payments.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM provider_calls c JOIN payment_intents i ON i.id = c.intent_id
           WHERE c.operation = 'capture' AND i.order_id = ANY($1::uuid[]) GROUP BY c.intent_id`,
          [orderIds],
        );
        assert.equal(captures.length, confirmed.length);
        assert.ok(
          captures.every((row) => row.n === 1),
          'one capture call per payment',
        );
      } finally {
        await payments.close();
      }
    }
  });

  it('a stock change made through one router and inventory reaches a subscriber of another pair (Redis)', async () => {
    // A second inventory process (the same PostgreSQL database; embedded: its own copy of the data) and a
    // second router that sends stock subscriptions to it.
    let inventoryB = databaseUrls.inventory!;
    if (testMode() !== 'postgres') {
      inventoryB = join(dataRoot, 'inventory-b');
      const migrate = spawnSync(process.execPath, [join(REPO_ROOT, 'packages/kit/dist/src/cli/migrate.js'), 'inventory'], {
        env: { ...process.env, DATABASE_URL: inventoryB },
        encoding: 'utf8',
      });
      assert.equal(migrate.status, 0, migrate.stderr);
    }
    const inventoryPort = await freePort();
    const inventory = launch('subgraphs/inventory/dist/src/main.js', {
      DATABASE_URL: inventoryB,
      ROUTER_SHARED_SECRET: SECRET,
      PORT: String(inventoryPort),
      HOST: '127.0.0.1',
      ...REDIS_ENV,
    });
    await waitReady(`http://127.0.0.1:${inventoryPort}/health/ready`, inventory.child, inventory.output);
    const routerPort = await freePort();
    const routerB = launch('router/dist/src/main.js', {
      ...subgraphUrls,
      SUBGRAPH_INVENTORY_URL: `http://127.0.0.1:${inventoryPort}/graphql`,
      ...REDIS_ENV,
      ROUTER_SHARED_SECRET: SECRET,
      PORT: String(routerPort),
      HOST: '127.0.0.1',
    });
    await waitReady(`http://127.0.0.1:${routerPort}/health/ready`, routerB.child, routerB.output);

    const data = demoData();
    const vendor1 = data.vendors[0]!.id;
    const level = data.stock.find((row) => row.vendorId === vendor1 && row.onHand > 5)!;
    const received: { data?: { stockChanged?: { available: number; product: { id: string; name: string } } } }[] = [];
    let failure: unknown;
    const client = createClient({ url: `ws://127.0.0.1:${routerPort}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    const unsubscribe = client.subscribe(
      {
        query: 'subscription($id: ID!) { stockChanged(productId: $id) { available product { id name } } }',
        variables: { id: level.productId },
      },
      {
        next: (result) => void received.push(result as (typeof received)[number]),
        error: (error) => {
          failure = error;
        },
        complete: () => {},
      },
    );
    try {
      // Subscribed through router B and inventory B once inventory B's Redis subscription is in place: retry the change until it lands.
      const login = await post({
        query: 'mutation { logIn(input: { email: "vendor1@demo.shop", password: "demo-password" }) { accessToken } }',
      });
      const token = login.data!.logIn.accessToken as string;
      const deadline = Date.now() + 10_000;
      let available: number | undefined;
      while (received.length === 0 && Date.now() < deadline) {
        const adjusted = await post(
          {
            query:
              'mutation($input: AdjustStockInput!) { adjustStock(input: $input) { product { stock { available } } userErrors { code } } }',
            variables: { input: { productId: level.productId, warehouseId: level.warehouseId, delta: 1, reason: 'delivery' } },
          },
          token,
        );
        assert.deepEqual(adjusted.data!.adjustStock.userErrors, []);
        available = adjusted.data!.adjustStock.product.stock.available as number;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.ok(received.length > 0, `no event reached router B: ${JSON.stringify(failure)} ${routerB.output()} ${inventory.output()}`);
      const event = received.at(-1)!.data!.stockChanged!;
      assert.equal(event.product.id, level.productId);
      assert.ok(event.product.name.length > 0, 'the product name came from catalog through router B');
      assert.equal(event.available, available, 'the total inventory A computed after the change');
    } finally {
      unsubscribe();
      await client.dispose();
    }
  });
});
