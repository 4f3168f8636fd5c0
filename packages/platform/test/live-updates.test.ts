import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STOCK_CHANGED_TOPIC } from '@commerce/inventory';
import { demoData, waitFor } from '@commerce/kit';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

/**
 * Live stock updates through the router, as a client sees them: a subscription over a real WebSocket (and
 * over SSE) gets each change made by adjustStock, with fields from catalog and reviews added per event.
 */
const SUBSCRIPTION = `subscription($id: ID!) {
  stockChanged(productId: $id) { available product { id name price { amount currencyCode } rating { count } stock { reserved } } }
}`;
const ADJUST = `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { product { stock { available } } userErrors { code } } }`;

interface Event {
  data?: {
    stockChanged: {
      available: number;
      product: { id: string; name: string; price: { amount: string }; rating: { count: number }; stock: { reserved: number | null } };
    };
  };
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

describe(`live stock updates through the router (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  let vendorToken: string;
  const clients: Client[] = [];
  const data = demoData();
  const vendor1 = data.vendors[0]!.id;
  const level = data.stock.find((row) => row.vendorId === vendor1 && row.onHand > 5)!;
  const product = data.products.find((each) => each.id === level.productId)!;
  const listening = () => platform.subgraphs.inventory!.pubsub.subscriberCount(STOCK_CHANGED_TOPIC);

  const adjust = async (delta: number) => {
    const result = await platform.graphql<{ adjustStock: { product: { stock: { available: number } }; userErrors: unknown[] } }>(
      ADJUST,
      { input: { productId: level.productId, warehouseId: level.warehouseId, delta, reason: 'delivery' } },
      { token: vendorToken },
    );
    assert.deepEqual(result.body.data!.adjustStock.userErrors, []);
    return result.body.data!.adjustStock.product.stock.available;
  };

  const subscribe = (connectionParams: Record<string, unknown> = {}) => {
    const client = createClient({
      url: platform.routerUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
    });
    clients.push(client);
    const events: Event[] = [];
    const stop = client.subscribe(
      { query: SUBSCRIPTION, variables: { id: level.productId } },
      {
        next: (event) => void events.push(event as Event),
        error: () => {},
        complete: () => {},
      },
    );
    return { client, events, stop };
  };

  before(async () => {
    platform = await startTestPlatform();
    vendorToken = await platform.login('vendor1@demo.shop');
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await platform?.close();
  });

  it('a WebSocket subscriber sees adjustStock with fields from catalog and reviews; reserved only for the vendor', async () => {
    const anonymous = subscribe();
    const vendor = subscribe({ authorization: `Bearer ${vendorToken}` });
    // Two upstream operations: inventory also resolves product.stock, and for the vendor the router keeps
    // `reserved` in that fetch while for the anonymous subscriber it removed it before planning.
    await waitFor('an upstream subscription per distinct inventory operation', () => listening() === 2);
    const available = await adjust(2);
    await waitFor('the event on both', () => anonymous.events.length === 1 && vendor.events.length === 1);

    const seen = anonymous.events[0]!;
    assert.equal(seen.data!.stockChanged.available, available);
    assert.equal(seen.data!.stockChanged.product.name, product.name);
    assert.match(seen.data!.stockChanged.product.price.amount, /^\d+\.\d{2}$/);
    assert.equal(typeof seen.data!.stockChanged.product.rating.count, 'number');
    assert.equal(seen.data!.stockChanged.product.stock.reserved, null);
    assert.deepEqual(
      seen.errors?.map((error) => [error.extensions?.code, error.path?.join('.')]),
      [['UNAUTHORIZED_FIELD_OR_TYPE', 'stockChanged.product.stock.reserved']],
    );
    assert.equal(vendor.events[0]!.errors, undefined);
    assert.equal(typeof vendor.events[0]!.data!.stockChanged.product.stock.reserved, 'number');

    anonymous.stop();
    vendor.stop();
    await waitFor('the upstream released once both left', () => listening() === 0);
  });

  it('an SSE subscriber sees the same change over plain HTTP', async () => {
    const controller = new AbortController();
    const response = await fetch(platform.routerUrl.replace(/\/graphql$/, '/graphql/stream'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: SUBSCRIPTION, variables: { id: level.productId } }),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    await waitFor('the upstream subscription', () => listening() === 1);
    const available = await adjust(1);
    const reader = response.body!.getReader();
    let text = '';
    while (!/event: next\ndata: .*\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const event = JSON.parse(/event: next\ndata: (.*)\n/.exec(text)![1]!) as Event;
    assert.equal(event.data!.stockChanged.available, available);
    assert.equal(event.data!.stockChanged.product.name, product.name);
    controller.abort();
    await waitFor('the upstream released when the HTTP client left', () => listening() === 0);
  });
});
