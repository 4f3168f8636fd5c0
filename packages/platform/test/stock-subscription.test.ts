import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { STOCK_CHANGED_TOPIC, subgraph as inventory } from '@commerce/inventory';
import {
  createLogger,
  demoData,
  principalHeaders,
  RedisPubSub,
  requireTestRedis,
  type RunningSubgraph,
  startSubgraphServer,
  waitFor,
  within,
} from '@commerce/kit';
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

before(requireTestRedis); // fails at once, with one line, when Redis is not running

/**
 * Live stock updates, subgraph side: a graphql-ws client talks to the inventory subgraph directly (as the
 * router does), while stock changes go through the router as usual.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const STOCK_CHANGED = `subscription($productId: ID!) { stockChanged(productId: $productId) { available at product { id } } }`;

const ADJUST = `mutation($input: AdjustStockInput!) {
  adjustStock(input: $input) { product { id stock { available } } userErrors { code } }
}`;

interface StockChanged {
  stockChanged: { available: number; at: string; product: { id: string } };
}

interface AdjustResult {
  adjustStock: { product: { id: string; stock: { available: number } } | null; userErrors: { code: string }[] } | null;
}

describe(`stock subscriptions on the inventory subgraph (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  let vendorToken: string;
  const clients: Client[] = [];
  const data = demoData();
  const vendor1 = data.vendors[0]!.id;
  const [level, otherLevel] = data.stock.filter(
    (row, index, rows) =>
      row.vendorId === vendor1 && row.onHand > 5 && rows.findIndex((each) => each.productId === row.productId) === index,
  );
  const vendor = data.users.find((user) => user.email === 'vendor1@demo.shop')!;
  const principal = { userId: vendor.id, role: 'vendor_staff' as const, vendorId: vendor1, scopes: ['inventory:read', 'inventory:write'] };
  const subscribers = (running = platform.subgraphs.inventory!) => running.pubsub.subscriberCount(STOCK_CHANGED_TOPIC);

  const connect = (connectionParams?: Record<string, unknown>, running = platform.subgraphs.inventory!) => {
    const client = createClient({
      url: running.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
    });
    clients.push(client);
    return client;
  };

  /** Subscribes to a product's stock changes and waits until the subgraph listens. */
  const follow = async (productId: string, client = connect(), running = platform.subgraphs.inventory!) => {
    const listening = subscribers(running);
    const iterator = client.iterate<StockChanged>({ query: STOCK_CHANGED, variables: { productId } });
    let pending = iterator.next();
    pending.catch(() => {}); // awaited by `next` below; a failure must not go unhandled meanwhile
    await waitFor('the subscription on inventory', () => subscribers(running) === listening + 1);
    return {
      next: async (): Promise<ExecutionResult<StockChanged>> => {
        const result = await within('the next stockChanged', pending);
        pending = iterator.next();
        pending.catch(() => {});
        assert.equal(result.done, false);
        return result.value as ExecutionResult<StockChanged>;
      },
      stop: async () => {
        await iterator.return?.();
        await waitFor('the subscription released', () => subscribers(running) === listening);
      },
    };
  };

  const adjust = async (productId: string, warehouseId: string, delta: number) => {
    const result = await platform.graphql<AdjustResult>(ADJUST, { input: { productId, warehouseId, delta } }, { token: vendorToken });
    return result.body.data!.adjustStock!;
  };

  before(async () => {
    platform = await startTestPlatform();
    vendorToken = await platform.login('vendor1@demo.shop');
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await platform?.close();
  });

  it('pushes the new total over all warehouses after adjustStock', async () => {
    const before = await platform.graphql<{ product: { stock: { available: number } } }>(
      'query($id: ID!) { product(id: $id) { stock { available } } }',
      { id: level!.productId },
    );
    const total = before.body.data!.product.stock.available;
    const subscription = await follow(level!.productId);
    const second = await follow(level!.productId);
    const changed = await adjust(level!.productId, level!.warehouseId, 5);
    assert.deepEqual(changed.userErrors, []);
    assert.equal(changed.product!.stock.available, total + 5);
    const event = await subscription.next();
    assert.equal(event.errors, undefined);
    assert.deepEqual(
      { ...event.data!.stockChanged, at: undefined },
      { available: total + 5, at: undefined, product: { id: level!.productId } },
    );
    const at = Date.parse(event.data!.stockChanged.at);
    assert.match(event.data!.stockChanged.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.now() - at) < 60_000, 'at is the time of the change');
    assert.equal((await second.next()).data!.stockChanged.available, total + 5, 'every subscriber of the product gets it');
    await second.stop();
    assert.deepEqual((await adjust(level!.productId, level!.warehouseId, -2)).userErrors, []);
    assert.equal((await subscription.next()).data!.stockChanged.available, total + 3);
    await subscription.stop();
  });

  it('does not deliver changes of other products', async () => {
    const subscription = await follow(level!.productId);
    assert.deepEqual((await adjust(otherLevel!.productId, otherLevel!.warehouseId, 1)).userErrors, []);
    const mine = await adjust(level!.productId, level!.warehouseId, 1);
    // published in order: had the other product's change been delivered, it would come first
    const event = await subscription.next();
    assert.equal(event.data!.stockChanged.product.id, level!.productId);
    assert.equal(event.data!.stockChanged.available, mine.product!.stock.available);
    await subscription.stop();
  });

  it('publishes nothing for a refused adjustStock', async () => {
    const subscription = await follow(level!.productId);
    assert.equal((await adjust(level!.productId, level!.warehouseId, -1_000_000)).userErrors[0]?.code, 'INSUFFICIENT_STOCK');
    assert.equal((await adjust(level!.productId, level!.warehouseId, 0)).userErrors[0]?.code, 'INVALID_DELTA');
    const accepted = await adjust(level!.productId, level!.warehouseId, 4);
    const event = await subscription.next();
    assert.equal(event.data!.stockChanged.available, accepted.product!.stock.available, 'the first event is the accepted change');
    await subscription.stop();
  });

  it('refuses a malformed productId with BAD_USER_INPUT', async () => {
    const iterator = connect().iterate({ query: STOCK_CHANGED, variables: { productId: 'not-a-uuid' } });
    const result = await within('the refusal', iterator.next());
    assert.equal(result.value?.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(result.value?.data ?? null, null);
  });

  it('closes a connection whose connection_init carries a forged principal with 4403; a router-signed one works', async () => {
    const forged = principalHeaders({ ...principal, role: 'admin' }, 'not-the-router-secret-but-long-enough-123');
    const refused = connect(forged).iterate({ query: STOCK_CHANGED, variables: { productId: level!.productId } });
    const code = await within(
      'the connection closed',
      refused.next().then(
        () => undefined,
        (error: { code?: number }) => error.code,
      ),
    );
    assert.equal(code, 4403);

    const signed = await follow(level!.productId, connect(principalHeaders(principal, platform.routerSecret)));
    const accepted = await adjust(level!.productId, level!.warehouseId, 1);
    assert.equal((await signed.next()).data!.stockChanged.available, accepted.product!.stock.available);
    await signed.stop();
  });

  it('reaches subscribers on every inventory instance sharing Redis', async () => {
    // two more inventory instances on the same database, as two production processes with REDIS_URL
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const logger = createLogger('inventory', 'silent');
    const pubsubs = [0, 1].map(() => new RedisPubSub({ url: REDIS_URL, prefix, logger }));
    const instances: RunningSubgraph[] = [];
    try {
      for (const pubsub of pubsubs) {
        instances.push(
          await startSubgraphServer(inventory, {
            db: platform.databases.inventory!,
            logger,
            routerSecret: platform.routerSecret,
            port: 0,
            pubsub,
          }),
        );
      }
      const [a, b] = instances as [RunningSubgraph, RunningSubgraph];
      const subscription = await follow(level!.productId, connect(undefined, b), b);
      const response = await fetch(a.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...principalHeaders(principal, platform.routerSecret) },
        body: JSON.stringify({
          query: 'mutation($input: AdjustStockInput!) { adjustStock(input: $input) { stock { available } userErrors { code } } }',
          variables: { input: { productId: level!.productId, warehouseId: level!.warehouseId, delta: 3 } },
        }),
      });
      const body = (await response.json()) as { data: { adjustStock: { userErrors: unknown[] } } };
      assert.deepEqual(body.data.adjustStock.userErrors, []);
      const event = await subscription.next();
      assert.equal(event.data!.stockChanged.product.id, level!.productId);
      const [row] = await platform.databases.inventory!.query<{ available: number }>(
        'select sum(on_hand - reserved)::int as available from stock_levels where product_id = $1',
        [level!.productId],
      );
      assert.equal(event.data!.stockChanged.available, row!.available);
      await subscription.stop();
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
      await Promise.all(pubsubs.map((pubsub) => pubsub.close()));
    }
  });
});
