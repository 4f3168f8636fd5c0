import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  createLogger,
  demoData,
  freePort,
  InProcessPubSub,
  openDatabase,
  type OwnPostgres,
  principalHeaders,
  REPO_ROOT,
  SharedResources,
  startOwnPostgres,
  waitFor,
} from '@commerce/kit';
import { SUBGRAPHS } from '../src/subgraphs.js';
import { testMode } from '../src/testing.js';

/**
 * Production processes (catalog, inventory, orders) on a PostgreSQL server of this test's own, which it stops hard
 * (`pg_ctl stop -m immediate`: every connection cut, as in a crash or a failover) and starts again. The shared
 * server on 5432 is never touched, so other tests run on undisturbed. Redis is the shared one, under a run prefix.
 */
const SECRET = 'database-restart-shared-secret-0123456789';
const RUN = `dbrestart-${process.pid}-${Date.now().toString(36)}`;
const REDIS_ENV = {
  REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  PUBSUB_CHANNEL_PREFIX: `${RUN}:ps:`,
  EVENTS_STREAM_PREFIX: `${RUN}:ev:`,
  EVENTS_BLOCK_MS: '200',
  EVENTS_RETRY_MAX_MS: '1000',
};
const SERVICES = ['catalog', 'inventory', 'orders'] as const;
type Service = (typeof SERVICES)[number];
const ADMIN = { userId: demoData().users.find((user) => user.role === 'admin')!.id, role: 'admin' as const, scopes: ['catalog:write'] };

interface Launched {
  child: ChildProcess;
  port: number;
  output(): string;
}

const status = (url: string) =>
  fetch(url).then(
    (response) => response.status,
    () => 0,
  );

