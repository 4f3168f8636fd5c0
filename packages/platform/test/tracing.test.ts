import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportSpansTo, InMemorySpanExporter, SpanKind, type ReadableSpan } from '@commerce/kit';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

/**
 * One W3C trace from the client's request through the router, the subgraphs it calls, and on through the event
 * bus into the consumers of the checkout saga (in-memory exporter; embedded, or PostgreSQL + Redis Streams).
 */
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }`;
const ADD = `mutation($input: AddToCartInput!) { addToCart(input: $input) { userErrors { code } } }`;
const CHECKOUT = `mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) { order { id status lines { product { name } } } userErrors { code } }
}`;

describe(`tracing (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  const exporter = new InMemorySpanExporter();
  let platform: TestPlatform;

  before(async () => {
    exportSpansTo(exporter);
    platform = await startTestPlatform();
  });

  after(async () => {
    await platform?.close();
  });

  const serviceOf = (span: ReadableSpan) => String(span.resource.attributes['service.name']);
  /** The order the checkout test placed, for the subscription test. */
  let placed: { token: string; orderId: string } | undefined;

  it("one trace id across the router, the subgraphs it called, and the saga's event consumers", async () => {
    const signUp = await platform.graphql<{ signUp: { accessToken: string } }>(SIGN_UP, {
      input: { email: `trace-${randomUUID()}@example.com`, password: 'correct horse battery staple', name: 'Trace' },
    });
    const token = signUp.body.data!.signUp.accessToken;
    const productId = (
      await platform.graphql<{ products: { edges: { node: { id: string } }[] } }>('{ products(first: 1) { edges { node { id } } } }')
    ).body.data!.products.edges[0]!.node.id;
    assert.deepEqual(
      (await platform.graphql<{ addToCart: { userErrors: unknown[] } }>(ADD, { input: { productId, quantity: 1 } }, { token })).body.data!
        .addToCart.userErrors,
      [],
    );

    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const checkout = await platform.graphql<{ checkout: { order: { id: string } } }>(
      CHECKOUT,
      {
        input: {
          idempotencyKey: randomUUID(),
          paymentMethod: 'pm_card_ok',
          shippingAddress: { name: 'T', line1: 'x', city: 'y', postalCode: '1', country: 'NL' },
        },
      },
      { token, headers: { traceparent } },
    );
    const orderId = checkout.body.data!.checkout.order.id;

    // the saga ends with the capture: by then every consumer of the trace has run
    const until = Date.now() + 30_000;
    const inTrace = () => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    while (Date.now() < until && !inTrace().some((span) => span.name === 'payments.payment-captured process')) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const spans = inTrace();
    const names = (service: string) => spans.filter((span) => serviceOf(span) === service).map((span) => span.name);

    // the router: the request, its phases, one fetch per subgraph
    assert.ok(names('router').includes('graphql.parse'), JSON.stringify(names('router')));
    assert.ok(names('router').includes('graphql.validate'));
    assert.ok(
      names('router').some((name) => name.startsWith('graphql.plan')),
      JSON.stringify(names('router')),
    );
    assert.ok(names('router').includes('fetch orders'));
    assert.ok(names('router').includes('fetch catalog'), 'the product names come from catalog');
    // two subgraphs served their part of the request in the same trace
    assert.ok(
      names('orders').some((name) => name.startsWith('graphql')),
      JSON.stringify(names('orders')),
    );
    assert.ok(
      names('catalog').some((name) => name.startsWith('graphql')),
      JSON.stringify(names('catalog')),
    );
    // and the trace went on through the bus: inventory and payments handled the saga's commands, orders the replies
    const consumers = spans.filter((span) => span.kind === SpanKind.CONSUMER);
    assert.ok(consumers.some((span) => serviceOf(span) === 'inventory' && span.name === 'inventory.reserve-stock process'));
    assert.ok(consumers.some((span) => serviceOf(span) === 'payments' && span.name === 'payments.authorize-payment process'));
    assert.ok(consumers.some((span) => serviceOf(span) === 'orders' && span.name === 'inventory.stock-reserved process'));
    assert.ok(
      consumers.every((span) => span.attributes['messaging.message.id']),
      'each consumer span names its event',
    );

    // parent links hold: every span but the client's root has its parent in the trace
    const ids = new Set(spans.map((span) => span.spanContext().spanId));
    const orphans = spans.filter((span) => span.parentSpanContext && !ids.has(span.parentSpanContext.spanId));
    assert.ok(
      orphans.every((span) => span.parentSpanContext!.spanId === traceparent.split('-')[2]),
      JSON.stringify(orphans.map((span) => span.name)),
    );

    // the order's events in the outbox carry the trace, for consumers in other processes
    const [row] = await platform.databases.orders!.query<{ traceparent: string }>(
      `SELECT envelope->'traceContext'->>'traceparent' AS traceparent FROM outbox_events
       WHERE envelope->>'type' = 'inventory.reserve-stock' AND envelope->'payload'->>'orderId' = $1`,
      [orderId],
    );
    assert.equal(row!.traceparent.split('-')[1], traceId);
    placed = { token, orderId };
  });

  it("a subscription's start: the router's graphql.subscribe continues in the subgraph that serves it", async () => {
    assert.ok(placed, 'runs after the checkout above');
    const client = createClient({
      url: platform.routerUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${placed.token}` },
      retryAttempts: 0,
    });
    try {
      const first = await new Promise<unknown>((resolve, reject) => {
        const stop = client.subscribe(
          { query: 'subscription Traced($id: ID!) { orderUpdated(orderId: $id) { id status } }', variables: { id: placed!.orderId } },
          {
            next: (value) => {
              stop();
              resolve(value);
            },
            error: reject,
            complete: () => undefined,
          },
        );
      });
      assert.equal((first as { data: { orderUpdated: { id: string } } }).data.orderUpdated.id, placed.orderId);
    } finally {
      await client.dispose();
    }
    const subscribes = () => exporter.getFinishedSpans().filter((span) => span.name === 'graphql.subscribe');
    const until = Date.now() + 5_000;
    while (Date.now() < until && !subscribes().some((span) => serviceOf(span) === 'orders'))
      await new Promise((resolve) => setTimeout(resolve, 20));
    const routerSpan = subscribes().find((span) => serviceOf(span) === 'router' && span.attributes['graphql.operation.name'] === 'Traced');
    assert.ok(routerSpan, 'the router traced the subscription');
    const ordersSpan = subscribes().find(
      (span) => serviceOf(span) === 'orders' && span.spanContext().traceId === routerSpan.spanContext().traceId,
    );
    assert.ok(ordersSpan, "orders continued the router's trace");
    assert.equal(ordersSpan.kind, SpanKind.SERVER);
    assert.equal(ordersSpan.attributes['graphql.operation.type'], 'subscription');
  });
});
