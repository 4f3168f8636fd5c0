import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { demoData, waitFor } from '@commerce/kit';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

/** Notifications end to end: checkout through the router, the saga over the bus, notifications reading it. */
const ADD = `mutation($input: AddToCartInput!) { addToCart(input: $input) { userErrors { code } } }`;
const CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { order { id status } userErrors { code } } }`;
const MY_ORDERS = `{ me { orders { edges { node { id status } } } } }`;
const MY_NOTIFICATIONS = `query($unreadOnly: Boolean, $first: Int, $after: String) { me { notifications(unreadOnly: $unreadOnly, first: $first, after: $after) {
  edges { cursor node { id kind title body channels readAt createdAt order { id status } product { id name } } }
  pageInfo { hasNextPage endCursor } } } }`;
const MARK_READ = `mutation($id: ID!) { markNotificationRead(id: $id) {
  notification { id readAt } user { notifications(unreadOnly: true) { edges { node { id } } } } userErrors { code field } } }`;
const ADDRESS = { name: 'Nadia Notified', line1: 'Prinsengracht 1', city: 'Amsterdam', postalCode: '1015 DK', country: 'NL' };

interface NotificationNode {
  id: string;
  kind: string;
  title: string;
  body: string;
  channels: string[];
  readAt: string | null;
  createdAt: string;
  order: { id: string; status: string } | null;
  product: { id: string; name: string } | null;
}
interface MyNotifications {
  me: {
    notifications: {
      edges: { cursor: string; node: NotificationNode }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    } | null;
  } | null;
}
interface MarkRead {
  markNotificationRead: {
    notification: { id: string; readAt: string | null } | null;
    user: { notifications: { edges: { node: { id: string } }[] } } | null;
    userErrors: { code: string; field: string[] | null }[];
  } | null;
}

describe(`notifications (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  const data = demoData();
  const vendor1 = data.users.find((user) => user.email === 'vendor1@demo.shop')!;
  const product = data.products.filter((candidate) => candidate.vendorId === vendor1.vendorId)[1]!;
  const stranger = 'customer15@demo.shop';
  /** A customer who wrote a review, so another user can reach them as a review's author. */
  const buyerId = data.reviews
    .map((review) => review.authorId)
    .find((id) => data.users.some((user) => user.id === id && user.role === 'customer' && user.email !== stranger))!;
  const buyer = data.users.find((user) => user.id === buyerId)!.email;
  const tokens = new Map<string, string>();
  const token = async (email: string) => {
    if (!tokens.has(email)) tokens.set(email, await platform.login(email));
    return tokens.get(email)!;
  };
  const notificationsOf = async (email: string, variables: Record<string, unknown> = {}) => {
    const { body } = await platform.graphql<MyNotifications>(MY_NOTIFICATIONS, variables, { token: await token(email) });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data!.me!.notifications!.edges.map((edge) => edge.node);
  };
  const markRead = async (email: string, id: string) =>
    (await platform.graphql<MarkRead>(MARK_READ, { id }, { token: await token(email) })).body.data!.markNotificationRead!;
  /** Polls until `check` holds for what `read` returns (the saga and the consumers run in the background). */
  const eventually = async <T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 30_000): Promise<T> => {
    let value: T | undefined;
    await waitFor(
      what,
      async () => {
        value = await read();
        return check(value);
      },
      timeoutMs,
      () => JSON.stringify(value),
      100,
    );
    return value as T; // read by the check that held
  };

  let orderId: string;
  let confirmation: NotificationNode;

  before(async () => {
    platform = await startTestPlatform();
    // exactly two units left, both bought below: the product sells out with this order
    await platform.databases.inventory!.query(
      `UPDATE stock_levels SET on_hand = CASE WHEN warehouse_id = (SELECT min(warehouse_id::text)::uuid FROM stock_levels WHERE product_id = $1::uuid)
         THEN 2 ELSE 0 END, reserved = 0 WHERE product_id = $1::uuid`,
      [product.id],
    );
    const added = await platform.graphql<{ addToCart: { userErrors: unknown[] } }>(
      ADD,
      { input: { productId: product.id, quantity: 2 } },
      { token: await token(buyer) },
    );
    assert.deepEqual(added.body.data?.addToCart.userErrors, [], JSON.stringify(added.body));
    const { body } = await platform.graphql<{ checkout: { order: { id: string; status: string } | null; userErrors: unknown[] } }>(
      CHECKOUT,
      { input: { idempotencyKey: randomUUID(), paymentMethod: 'pm_card_ok', shippingAddress: ADDRESS } },
      { token: await token(buyer) },
    );
    assert.deepEqual(body.data?.checkout.userErrors, [], JSON.stringify(body));
    orderId = body.data!.checkout.order!.id;
  });
  after(() => platform?.close());

  it('tells the buyer that the order was received and then confirmed, newest first', async () => {
    await eventually(
      'the order to be confirmed',
      async () =>
        (
          await platform.graphql<{ me: { orders: { edges: { node: { id: string; status: string } }[] } } }>(
            MY_ORDERS,
            {},
            { token: await token(buyer) },
          )
        ).body,
      (body) => body.data?.me.orders.edges.some((edge) => edge.node.id === orderId && edge.node.status === 'CONFIRMED') ?? false,
    );
    const notifications = await eventually(
      'the confirmation',
      () => notificationsOf(buyer),
      (list) => list.some((node) => node.kind === 'ORDER_CONFIRMED'),
    );
    assert.deepEqual(
      notifications.map((node) => [node.kind, node.title, node.channels, node.readAt, node.order]),
      [
        ['ORDER_CONFIRMED', 'Your order is confirmed', ['IN_APP', 'EMAIL', 'SMS'], null, { id: orderId, status: 'CONFIRMED' }],
        ['ORDER_PLACED', 'We received your order', ['IN_APP'], null, { id: orderId, status: 'CONFIRMED' }],
      ],
    );
    confirmation = notifications[0]!;
    assert.ok(confirmation.body.includes(orderId.slice(0, 8).toUpperCase()));
    // the email and the SMS wait in the local outbox, addressed to the user's id (no address is stored)
    const messages = await platform.databases.notifications!.query<{ channel: string; recipient: string }>(
      'SELECT channel, recipient FROM outgoing_messages WHERE notification_id = $1::uuid ORDER BY channel',
      [confirmation.id],
    );
    assert.deepEqual(
      messages.map((row) => [row.channel, row.recipient.split(':')[0]]),
      [
        ['EMAIL', 'user'],
        ['SMS', 'user'],
      ],
    );
    // pages: one at a time, without gaps
    const [first] = await notificationsOf(buyer, { first: 1 });
    const { body } = await platform.graphql<MyNotifications>(MY_NOTIFICATIONS, { first: 1 }, { token: await token(buyer) });
    const second = await notificationsOf(buyer, { first: 1, after: body.data!.me!.notifications!.pageInfo.endCursor });
    assert.deepEqual([first!.kind, second[0]!.kind], ['ORDER_CONFIRMED', 'ORDER_PLACED']);
  });

  it("tells the vendor's staff of the confirmed order and of the product that sold out with it", async () => {
    const list = await eventually(
      "the vendor's notifications",
      () => notificationsOf('vendor1@demo.shop'),
      (nodes) =>
        nodes.some((node) => node.kind === 'PRODUCT_SOLD_OUT' && node.product?.id === product.id) &&
        nodes.some((node) => node.kind === 'VENDOR_ORDER_CONFIRMED' && node.order?.id === orderId),
    );
    const soldOut = list.find((node) => node.kind === 'PRODUCT_SOLD_OUT')!;
    assert.deepEqual([soldOut.channels, soldOut.product], [['IN_APP', 'EMAIL'], { id: product.id, name: product.name }]);
    // the other vendor hears of neither
    const contoso = await notificationsOf('vendor2@demo.shop');
    assert.equal(
      contoso.some((node) => node.order?.id === orderId || node.product?.id === product.id),
      false,
    );
  });

  it('shows another customer none of them, and lets only the owner mark one read', async () => {
    assert.ok(confirmation, 'the first test found the confirmation');
    assert.deepEqual(await notificationsOf(stranger), []);
    const refused = await markRead(stranger, confirmation.id);
    assert.deepEqual([refused.notification, refused.user, refused.userErrors], [null, null, [{ code: 'NOT_FOUND', field: ['id'] }]]);
    assert.deepEqual(
      (await markRead(buyer, 'not-an-id')).userErrors.map((error) => error.code),
      ['NOT_FOUND'],
    );
    assert.equal((await notificationsOf(buyer)).find((node) => node.id === confirmation.id)!.readAt, null, 'nothing changed');

    const marked = await markRead(buyer, confirmation.id);
    assert.deepEqual(marked.userErrors, []);
    assert.ok(marked.notification!.readAt);
    assert.equal(
      marked.user!.notifications.edges.some((edge) => edge.node.id === confirmation.id),
      false,
    );
    const again = await markRead(buyer, confirmation.id);
    assert.equal(again.notification!.readAt, marked.notification!.readAt, 'a repeat keeps the first readAt');
    assert.deepEqual(
      (await notificationsOf(buyer, { unreadOnly: true })).map((node) => node.kind),
      ['ORDER_PLACED'],
    );
  });

  it("refuses the signed-out and another user's notifications", async () => {
    const anonymous = await platform.graphql<MarkRead>(MARK_READ, { id: confirmation?.id ?? randomUUID() });
    assert.deepEqual(
      anonymous.body.errors?.map((error) => error.extensions?.code),
      ['UNAUTHORIZED_FIELD_OR_TYPE'],
    );
    // another user's notifications through a review's author: the router's self_or_admin policy refuses them
    const review = data.reviews.find((candidate) => candidate.authorId === buyerId)!;
    const { body } = await platform.graphql<{ product: { reviews: null } | null }>(
      `query($id: ID!) { product(id: $id) { reviews(first: 100) { edges { node { author { id notifications { edges { node { id } } } } } } } } }`,
      { id: review.productId },
      { token: await token(stranger) },
    );
    // the refused field is non-null: the null goes up to the nearest nullable field, Product.reviews
    assert.deepEqual(body.data?.product, { reviews: null });
    const refusals = body.errors?.map((error) => [error.extensions?.code, error.path?.slice(-2).join('.')]) ?? [];
    assert.ok(refusals.length > 0);
    for (const refusal of refusals) assert.deepEqual(refusal, ['UNAUTHORIZED_FIELD_OR_TYPE', 'author.notifications']);
  });
});
