import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { checkoutMessage, sharedEventTransport, STREAMS, type EventTransport } from '@commerce/events';
import { createLogger, demoData, principalHeaders, REPO_ROOT, waitFor, type Principal } from '@commerce/kit';
import { sharedFakePaymentBackend } from '@commerce/payments';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

/**
 * The checkout saga end to end through the router: orders orchestrates, inventory and payments answer over the
 * event bus (in-process and PGlite embedded; Redis Streams and PostgreSQL with TEST_DATABASE=postgres).
 */
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken userErrors { code } } }`;
const ADD = `mutation($input: AddToCartInput!) { addToCart(input: $input) { userErrors { code } } }`;
const CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { order { id status } userErrors { code } } }`;
const CANCEL = `mutation($id: ID!) { cancelOrder(orderId: $id) { order { status } userErrors { code } } }`;
const ORDER_UPDATED = `subscription($id: ID!) {
  orderUpdated(orderId: $id) { id status failureReason total { amount currencyCode } lines { quantity product { name } } }
}`;
const ADDRESS = { name: 'Saga Tester', line1: '1 Event Street', city: 'Utrecht', postalCode: '3511 AA', country: 'NL' };
const TERMINAL = new Set(['CONFIRMED', 'FAILED', 'CANCELLED']);

interface OrderRow {
  id: string;
  status: string;
  failure_reason: string | null;
  step: string;
}

