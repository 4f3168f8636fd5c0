import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { STREAMS } from '@commerce/events';
import { demoData, waitFor } from '@commerce/kit';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

/**
 * GET /metrics of the subgraphs after a checkout through the router: the request counters move, the relay publishes,
 * the consumer groups report their lag, nothing is dead-lettered, and the outboxes drain (embedded: PGlite and the
 * in-process bus; TEST_DATABASE=postgres: PostgreSQL and Redis Streams).
 */
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }`;
const ADD = `mutation($input: AddToCartInput!) { addToCart(input: $input) { userErrors { code } } }`;
const CHECKOUT = `mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) { order { id status lines { product { inStock } } } userErrors { code } }
}`;
const MY_ORDERS = `query MyOrders { me { orders(first: 1) { edges { node { id status payment { status } } } } } }`;
const ADDRESS = { name: 'Metrics Tester', line1: '1 Gauge Street', city: 'Utrecht', postalCode: '3511 AA', country: 'NL' };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseSamples(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key!, value!]));
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}

/** The sum of the samples with this name and (at least) these labels. */
const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);

const CONSUMED: Record<string, string[]> = {
  orders: [STREAMS.inventory, STREAMS.payments],
  inventory: [STREAMS.inventoryCommands],
  payments: [STREAMS.paymentCommands],
};

describe(`observability: subgraph metrics (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;

  const scrape = async (subgraph: string): Promise<Sample[]> => {
    const response = await fetch(platform.subgraphs[subgraph]!.url.replace(/\/graphql$/, '/metrics'));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseSamples(await response.text());
  };

  before(async () => {
    platform = await startTestPlatform();
  });

  after(async () => {
    await platform?.close();
  });

  it('after a checkout: requests counted, events published, lag per consumed stream, no dead letters, the outboxes drained', async () => {
    const before = Object.fromEntries(await Promise.all(Object.keys(CONSUMED).map(async (name) => [name, await scrape(name)] as const)));

    const product = demoData().products[0]!;
    await platform.databases.inventory!.query('UPDATE stock_levels SET on_hand = on_hand + 5 WHERE product_id = $1::uuid', [product.id]);
    const signUp = await platform.graphql<{ signUp: { accessToken: string } }>(SIGN_UP, {
      input: { email: `metrics-${randomUUID()}@example.com`, password: 'correct horse battery staple', name: 'Metrics' },
    });
    const token = signUp.body.data!.signUp.accessToken;
    const added = await platform.graphql<{ addToCart: { userErrors: unknown[] } }>(
      ADD,
      { input: { productId: product.id, quantity: 1 } },
      { token },
    );
    assert.deepEqual(added.body.data?.addToCart.userErrors, [], JSON.stringify(added.body));
    const checkout = await platform.graphql<{ checkout: { order: { id: string } | null; userErrors: unknown[] } }>(
      CHECKOUT,
      { input: { idempotencyKey: randomUUID(), paymentMethod: 'pm_card_ok', shippingAddress: ADDRESS } },
      { token },
    );
    assert.deepEqual(checkout.body.data?.checkout.userErrors, [], JSON.stringify(checkout.body));
    const orderId = checkout.body.data!.checkout.order!.id;

    // CONFIRMED, the saga done (captured), and every outbox published
    let row: { status: string; step: string } | undefined;
    await waitFor(
      'the order CONFIRMED, its saga done and every outbox published',
      async () => {
        [row] = await platform.databases.orders!.query<{ status: string; step: string }>(
          'SELECT o.status, s.step FROM orders o JOIN checkout_sagas s ON s.order_id = o.id WHERE o.id = $1::uuid',
          [orderId],
        );
        const scrapes = await Promise.all(Object.keys(CONSUMED).map(scrape));
        return (
          row?.status === 'CONFIRMED' &&
          row.step === 'DONE' &&
          scrapes.every((samples) => total(samples, 'events_outbox_unpublished') === 0)
        );
      },
      60_000,
      () => JSON.stringify(row),
      100,
    );
    const mine = await platform.graphql<{ me: { orders: { edges: { node: { status: string; payment: { status: string } } }[] } } }>(
      MY_ORDERS,
      {},
      { token },
    );
    assert.equal(mine.body.data?.me.orders.edges[0]?.node.payment.status, 'CAPTURED', JSON.stringify(mine.body));

    const after = Object.fromEntries(await Promise.all(Object.keys(CONSUMED).map(async (name) => [name, await scrape(name)] as const)));
    const requests = (name: string, labels: Record<string, string>) =>
      total(after[name]!, 'subgraph_requests_total', labels) - total(before[name]!, 'subgraph_requests_total', labels);
    assert.ok(requests('orders', { operation_type: 'mutation', outcome: 'success' }) >= 2, 'addToCart and checkout');
    assert.ok(requests('orders', { operation_type: 'query', outcome: 'success' }) >= 1, 'User.orders');
    assert.ok(requests('inventory', { operation_type: 'query', outcome: 'success' }) >= 1, 'Product.inStock');
    assert.ok(requests('payments', { operation_type: 'query', outcome: 'success' }) >= 1, 'Order.payment');
    assert.ok(
      total(after.orders!, 'subgraph_request_duration_seconds_count') > total(before.orders!, 'subgraph_request_duration_seconds_count'),
    );

    assert.ok(total(after.orders!, 'events_published_total') > 0, 'the orders relay published the saga commands');
    for (const name of ['inventory', 'payments']) assert.ok(total(after[name]!, 'events_published_total') > 0, `${name} replied`);
    assert.ok(total(after.inventory!, 'events_handled_total') > 0);
    assert.ok(total(after.payments!, 'events_handled_total') > 0);
    for (const [name, streams] of Object.entries(CONSUMED)) {
      const samples = after[name]!;
      for (const stream of streams) {
        const lag = samples.filter((sample) => sample.name === 'events_consumer_lag' && sample.labels.stream === stream);
        assert.deepEqual(
          lag.map((sample) => sample.labels.group),
          [name],
          `${name} reports its lag on ${stream}`,
        );
        assert.equal(samples.filter((sample) => sample.name === 'events_dead_letters' && sample.labels.stream === stream).length, 1);
      }
      assert.equal(total(samples, 'events_dead_letters'), 0, `${name}: nothing dead-lettered`);
      assert.equal(total(samples, 'events_outbox_unpublished'), 0, `${name}: nothing left in the outbox`);
      assert.equal(total(samples, 'events_outbox_oldest_age_seconds'), 0);
      assert.equal(total(samples, 'subgraph_metrics_collect_failures_total'), 0, `${name}: every gauge was collected`);
      assert.ok(total(samples, 'process_resident_memory_bytes') > 0, `${name}: the process metrics`);
      assert.equal(
        samples.some((sample) => sample.name === 'db_pool_clients'),
        platform.mode === 'postgres',
        `${name}: pool gauges on PostgreSQL only`,
      );
    }
  });
});