describe(`a PostgreSQL restart under running services (own PostgreSQL server; ${testMode()})`, () => {
  let postgres: OwnPostgres;
  const urls = {} as Record<Service, string>;
  const running = {} as Record<Service, Launched>;
  const processes: ChildProcess[] = [];

  function launch(service: Service, port: number, env: Record<string, string> = {}): Launched {
    let output = '';
    const child = spawn(process.execPath, [join(REPO_ROOT, `subgraphs/${service}/dist/src/main.js`)], {
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'warn',
        DATABASE_URL: urls[service],
        ROUTER_SHARED_SECRET: SECRET,
        PORT: String(port),
        HOST: '127.0.0.1',
        ORDERS_ENCRYPTION_KEYS: `test-${process.pid}:${randomBytes(32).toString('base64')}`,
        ...REDIS_ENV,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    processes.push(child);
    return { child, port, output: () => output };
  }

  const graphql = async (service: Service, query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(`http://127.0.0.1:${running[service].port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...principalHeaders(ADMIN, SECRET) },
      body: JSON.stringify({ query, variables }),
    });
    return {
      status: response.status,
      body: (await response.json()) as {
        // biome-ignore lint/suspicious/noExplicitAny: ad-hoc response shapes, read field by field
        data?: Record<string, any> | null;
        errors?: { message: string; extensions?: { code?: string } }[];
      },
    }; // any: ad-hoc shapes
  };
  const alive = () => SERVICES.filter((service) => running[service].child.exitCode === null && running[service].child.signalCode === null);
  const outputs = () => SERVICES.map((service) => `\n--- ${service}:\n${running[service].output().slice(-3000)}`).join('');

  /** orders' copy of a product's price (from catalog's events: outbox -> relay -> Redis stream -> orders' consumer). */
  const ordersPrice = async (productId: string): Promise<string | undefined> => {
    const client = new pg.Client({ connectionString: urls.orders });
    client.on('error', () => {});
    try {
      await client.connect();
      const { rows } = await client.query<{ amount: string }>(
        'SELECT price_amount::text AS amount FROM product_prices WHERE product_id = $1',
        [productId],
      );
      return rows[0]?.amount;
    } catch {
      return undefined;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const changePrice = (productId: string, amount: string, currencyCode: string) =>
    graphql(
      'catalog',
      'mutation($input: ChangeProductPriceInput!) { changeProductPrice(input: $input) { product { price { amount } } userErrors { code } } }',
      { input: { productId, amount, currencyCode } },
    );

  before(async () => {
    postgres = await startOwnPostgres({ maxConnections: 100 });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      for (const service of SERVICES) {
        await admin.query(`CREATE DATABASE "${service}"`);
        urls[service] = postgres.url.replace(/\/postgres$/, `/${service}`);
      }
    } finally {
      await admin.end();
    }
    for (const service of SERVICES) {
      const migrate = spawnSync(process.execPath, [join(REPO_ROOT, 'packages/kit/dist/src/cli/migrate.js'), service], {
        env: { ...process.env, DATABASE_URL: urls[service] },
        encoding: 'utf8',
      });
      assert.equal(migrate.status, 0, migrate.stderr);
      const definition = SUBGRAPHS.find((each) => each.name === service)!;
      const db = await openDatabase(urls[service]);
      const logger = createLogger('seed', 'silent');
      const pubsub = new InProcessPubSub({ logger });
      const shared = new SharedResources();
      const instance = await definition.create({
        db,
        logger,
        schema: await definition.buildSchema(),
        pubsub,
        shared,
        env: {},
        clientAddress: () => 'seed',
      });
      await instance.seed(demoData());
      await instance.close();
      await shared.close();
      await pubsub.close();
      await db.close();
    }
    for (const service of SERVICES) running[service] = launch(service, await freePort());
    for (const service of SERVICES) {
      const { port, output } = running[service];
      await waitFor(`${service} ready`, async () => (await status(`http://127.0.0.1:${port}/health/ready`)) === 200, 60_000, output);
    }
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
    await postgres?.close();
  });

  it('costs failed requests with a clear error, never a process; afterwards requests work and events flow again', async () => {
    const product = demoData().products[0]!;
    const PRODUCTS = '{ products(first: 2) { edges { node { id name } } } }';

    // Before: a price change reaches orders through the outbox, the relay, Redis and orders' consumer.
    assert.deepEqual((await changePrice(product.id, '101.00', product.currencyCode)).body.data!.changeProductPrice.userErrors, []);
    await waitFor('the first price in orders', async () => (await ordersPrice(product.id)) === '101.00', 20_000, outputs);

    // Traffic in flight while the server goes down: requests, transactions, the relays' 500 ms rounds.
    let loading = true;
    const outcomes: string[] = [];
    const load = (async () => {
      for (let round = 0; loading; round += 1) {
        const outcome = (result: Awaited<ReturnType<typeof graphql>>) =>
          result.body.errors ? String(result.body.errors[0]!.extensions?.code ?? result.body.errors[0]!.message) : 'ok';
        const results = await Promise.all([
          graphql('catalog', PRODUCTS).then(outcome, (error: Error) => `request failed: ${error.message}`),
          changePrice(product.id, `${102 + (round % 2)}.00`, product.currencyCode).then(
            outcome,
            (error: Error) => `request failed: ${error.message}`,
          ),
        ]);
        outcomes.push(...results);
      }
    })();
    await waitFor('some requests before the outage', () => outcomes.length >= 4, 10_000);
    await postgres.stop('immediate');

    // During the outage: every service says not ready (it tried its database), yet lives; requests fail cleanly.
    for (const service of SERVICES) {
      const { port } = running[service];
      await waitFor(
        `${service} not ready during the outage`,
        async () => (await status(`http://127.0.0.1:${port}/health/ready`)) === 503,
        10_000,
        outputs,
      );
      assert.equal(await status(`http://127.0.0.1:${port}/health/live`), 200);
    }
    const during = await graphql('catalog', PRODUCTS);
    assert.equal(during.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE', JSON.stringify(during.body));
    assert.match(during.body.errors![0]!.message, /database/i);
    assert.doesNotMatch(JSON.stringify(during.body), /ECONNREFUSED|at .*\.js|stack/, 'no driver detail or stack trace leaks');
    const failedChange = await changePrice(product.id, '104.00', product.currencyCode);
    assert.equal(failedChange.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE', JSON.stringify(failedChange.body));
    // The relays and consumers have been polling a dead database for a while now (each tried it: see above).
    assert.deepEqual(alive(), [...SERVICES], `a service died: ${outputs()}`);

    await postgres.start();
    loading = false;
    await load;
    assert.ok(
      outcomes.every((outcome) => outcome === 'ok' || outcome === 'SERVICE_UNAVAILABLE'),
      `unexpected outcomes: ${[...new Set(outcomes)].join(', ')} ${running.catalog
        .output()
        .split('\n')
        .filter((line) => line.includes('unexpected error'))
        .slice(0, 3)
        .join('\n')}`,
    );

    // After: ready again without a restart, requests work, and events written after the outage are relayed.
    for (const service of SERVICES) {
      const { port } = running[service];
      await waitFor(`${service} ready again`, async () => (await status(`http://127.0.0.1:${port}/health/ready`)) === 200, 30_000, outputs);
    }
    const afterwards = await graphql('catalog', PRODUCTS);
    assert.equal(afterwards.body.errors, undefined, JSON.stringify(afterwards.body));
    assert.equal(afterwards.body.data!.products.edges.length, 2);
    let changed: Awaited<ReturnType<typeof changePrice>> | undefined;
    await waitFor(
      'a price change that succeeds',
      async () => {
        changed = await changePrice(product.id, '105.00', product.currencyCode);
        return changed.body.errors === undefined;
      },
      20_000,
      () => JSON.stringify(changed?.body),
    );
    assert.deepEqual(changed!.body.data!.changeProductPrice.userErrors, []);
    await waitFor(
      'the price changed after the restart in orders',
      async () => (await ordersPrice(product.id)) === '105.00',
      30_000,
      outputs,
    );
    assert.deepEqual(alive(), [...SERVICES], `a service died: ${outputs()}`);
  });

  it('a service started while PostgreSQL is down waits for it: live 200, ready 503, then serves once it is up', async () => {
    await postgres.stop('fast');
    const late = launch('catalog', await freePort(), { DATABASE_CONNECT_TIMEOUT_SECONDS: '60' });
    const base = `http://127.0.0.1:${late.port}`;
    try {
      await waitFor('the late catalog listening', async () => (await status(`${base}/health/live`)) === 200, 20_000, late.output);
      assert.equal(await status(`${base}/health/ready`), 503);
      const early = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      assert.equal(early.status, 503);
      assert.equal(
        ((await early.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
        'SERVICE_UNAVAILABLE',
      );
      await waitFor('a logged retry', () => /database not reachable yet; retrying/.test(late.output()), 10_000, late.output);
      assert.equal(late.child.exitCode, null, 'still waiting, not exited');
    } finally {
      await postgres.start();
    }
    await waitFor('the late catalog ready', async () => (await status(`${base}/health/ready`)) === 200, 15_000, late.output);
    const served = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...principalHeaders(ADMIN, SECRET) },
      body: JSON.stringify({ query: '{ products(first: 1) { edges { node { id } } } }' }),
    });
    assert.equal(((await served.json()) as { data: { products: { edges: unknown[] } } }).data.products.edges.length, 1);
  });

  it('a service whose database stays down gives up after DATABASE_CONNECT_TIMEOUT_SECONDS with one line', async () => {
    await postgres.stop('fast');
    try {
      const result = spawnSync(process.execPath, [join(REPO_ROOT, 'subgraphs/catalog/dist/src/main.js')], {
        env: {
          PATH: process.env.PATH ?? '',
          LOG_LEVEL: 'silent',
          DATABASE_URL: urls.catalog,
          ROUTER_SHARED_SECRET: SECRET,
          PORT: '0',
          DATABASE_CONNECT_TIMEOUT_SECONDS: '1',
        },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(result.status, 1, result.stderr);
      assert.match(
        result.stderr.trim(),
        /^start-up failed: database not reachable after 1 s \(DATABASE_CONNECT_TIMEOUT_SECONDS\): connect ECONNREFUSED [\d.:]+$/,
      );
      const invalid = spawnSync(process.execPath, [join(REPO_ROOT, 'subgraphs/catalog/dist/src/main.js')], {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: urls.catalog,
          ROUTER_SHARED_SECRET: SECRET,
          DATABASE_CONNECT_TIMEOUT_SECONDS: 'soon',
        },
        encoding: 'utf8',
      });
      assert.equal(invalid.status, 1);
      assert.equal(
        invalid.stderr.trim(),
        'configuration error: DATABASE_CONNECT_TIMEOUT_SECONDS must be a whole number from 0 to 3600, got "soon"',
      );
    } finally {
      await postgres.start();
    }
  });
});