describe(`checkout saga (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  let transport: EventTransport;
  const products = demoData().products;
  let nextProduct = products.length - 1;
  /** A product no other test of this file uses. */
  const freshProduct = () => products[nextProduct--]!;
  const clients: Client[] = [];

  const customer = async (): Promise<string> => {
    const email = `saga-${randomUUID()}@example.com`;
    const { body } = await platform.graphql<{ signUp: { accessToken: string | null } }>(SIGN_UP, {
      input: { email, password: 'correct horse battery staple', name: 'Saga Customer' },
    });
    assert.ok(body.data?.signUp.accessToken, JSON.stringify(body));
    return body.data.signUp.accessToken;
  };

  const buy = async (token: string, productId: string, quantity: number, paymentMethod = 'pm_card_ok') => {
    const added = await platform.graphql<{ addToCart: { userErrors: unknown[] } }>(ADD, { input: { productId, quantity } }, { token });
    assert.deepEqual(added.body.data?.addToCart.userErrors, [], JSON.stringify(added.body));
    const { body } = await platform.graphql<{ checkout: { order: { id: string; status: string } | null; userErrors: unknown[] } }>(
      CHECKOUT,
      { input: { idempotencyKey: randomUUID(), paymentMethod, shippingAddress: ADDRESS } },
      { token },
    );
    assert.deepEqual(body.data?.checkout.userErrors, [], JSON.stringify(body));
    assert.equal(body.data!.checkout.order!.status, 'PENDING');
    return body.data!.checkout.order!.id;
  };

  /** Puts exactly `units` of the product in its first warehouse (none elsewhere, nothing reserved). */
  const setStock = async (productId: string, units: number) => {
    await platform.databases.inventory!.query(
      `UPDATE stock_levels SET on_hand = CASE WHEN warehouse_id = (SELECT min(warehouse_id::text)::uuid FROM stock_levels WHERE product_id = $1::uuid)
         THEN $2::int ELSE 0 END, reserved = 0 WHERE product_id = $1::uuid`,
      [productId, units],
    );
  };

  const stockOf = async (productId: string) => {
    const [row] = await platform.databases.inventory!.query<{ on_hand: number; reserved: number }>(
      'SELECT sum(on_hand)::int AS on_hand, sum(reserved)::int AS reserved FROM stock_levels WHERE product_id = $1::uuid',
      [productId],
    );
    return { onHand: row!.on_hand, reserved: row!.reserved, available: row!.on_hand - row!.reserved };
  };

  /** The stock once every event sent so far has been handled (compensations are applied asynchronously). */
  const stockSettled = async (productId: string) => {
    await platform.drainBus(30_000);
    return stockOf(productId);
  };

  const ordersOf = async (ids: string[]) =>
    platform.databases.orders!.query<OrderRow>(
      `SELECT o.id::text AS id, o.status, o.failure_reason, s.step FROM orders o JOIN checkout_sagas s ON s.order_id = o.id
       WHERE o.id = ANY($1::uuid[])`,
      [ids],
    );

  /** Waits until every order is terminal and its saga done (captured, or compensated). */
  const settled = async (ids: string[], timeoutMs = 60_000): Promise<OrderRow[]> => {
    let rows: OrderRow[] = [];
    await waitFor(
      'the orders to settle',
      async () => {
        rows = await ordersOf(ids);
        return rows.length === ids.length && rows.every((row) => TERMINAL.has(row.status) && row.step === 'DONE');
      },
      timeoutMs,
      () => JSON.stringify(rows.filter((row) => row.step !== 'DONE')),
      50,
    );
    return rows;
  };

  const historyOf = async (orderId: string) =>
    (
      await platform.databases.orders!.query<{ type: string }>('SELECT type FROM order_events WHERE order_id = $1::uuid ORDER BY version', [
        orderId,
      ])
    ).map((row) => row.type);

  const intentsOf = async (orderIds: string[]) =>
    platform.databases.payments!.query<{ id: string; order_id: string; status: string }>(
      'SELECT id::text AS id, order_id::text AS order_id, status FROM payment_intents WHERE order_id = ANY($1::uuid[])',
      [orderIds],
    );

  const capturesOf = (intentId: string) =>
    sharedFakePaymentBackend()
      .chargesOf(intentId)
      .filter((charge) => charge.operation === 'capture');

  before(async () => {
    platform = await startTestPlatform();
    transport = sharedEventTransport(platform.shared, {}, createLogger('test', 'silent'));
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await platform?.close();
  });

  it('40 concurrent checkouts of a product with 10 units: 10 CONFIRMED, 30 FAILED OUT_OF_STOCK, nothing left held', async () => {
    const product = freshProduct();
    await setStock(product.id, 10);
    const tokens = await Promise.all(Array.from({ length: 40 }, () => customer()));
    const ids = await Promise.all(tokens.map((token) => buy(token, product.id, 1)));
    const rows = await settled(ids);
    const confirmed = rows.filter((row) => row.status === 'CONFIRMED');
    const failed = rows.filter((row) => row.status === 'FAILED');
    assert.equal(confirmed.length, 10);
    assert.equal(failed.length, 30);
    assert.ok(
      failed.every((row) => row.failure_reason === 'OUT_OF_STOCK'),
      JSON.stringify(failed.map((row) => row.failure_reason)),
    );
    assert.deepEqual(await stockSettled(product.id), { onHand: 0, reserved: 0, available: 0 });
    // paid exactly for what was sold: one capture per confirmed order, no payment at all for the others
    const intents = await intentsOf(ids);
    assert.equal(intents.length, 10);
    assert.deepEqual(new Set(intents.map((intent) => intent.order_id)), new Set(confirmed.map((row) => row.id)));
    for (const intent of intents) {
      assert.equal(intent.status, 'captured');
      assert.equal(capturesOf(intent.id).length, 1);
    }
    assert.deepEqual(await historyOf(confirmed[0]!.id), [
      'OrderPlaced',
      'StockReserved',
      'PaymentAuthorized',
      'OrderConfirmed',
      'PaymentCaptured',
    ]);
    assert.deepEqual(await historyOf(failed[0]!.id), ['OrderPlaced', 'OrderFailed']);
  });

  it('pm_card_declined: FAILED PAYMENT_DECLINED, the stock released, nothing captured', async () => {
    const product = freshProduct();
    await setStock(product.id, 5);
    const id = await buy(await customer(), product.id, 2, 'pm_card_declined');
    const [row] = await settled([id]);
    assert.equal(row!.status, 'FAILED');
    assert.equal(row!.failure_reason, 'PAYMENT_DECLINED');
    // the saga is done once the release is sent; inventory applies it right after
    assert.deepEqual(await stockSettled(product.id), { onHand: 5, reserved: 0, available: 5 });
    const [intent] = await intentsOf([id]);
    assert.equal(intent!.status, 'failed');
    assert.equal(capturesOf(intent!.id).length, 0);
    assert.deepEqual(await historyOf(id), ['OrderPlaced', 'StockReserved', 'OrderFailed']);
  });

  it('pm_card_flaky: CONFIRMED after the provider failed once, charged once', async () => {
    const product = freshProduct();
    await setStock(product.id, 5);
    const id = await buy(await customer(), product.id, 1, 'pm_card_flaky');
    const [row] = await settled([id]);
    assert.equal(row!.status, 'CONFIRMED');
    const [intent] = await intentsOf([id]);
    assert.equal(intent!.status, 'captured');
    assert.equal(capturesOf(intent!.id).length, 1);
    const authorizeAttempts = sharedFakePaymentBackend()
      .requestsOf(intent!.id)
      .filter((request) => request.operation === 'authorize');
    assert.ok(authorizeAttempts.length >= 2, 'the first authorization attempt failed and was retried');
    assert.deepEqual(await stockSettled(product.id), { onHand: 4, reserved: 0, available: 4 });
  });

  it('Order.payment: the buyer sees it; vendor staff, who see the order for their product, get null', async () => {
    const product = freshProduct();
    await setStock(product.id, 5);
    const token = await customer();
    const id = await buy(token, product.id, 1);
    await settled([id]);
    const query = `{ me { orders(first: 50) { edges { node { id payment { status } } } } } }`;
    type Mine = { me: { orders: { edges: { node: { id: string; payment: { status: string } | null } }[] } } };
    const buyer = await platform.graphql<Mine>(query, {}, { token });
    assert.deepEqual(buyer.body.data!.me.orders.edges[0]!.node, { id, payment: { status: 'CAPTURED' } });
    const staff = demoData().users.find((user) => user.vendorId === product.vendorId)!;
    const vendor = await platform.graphql<Mine>(query, {}, { token: await platform.login(staff.email) });
    const seen = vendor.body.data!.me.orders.edges.find((edge) => edge.node.id === id);
    assert.ok(seen, 'vendor staff see the order with their product');
    assert.equal(seen.node.payment, null);
    assert.ok(
      vendor.body.errors?.some((error) => error.extensions?.code === 'UNAUTHORIZED_FIELD_OR_TYPE'),
      JSON.stringify(vendor.body.errors),
    );
  });

  it('cancelOrder while the payment is being authorized: CANCELLED, the stock and the authorization given back', async () => {
    const product = freshProduct();
    await setStock(product.id, 3);
    const token = await customer();
    const id = await buy(token, product.id, 1, 'pm_card_slow');
    // wait until payments has the authorize command (its intent exists; the slow card keeps the provider call going
    // for a while): waiting for the reservation alone could cancel before the saga sent the command
    await waitFor('payments to get the authorize command', async () => (await intentsOf([id])).length > 0, 10_000);
    const { body } = await platform.graphql<{ cancelOrder: { order: { status: string } | null; userErrors: unknown[] } }>(
      CANCEL,
      { id },
      { token },
    );
    assert.deepEqual(body.data?.cancelOrder.userErrors, [], JSON.stringify(body));
    assert.equal(body.data!.cancelOrder.order!.status, 'CANCELLED');
    await settled([id]);
    // the late authorization is voided when its reply comes; the reservation is released
    let intent: { id: string; status: string } | undefined;
    await waitFor(
      'the authorization voided and the reservation released',
      async () => {
        [intent] = await intentsOf([id]);
        return intent?.status === 'voided' && (await stockOf(product.id)).reserved === 0;
      },
      20_000,
      () => JSON.stringify(intent),
      50,
    );
    assert.equal(intent?.status, 'voided');
    assert.deepEqual(await stockOf(product.id), { onHand: 3, reserved: 0, available: 3 });
    assert.equal(capturesOf(intent!.id).length, 0);
  });

  it('a command delivered twice, sent again, or whose handler crashes before the commit has its effect once', async () => {
    const product = freshProduct();
    await setStock(product.id, 5);
    const orderId = randomUUID(); // an order of nobody: orders ignores the replies
    const reserve = checkoutMessage('inventory.reserve-stock', { orderId, lines: [{ productId: product.id, quantity: 2 }], ttlMs: 60_000 });
    // the handler's first run fails inside its transaction (before the commit, so before the ack)
    const inventory = platform.databases.inventory!;
    await inventory.query(`CREATE TABLE crash_once (order_id uuid PRIMARY KEY)`);
    await inventory.query(`CREATE FUNCTION crash_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM crash_once WHERE order_id = NEW.order_id) THEN
          RAISE EXCEPTION 'simulated crash before commit';
        END IF;
        RETURN NEW;
      END $$`);
    await inventory.query(`CREATE TRIGGER crash_once BEFORE INSERT ON stock_reservations FOR EACH ROW EXECUTE FUNCTION crash_once()`);
    const failures = () =>
      platform.subgraphs
        .inventory!.instance.events!.stats()
        .consumers.filter((consumer) => consumer.streams.includes(STREAMS.inventoryCommands))
        .reduce((sum, consumer) => sum + consumer.failed, 0);
    const failedBefore = failures();
    try {
      await transport.publish(STREAMS.inventoryCommands, [reserve]);
      // the first delivery fails (the consumer counts it) and waits for its retry
      await waitFor('the first delivery to fail', () => failures() > failedBefore, 10_000);
      assert.deepEqual(await stockOf(product.id), { onHand: 5, reserved: 0, available: 5 }, 'the failed run left nothing behind');
      await inventory.query('INSERT INTO crash_once (order_id) VALUES ($1::uuid)', [orderId]);
      // the same event again (a relay that published twice), and the same command sent again under a new id
      await transport.publish(STREAMS.inventoryCommands, [reserve]);
      await transport.publish(STREAMS.inventoryCommands, [checkoutMessage('inventory.reserve-stock', reserve.payload)]);
      const handled = async () =>
        (
          await inventory.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM inbox_events WHERE consumer = 'inventory' AND event_id = $1::uuid`,
            [reserve.id],
          )
        )[0]!.n;
      await platform.drainBus(20_000); // the retry of the first delivery and both sent again, handled
      assert.equal(await handled(), 1);
      assert.deepEqual(await stockOf(product.id), { onHand: 5, reserved: 2, available: 3 }, 'reserved once');
      const rows = await inventory.query<{ n: number }>('SELECT count(*)::int AS n FROM stock_reservations WHERE order_id = $1::uuid', [
        orderId,
      ]);
      assert.equal(rows[0]!.n, 1);
      const replies = await inventory.query<{ type: string }>(
        `SELECT envelope->>'type' AS type FROM outbox_events WHERE envelope->'payload'->>'orderId' = $1 ORDER BY seq`,
        [orderId],
      );
      // one reply for the event, one for the command sent again (idempotent: the same reservation)
      assert.deepEqual(
        replies.map((reply) => reply.type),
        ['inventory.stock-reserved', 'inventory.stock-reserved'],
      );
    } finally {
      await inventory.query('DROP TRIGGER crash_once ON stock_reservations');
      await inventory.query('DROP FUNCTION crash_once()');
      await inventory.query('DROP TABLE crash_once');
    }
    await transport.publish(STREAMS.inventoryCommands, [checkoutMessage('inventory.release-stock', { orderId })]);
    assert.deepEqual(await stockSettled(product.id), { onHand: 5, reserved: 0, available: 5 });
  });

  it('replies delivered again after the order settled change nothing', async () => {
    const product = freshProduct();
    await setStock(product.id, 5);
    const id = await buy(await customer(), product.id, 1);
    await settled([id]);
    const before = await historyOf(id);
    const [intent] = await intentsOf([id]);
    await transport.publish(STREAMS.inventory, [checkoutMessage('inventory.stock-reserved', { orderId: id, reservationIds: [] })]);
    await transport.publish(STREAMS.payments, [
      checkoutMessage('payments.payment-authorized', { orderId: id, paymentIntentId: intent!.id }),
      checkoutMessage('payments.payment-captured', { orderId: id, paymentIntentId: intent!.id }),
    ]);
    await platform.drainBus();
    assert.deepEqual(await historyOf(id), before);
    assert.equal(capturesOf(intent!.id).length, 1);
    assert.deepEqual(await stockOf(product.id), { onHand: 4, reserved: 0, available: 4 });
  });

  it('orderUpdated over WebSocket: PENDING, then CONFIRMED, with the total and product names from catalog; the buyer only', async () => {
    const product = freshProduct();
    await setStock(product.id, 5);
    const token = await customer();
    const id = await buy(token, product.id, 2, 'pm_card_slow');
    const subscribe = (connectionParams: Record<string, unknown>, persistedId?: string) => {
      const client = createClient({
        url: platform.routerUrl.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams,
        retryAttempts: 0,
      });
      clients.push(client);
      const events: { data?: { orderUpdated: Record<string, unknown> } | null; errors?: { extensions?: { code?: string } }[] }[] = [];
      let refusal: { extensions?: { code?: string } }[] = [];
      let ended = false;
      const resolveDone = () => {
        ended = true;
      };
      client.subscribe(
        persistedId
          ? { query: '', variables: { orderId: id }, extensions: { persistedQuery: { version: 1, sha256Hash: persistedId } } }
          : { query: ORDER_UPDATED, variables: { id } },
        {
          next: (event) => void events.push(event as (typeof events)[number]),
          // graphql-ws: a refused subscription ends with an error message carrying the GraphQL errors
          error: (error) => {
            if (Array.isArray(error)) refusal = error as typeof refusal;
            resolveDone();
          },
          complete: () => resolveDone(),
        },
      );
      return { events, ended: () => ended, refusal: () => refusal };
    };
    const buyer = subscribe({ authorization: `Bearer ${token}` });
    // the mobile app subscribes by the id of its persisted OrderUpdated operation (schema/persisted-queries/mobile.json)
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'schema/persisted-queries/mobile.json'), 'utf8')) as {
      operations: { id: string; name: string }[];
    };
    const app = subscribe(
      { authorization: `Bearer ${token}`, 'apollographql-client-name': 'mobile' },
      manifest.operations.find((op) => op.name === 'OrderUpdated')!.id,
    );
    const stranger = subscribe({ authorization: `Bearer ${await customer()}` });
    const anonymous = subscribe({});
    const statuses = () => buyer.events.map((event) => event.data?.orderUpdated.status);
    await waitFor(
      'the buyer to see CONFIRMED',
      () => statuses().includes('CONFIRMED'),
      30_000,
      () => JSON.stringify(buyer.events),
    );
    assert.equal(statuses()[0], 'PENDING');
    assert.ok(statuses().includes('CONFIRMED'), JSON.stringify(buyer.events));
    const confirmed = buyer.events.find((event) => event.data?.orderUpdated.status === 'CONFIRMED')!.data!.orderUpdated;
    assert.deepEqual(confirmed.total, { amount: (Number(product.priceAmount) * 2).toFixed(2), currencyCode: product.currencyCode });
    assert.deepEqual(confirmed.lines, [{ quantity: 2, product: { name: product.name } }]);
    const appStatuses = () => app.events.map((event) => event.data?.orderUpdated.status);
    await waitFor(
      'the app to see CONFIRMED',
      () => appStatuses().includes('CONFIRMED'),
      10_000,
      () => JSON.stringify([app.events, app.refusal()]),
    );
    assert.ok(appStatuses().includes('CONFIRMED'), JSON.stringify([app.events, app.refusal()]));
    await waitFor(
      'the stranger and the anonymous subscriptions to be refused',
      () => stranger.ended() && anonymous.ended(),
      5_000,
      () => JSON.stringify([stranger.events, stranger.refusal(), anonymous.events, anonymous.refusal()]),
    );
    for (const refused of [stranger, anonymous]) {
      assert.ok(
        refused.events.every((event) => !event.data?.orderUpdated),
        'nobody else sees the order',
      );
      const code = refused.events[0]?.errors?.[0]?.extensions?.code ?? refused.refusal()[0]?.extensions?.code;
      assert.equal(code, 'UNAUTHORIZED_FIELD_OR_TYPE', JSON.stringify([refused.events, refused.refusal()]));
    }
  });

  it("orders' own WebSocket serves an order only to the router, an admin or its buyer (defence in depth)", async () => {
    const product = freshProduct();
    await setStock(product.id, 5);
    const token = await customer();
    const id = await buy(token, product.id, 1);
    const buyerId = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sub as string;
    const first = async (connectionParams: Record<string, unknown>) => {
      const client = createClient({
        url: platform.subgraphs.orders!.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams,
        retryAttempts: 0,
      });
      clients.push(client);
      return new Promise<{ data?: unknown; code?: unknown }>((resolve) => {
        const stop = client.subscribe(
          { query: 'subscription($id: ID!) { orderUpdated(orderId: $id) { id } }', variables: { id } },
          {
            next: (event) => {
              stop();
              resolve({ data: event.data, code: event.errors?.[0]?.extensions?.code });
            },
            error: (error) =>
              resolve({ code: Array.isArray(error) ? (error[0] as { extensions?: { code?: string } }).extensions?.code : String(error) }),
            complete: () => resolve({}),
          },
        );
      });
    };
    const signed = (principal: Principal) => ({ headers: principalHeaders(principal, platform.routerSecret) });
    assert.equal((await first({})).code, 'UNAUTHENTICATED', 'an unsigned connection');
    const stranger = await first(signed({ userId: randomUUID(), role: 'customer', scopes: [] }));
    assert.equal(stranger.code, 'NOT_FOUND', 'another customer cannot tell the order exists');
    assert.deepEqual((await first(signed({ userId: buyerId, role: 'customer', scopes: [] }))).data, { orderUpdated: { id } });
    assert.deepEqual(
      (await first(signed({ userId: randomUUID(), role: 'admin', scopes: [] }))).data,
      { orderUpdated: { id } },
      'the router signs as admin',
    );
  });
});
