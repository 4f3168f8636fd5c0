import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { demoData, principalHeaders } from '@commerce/kit';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

const CART_FIELDS =
  'cart { itemCount subtotal { amount currencyCode } lines { product { id name } quantity unitPrice { amount } lineTotal { amount } } } userErrors { code field }';
const ADD = `mutation($input: AddToCartInput!) { addToCart(input: $input) { ${CART_FIELDS} } }`;
const REMOVE = `mutation($id: ID!) { removeFromCart(productId: $id) { ${CART_FIELDS} } }`;
const ORDER_FIELDS =
  'id status total { amount currencyCode } lines { product { id name } quantity unitPrice { amount } } history { type version at } createdAt';
const CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { order { ${ORDER_FIELDS} } userErrors { code field } } }`;
const CANCEL = `mutation($id: ID!) { cancelOrder(orderId: $id) { order { id status history { type version } } userErrors { code field } } }`;
const MY_ORDERS = `query($first: Int, $after: String) { me { orders(first: $first, after: $after) {
  edges { cursor node { id status total { amount } lines { product { id } quantity } } } pageInfo { hasNextPage endCursor } } } }`;

interface CartData {
  itemCount: number;
  subtotal: { amount: string; currencyCode: string } | null;
  lines: { product: { id: string; name: string }; quantity: number; unitPrice: { amount: string }; lineTotal: { amount: string } }[];
}
interface CartResult {
  cart: CartData | null;
  userErrors: { code: string; field: string[] | null }[];
}
interface OrderData {
  id: string;
  status: string;
  total: { amount: string; currencyCode: string };
  lines: { product: { id: string; name: string }; quantity: number; unitPrice: { amount: string } }[];
  history: { type: string; version: number; at: string }[];
  createdAt: string;
}
interface CheckoutResult {
  checkout: { order: OrderData | null; userErrors: { code: string; field: string[] | null }[] } | null;
}
interface MyOrders {
  me: {
    orders: {
      edges: { cursor: string; node: { id: string; status: string; lines: { product: { id: string }; quantity: number }[] } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    } | null;
  };
}

const ADDRESS = {
  name: 'Zelda Zwanenburg',
  line1: 'Keizersgracht 123',
  line2: null,
  city: 'Amsterdam',
  postalCode: '1015 CJ',
  country: 'NL',
};
const cents = (amount: string) => Math.round(Number(amount) * 100);

describe(`orders (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  const data = demoData();
  const vendor1 = data.users.find((user) => user.email === 'vendor1@demo.shop')!;
  const vendor2 = data.users.find((user) => user.email === 'vendor2@demo.shop')!;
  const northwind = data.products.filter((product) => product.vendorId === vendor1.vendorId);
  const contoso = data.products.filter((product) => product.vendorId === vendor2.vendorId);
  const tokens = new Map<string, string>();
  const token = async (email: string) => {
    if (!tokens.has(email)) tokens.set(email, await platform.login(email));
    return tokens.get(email)!;
  };
  const add = async (email: string, productId: string, quantity: number) =>
    (await platform.graphql<{ addToCart: CartResult }>(ADD, { input: { productId, quantity } }, { token: await token(email) })).body.data!
      .addToCart;
  const cart = async (email: string) =>
    (
      await platform.graphql<{ cart: CartData }>(
        `{ ${CART_FIELDS.slice(0, CART_FIELDS.indexOf(' userErrors'))} }`,
        {},
        { token: await token(email) },
      )
    ).body.data!.cart;
  const checkout = async (email: string, input: Record<string, unknown>) => {
    const { body } = await platform.graphql<CheckoutResult>(CHECKOUT, { input }, { token: await token(email) });
    return { checkout: body.data?.checkout ?? null, errors: body.errors };
  };
  const orderCount = async () => (await platform.databases.orders!.query<{ n: number }>('select count(*)::int as n from orders'))[0]!.n;
  /** Puts products in the cart and checks out; returns the order. */
  const placeOrder = async (
    email: string,
    items: [string, number][],
    key = `key-${email}-${Date.now()}-${Math.random()}`,
    paymentMethod = 'pm_card_ok',
  ) => {
    for (const [productId, quantity] of items) assert.deepEqual((await add(email, productId, quantity)).userErrors, []);
    const body = await checkout(email, { idempotencyKey: key, paymentMethod, shippingAddress: ADDRESS });
    assert.deepEqual(body.checkout?.userErrors, [], JSON.stringify(body));
    return body.checkout!.order!;
  };

  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform?.close());

  it('adds, increases and removes cart lines; bad input gets userErrors and changes nothing', async () => {
    const email = 'customer4@demo.shop';
    const [a, b] = [northwind[0]!, contoso[0]!];
    let result = await add(email, a.id, 2);
    assert.deepEqual(result.userErrors, []);
    result = await add(email, a.id, 3); // adds to the line
    result = await add(email, b.id, 1);
    assert.deepEqual(result.userErrors, []);
    assert.deepEqual(
      result.cart!.lines.map((line) => [line.product.id, line.quantity, line.product.name]),
      [
        [a.id, 5, a.name],
        [b.id, 1, b.name],
      ],
    );
    assert.equal(result.cart!.itemCount, 6);
    assert.equal(result.cart!.lines[0]!.unitPrice.amount, a.priceAmount);
    assert.equal(cents(result.cart!.subtotal!.amount), cents(a.priceAmount) * 5 + cents(b.priceAmount));
    assert.equal(result.cart!.subtotal!.currencyCode, 'EUR');

    const snapshot = await cart(email);
    const cases: [Record<string, unknown>, string][] = [
      [{ productId: a.id, quantity: 0 }, 'QUANTITY_OUT_OF_RANGE'],
      [{ productId: a.id, quantity: 100 }, 'QUANTITY_OUT_OF_RANGE'],
      [{ productId: a.id, quantity: 95 }, 'QUANTITY_OUT_OF_RANGE'], // 5 + 95 > 99
      [{ productId: a.id, quantity: -1 }, 'QUANTITY_OUT_OF_RANGE'],
      [{ productId: '00000000-0000-4000-8000-000000000000', quantity: 1 }, 'PRODUCT_NOT_FOUND'],
      [{ productId: 'bogus', quantity: 1 }, 'PRODUCT_NOT_FOUND'],
    ];
    for (const [input, code] of cases) {
      const bad = (await platform.graphql<{ addToCart: CartResult }>(ADD, { input }, { token: await token(email) })).body.data!.addToCart;
      assert.equal(bad.userErrors[0]?.code, code, JSON.stringify(input));
      assert.equal(bad.cart, null);
    }
    const missing = (await platform.graphql<{ removeFromCart: CartResult }>(REMOVE, { id: contoso[1]!.id }, { token: await token(email) }))
      .body.data!.removeFromCart;
    assert.equal(missing.userErrors[0]?.code, 'NOT_IN_CART');
    assert.deepEqual(await cart(email), snapshot);

    const removed = (await platform.graphql<{ removeFromCart: CartResult }>(REMOVE, { id: a.id }, { token: await token(email) })).body.data!
      .removeFromCart;
    assert.deepEqual(removed.userErrors, []);
    assert.deepEqual(
      removed.cart!.lines.map((line) => line.product.id),
      [b.id],
    );
    await platform.graphql(REMOVE, { id: b.id }, { token: await token(email) });
    const empty = await cart(email);
    assert.deepEqual([empty.lines, empty.itemCount, empty.subtotal], [[], 0, null]);
  });

  it('checkout creates a PENDING order with lines, total and history [OrderPlaced], and empties the cart', async () => {
    const email = 'customer5@demo.shop';
    const [a, b] = [northwind[1]!, contoso[1]!];
    const order = await placeOrder(email, [
      [a.id, 2],
      [b.id, 1],
    ]);
    assert.equal(order.status, 'PENDING');
    assert.deepEqual(
      order.lines.map((line) => [line.product.id, line.quantity, line.unitPrice.amount, line.product.name]).sort(),
      [
        [a.id, 2, a.priceAmount, a.name],
        [b.id, 1, b.priceAmount, b.name],
      ].sort(),
    );
    assert.equal(cents(order.total.amount), cents(a.priceAmount) * 2 + cents(b.priceAmount));
    assert.equal(order.total.currencyCode, 'EUR');
    // the checkout saga goes on from here (checkout-saga.test.ts)
    assert.deepEqual([order.history[0]!.type, order.history[0]!.version], ['OrderPlaced', 1]);
    assert.deepEqual((await cart(email)).lines, []);
    const mine = (await platform.graphql<MyOrders>(MY_ORDERS, {}, { token: await token(email) })).body.data!.me.orders!;
    assert.equal(mine.edges[0]!.node.id, order.id);

    const emptyAgain = await checkout(email, { idempotencyKey: 'another-key-1', paymentMethod: 'pm_card_ok', shippingAddress: ADDRESS });
    assert.equal(emptyAgain.checkout!.userErrors[0]?.code, 'CART_EMPTY');
  });

  it('refuses a bad address, payment method or idempotency key with userErrors and creates nothing', async () => {
    const email = 'customer6@demo.shop';
    await add(email, northwind[2]!.id, 1);
    const before = await orderCount();
    const cases: [Record<string, unknown>, string, string[]][] = [
      [{ paymentMethod: 'pm_card_platinum' }, 'INVALID_PAYMENT_METHOD', ['input', 'paymentMethod']],
      [{ shippingAddress: { ...ADDRESS, country: 'Netherlands' } }, 'INVALID_ADDRESS', ['input', 'shippingAddress', 'country']],
      [{ shippingAddress: { ...ADDRESS, city: '  ' } }, 'INVALID_ADDRESS', ['input', 'shippingAddress', 'city']],
      [{ shippingAddress: { ...ADDRESS, line1: 'x'.repeat(201) } }, 'INVALID_ADDRESS', ['input', 'shippingAddress', 'line1']],
      [{ idempotencyKey: 'short' }, 'INVALID_IDEMPOTENCY_KEY', ['input', 'idempotencyKey']],
    ];
    for (const [override, code, field] of cases) {
      const body = await checkout(email, {
        idempotencyKey: 'bad-input-key',
        paymentMethod: 'pm_card_ok',
        shippingAddress: ADDRESS,
        ...override,
      });
      assert.equal(body.checkout!.userErrors[0]?.code, code, JSON.stringify(override));
      assert.deepEqual(body.checkout!.userErrors[0]?.field, field);
      assert.equal(body.checkout!.order, null);
    }
    assert.equal(await orderCount(), before);
    assert.equal((await cart(email)).lines.length, 1);
  });

  it('returns the same order for a retried idempotency key, and IDEMPOTENCY_KEY_REUSED for other input', async () => {
    const email = 'customer7@demo.shop';
    const key = 'checkout-7-0001';
    const input = { idempotencyKey: key, paymentMethod: 'pm_card_ok', shippingAddress: ADDRESS };
    await add(email, northwind[3]!.id, 1);
    const [first, retry] = await Promise.all([checkout(email, input), checkout(email, input)]); // a double submit
    assert.deepEqual(first.checkout!.userErrors, []);
    assert.deepEqual(retry.checkout!.userErrors, []);
    assert.equal(retry.checkout!.order!.id, first.checkout!.order!.id);
    const later = await checkout(email, { ...input, shippingAddress: { ...ADDRESS, name: ` ${ADDRESS.name} ` } }); // same after trimming
    assert.equal(later.checkout!.order!.id, first.checkout!.order!.id);

    await add(email, northwind[4]!.id, 1);
    const before = await orderCount();
    for (const other of [
      { ...input, paymentMethod: 'pm_card_slow' },
      { ...input, shippingAddress: { ...ADDRESS, city: 'Utrecht' } },
    ]) {
      const reused = await checkout(email, other);
      assert.equal(reused.checkout!.userErrors[0]?.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.deepEqual(reused.checkout!.userErrors[0]?.field, ['input', 'idempotencyKey']);
      assert.equal(reused.checkout!.order, null);
    }
    assert.equal(await orderCount(), before);
    assert.equal((await cart(email)).lines.length, 1, 'the cart is untouched');
    const mine = (await platform.graphql<MyOrders>(MY_ORDERS, {}, { token: await token(email) })).body.data!.me.orders!;
    assert.equal(mine.edges.length, 1);
  });

  it("shows customers only their own orders, newest first, and never another customer's by reference", async () => {
    const owner = 'customer8@demo.shop';
    const older = await placeOrder(owner, [[northwind[5]!.id, 1]]);
    const newer = await placeOrder(owner, [[contoso[5]!.id, 1]]);
    const page1 = (await platform.graphql<MyOrders>(MY_ORDERS, { first: 1 }, { token: await token(owner) })).body.data!.me.orders!;
    assert.deepEqual(
      page1.edges.map((edge) => edge.node.id),
      [newer.id],
    );
    assert.equal(page1.pageInfo.hasNextPage, true);
    const page2 = (
      await platform.graphql<MyOrders>(MY_ORDERS, { first: 1, after: page1.pageInfo.endCursor }, { token: await token(owner) })
    ).body.data!.me.orders!;
    assert.deepEqual(
      page2.edges.map((edge) => edge.node.id),
      [older.id],
    );
    assert.equal(page2.pageInfo.hasNextPage, false);

    const other = (await platform.graphql<MyOrders>(MY_ORDERS, {}, { token: await token('customer9@demo.shop') })).body.data!.me.orders!;
    assert.deepEqual(other.edges, []);
    const admin = (await platform.graphql<MyOrders>(MY_ORDERS, { first: 100 }, { token: await token('admin@demo.shop') })).body.data!.me
      .orders!;
    assert.ok(
      admin.edges.some((edge) => edge.node.id === newer.id),
      'admins see every order',
    );

    // An entity fetch straight at the subgraph (as a router plan would make one) with another customer's principal.
    const entities = async (email: string) => {
      const user = data.users.find((candidate) => candidate.email === email)!;
      const principal = { userId: user.id, role: user.role, vendorId: user.vendorId, scopes: [] };
      const response = await fetch(platform.subgraphs.orders!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...principalHeaders(principal, platform.routerSecret) },
        body: JSON.stringify({
          query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id status } } }',
          variables: { r: [{ __typename: 'Order', id: newer.id }] },
        }),
      });
      return ((await response.json()) as { data: { _entities: ({ id: string } | null)[] } }).data._entities;
    };
    assert.deepEqual(await entities('customer9@demo.shop'), [null]);
    assert.deepEqual(await entities('vendor1@demo.shop'), [null], 'no Northwind product in this order');
    assert.equal((await entities(owner))[0]?.id, newer.id);
    assert.equal((await entities('vendor2@demo.shop'))[0]?.id, newer.id);
  });

  it('shows vendor staff only the orders with their products, and only their lines', async () => {
    const mixed = await placeOrder('customer10@demo.shop', [
      [northwind[6]!.id, 1],
      [contoso[6]!.id, 2],
    ]);
    const contosoOnly = await placeOrder('customer10@demo.shop', [[contoso[7]!.id, 1]]);
    const seenBy = async (email: string) =>
      (await platform.graphql<MyOrders>(MY_ORDERS, { first: 100 }, { token: await token(email) })).body.data!.me.orders!.edges.map(
        (edge) => edge.node,
      );
    const northwindView = await seenBy('vendor1@demo.shop');
    assert.ok(northwindView.some((order) => order.id === mixed.id));
    assert.ok(!northwindView.some((order) => order.id === contosoOnly.id));
    const northwindIds = new Set(northwind.map((product) => product.id));
    for (const order of northwindView) {
      assert.ok(order.lines.length > 0 && order.lines.every((line) => northwindIds.has(line.product.id)), 'only Northwind lines');
    }
    const contosoView = await seenBy('vendor2@demo.shop');
    assert.ok(contosoView.some((order) => order.id === mixed.id) && contosoView.some((order) => order.id === contosoOnly.id));
  });

  it('order(id): the buyer, staff of a vendor with a line (their lines only) and admins; null for anyone else', async () => {
    const buyer = 'customer14@demo.shop';
    const mixed = await placeOrder(buyer, [
      [northwind[12]!.id, 1],
      [contoso[12]!.id, 2],
    ]);
    const ORDER = 'query($id: ID!) { order(id: $id) { id status lines { product { id } quantity } buyer { id } } }';
    type One = { order: { id: string; lines: { product: { id: string }; quantity: number }[]; buyer: { id: string } | null } | null };
    const orderAs = async (email: string | undefined, id = mixed.id) =>
      (await platform.graphql<One>(ORDER, { id }, email ? { token: await token(email) } : {})).body;
    const lineIds = (body: { data?: One | null }) => body.data!.order!.lines.map((line) => line.product.id).sort();

    const own = await orderAs(buyer);
    assert.equal(own.errors, undefined, JSON.stringify(own.errors));
    assert.deepEqual(lineIds(own), [northwind[12]!.id, contoso[12]!.id].sort());
    assert.equal(own.data!.order!.buyer!.id, data.users.find((user) => user.email === buyer)!.id);
    assert.deepEqual(lineIds(await orderAs('admin@demo.shop')), [northwind[12]!.id, contoso[12]!.id].sort());
    const northwindView = await orderAs('vendor1@demo.shop');
    assert.deepEqual(lineIds(northwindView), [northwind[12]!.id], 'vendor staff see only their lines');
    assert.equal(northwindView.data!.order!.buyer, null);
    assert.deepEqual(lineIds(await orderAs('vendor2@demo.shop')), [contoso[12]!.id]);

    // anyone else: null, the same answer as for an order that does not exist (no error that would tell them apart)
    const contosoOnly = await placeOrder(buyer, [[contoso[13]!.id, 1]]);
    for (const [email, id] of [
      ['customer9@demo.shop', mixed.id],
      ['vendor1@demo.shop', contosoOnly.id],
      [buyer, '00000000-0000-4000-8000-000000000000'],
      [buyer, 'bogus'],
    ] as const) {
      const body = await orderAs(email, id);
      assert.deepEqual(body, { data: { order: null } }, `${email} ${id}`);
    }
    const anonymous = await orderAs(undefined);
    assert.equal(anonymous.data?.order ?? null, null);
    assert.equal(anonymous.errors?.[0]?.extensions?.code, 'UNAUTHORIZED_FIELD_OR_TYPE');
  });

  it("refuses anonymous callers at the router and keeps customers out of other users' data", async () => {
    const before = await orderCount();
    const input = { idempotencyKey: 'anonymous-key', paymentMethod: 'pm_card_ok', shippingAddress: ADDRESS };
    for (const [query, variables] of [
      [CHECKOUT, { input }],
      [ADD, { input: { productId: northwind[0]!.id, quantity: 1 } }],
      ['{ cart { itemCount } }', {}],
    ] as const) {
      const result = await platform.graphql(query, variables);
      assert.equal(result.body.errors?.[0]?.extensions?.code, 'UNAUTHORIZED_FIELD_OR_TYPE', query);
    }
    const vendor = await platform.graphql(CHECKOUT, { input }, { token: await token('vendor1@demo.shop') });
    assert.equal(vendor.body.errors?.[0]?.extensions?.code, 'UNAUTHORIZED_FIELD_OR_TYPE'); // no orders:write scope
    assert.equal(await orderCount(), before);
  });

  it('stores the shipping address encrypted (AES-256-GCM with its key id) and decrypts it for the buyer only', async () => {
    const email = 'customer11@demo.shop';
    const order = await placeOrder(email, [[northwind[7]!.id, 1]]);
    const db = platform.databases.orders!;
    const [row] = await db.query<Record<string, unknown>>('select * from orders where id = $1', [order.id]);
    const events = await db.query<Record<string, unknown>>('select * from order_events where order_id = $1', [order.id]);
    const raw = JSON.stringify([row, events]);
    for (const secret of ['Zwanenburg', 'Keizersgracht', 'Amsterdam', '1015 CJ'])
      assert.ok(!raw.includes(secret), `"${secret}" is stored in plaintext`);
    assert.equal(row!.shipping_address_key_id, 'dev-embedded');
    assert.equal(String(row!.shipping_address_encrypted).split('.').length, 3);

    const query =
      'query { me { orders(first: 1) { edges { node { id shippingAddress { name line1 line2 city postalCode country } } } } } }';
    type Result = { me: { orders: { edges: { node: { id: string; shippingAddress: typeof ADDRESS | null } }[] } } };
    const buyer = (await platform.graphql<Result>(query, {}, { token: await token(email) })).body.data!.me.orders.edges[0]!.node;
    assert.equal(buyer.id, order.id);
    assert.deepEqual(buyer.shippingAddress, ADDRESS);
    const vendor = (await platform.graphql<Result>(query, {}, { token: await token('vendor1@demo.shop') })).body.data!.me.orders.edges[0]!
      .node;
    assert.equal(vendor.id, order.id);
    assert.equal(vendor.shippingAddress, null, 'vendor staff do not get the address');
  });

  it('appends exactly one OrderCancelled when two cancels race, and refuses to cancel a non-PENDING order', async () => {
    const email = 'customer12@demo.shop';
    // a slow authorization keeps the saga before confirmation long enough to cancel
    const order = await placeOrder(email, [[contoso[8]!.id, 3]], undefined, 'pm_card_slow');
    const cancel = async (who = email) =>
      (
        await platform.graphql<{
          cancelOrder: { order: { status: string; history: { type: string; version: number }[] } | null; userErrors: { code: string }[] };
        }>(CANCEL, { id: order.id }, { token: await token(who) })
      ).body.data!.cancelOrder;
    assert.equal((await cancel('customer13@demo.shop')).userErrors[0]?.code, 'ORDER_NOT_FOUND', 'not your order');
    const results = await Promise.all([cancel(), cancel(), cancel()]);
    const succeeded = results.filter((result) => result.userErrors.length === 0);
    assert.equal(succeeded.length, 1, JSON.stringify(results));
    assert.equal(succeeded[0]!.order!.status, 'CANCELLED');
    const history = succeeded[0]!.order!.history.map((event) => event.type);
    assert.equal(history.at(-1), 'OrderCancelled');
    assert.equal(history.filter((type) => type === 'OrderCancelled').length, 1);
    for (const refused of results.filter((result) => result.userErrors.length > 0))
      assert.equal(refused.userErrors[0]!.code, 'ORDER_NOT_CANCELLABLE');
    const events = await platform.databases.orders!.query<{ type: string; version: number }>(
      'select type, version from order_events where order_id = $1 order by version',
      [order.id],
    );
    assert.deepEqual(
      events.map((event) => event.type),
      history,
    );
    assert.deepEqual(
      events.map((event) => event.version),
      history.map((_, index) => index + 1),
    );
    const [projection] = await platform.databases.orders!.query<{ status: string; version: number }>(
      'select status, version from orders where id = $1',
      [order.id],
    );
    assert.deepEqual(projection, { status: 'CANCELLED', version: history.length });

    const again = await cancel();
    assert.equal(again.userErrors[0]?.code, 'ORDER_NOT_CANCELLABLE');
    await assert.rejects(platform.databases.orders!.exec(`delete from order_events where order_id = '${order.id}'`), /append-only/);
  });
});
