import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { productPriceChanged, sharedEventTransport, STREAMS, type EventTransport, type ServiceEvents } from '@commerce/events';
import { createLogger, demoData, waitFor } from '@commerce/kit';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

const CHANGE = `mutation ChangePrice($input: ChangeProductPriceInput!) {
  changeProductPrice(input: $input) { product { id price { amount currencyCode } } userErrors { code field message } }
}`;
const ADD = `mutation($input: AddToCartInput!) { addToCart(input: $input) { cart { lines { unitPrice { amount } } } userErrors { code } } }`;
const CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { order { id total { amount currencyCode } } userErrors { code } } }`;
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }`;

interface ChangeResult {
  changeProductPrice: {
    product: { id: string; price: { amount: string; currencyCode: string } } | null;
    userErrors: { code: string; field: string[] }[];
  } | null;
}

/** A vendor changes a price in catalog; orders follows through the bus, so carts and checkouts charge the new one. */
describe(`prices (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  let transport: EventTransport;
  let vendorToken: string;
  const data = demoData();
  const vendor1 = data.vendors[0]!.id;
  const [own, ownOther] = data.products.filter((product) => product.vendorId === vendor1);
  const foreign = data.products.find((product) => product.vendorId !== vendor1)!;

  const catalogPrices = () => platform.databases.catalog!.query('SELECT id, price_amount::text, price_version FROM products ORDER BY id');
  const catalogOutbox = async () =>
    (await platform.databases.catalog!.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events'))[0]!.n;
  const ordersPrice = async (productId: string) =>
    (
      await platform.databases.orders!.query<{ amount: string; version: number }>(
        'SELECT price_amount::text AS amount, price_version AS version FROM product_prices WHERE product_id = $1::uuid',
        [productId],
      )
    )[0];
  const until = (what: string, check: () => Promise<boolean>) => waitFor(what, check, 15_000, undefined, 25);

  before(async () => {
    platform = await startTestPlatform();
    transport = sharedEventTransport(platform.shared, {}, createLogger('test', 'silent'));
    vendorToken = await platform.login('vendor1@demo.shop');
  });
  after(() => platform?.close());

  it('a vendor changes its price; orders follows, and a cart and checkout charge the new price', async () => {
    const changed = await platform.graphql<ChangeResult>(
      CHANGE,
      { input: { productId: own!.id, amount: '12.5', currencyCode: 'EUR' } },
      { token: vendorToken },
    );
    assert.deepEqual(changed.body.data!.changeProductPrice!.userErrors, []);
    assert.deepEqual(changed.body.data!.changeProductPrice!.product!.price, { amount: '12.50', currencyCode: 'EUR' });
    const read = await platform.graphql<{ product: { price: { amount: string } } }>(
      'query($id: ID!) { product(id: $id) { price { amount } } }',
      { id: own!.id },
    );
    assert.equal(read.body.data!.product.price.amount, '12.50');
    await until('orders to hold the new price', async () => (await ordersPrice(own!.id))?.amount === '12.50');
    assert.equal((await ordersPrice(own!.id))!.version, 2);

    const buyer = (
      await platform.graphql<{ signUp: { accessToken: string } }>(SIGN_UP, {
        input: { email: `price-${randomUUID()}@example.com`, password: 'correct horse battery staple', name: 'Buyer' },
      })
    ).body.data!.signUp.accessToken;
    const cart = await platform.graphql<{ addToCart: { cart: { lines: { unitPrice: { amount: string } }[] } } }>(
      ADD,
      { input: { productId: own!.id, quantity: 2 } },
      { token: buyer },
    );
    assert.equal(cart.body.data!.addToCart.cart.lines[0]!.unitPrice.amount, '12.50');
    const checkout = await platform.graphql<{ checkout: { order: { total: { amount: string } }; userErrors: unknown[] } }>(
      CHECKOUT,
      {
        input: {
          idempotencyKey: randomUUID(),
          paymentMethod: 'pm_card_ok',
          shippingAddress: { name: 'B', line1: 'x', city: 'y', postalCode: '1', country: 'NL' },
        },
      },
      { token: buyer },
    );
    assert.deepEqual(checkout.body.data!.checkout.userErrors, []);
    assert.equal(checkout.body.data!.checkout.order.total.amount, '25.00');
  });

  it('the same price again changes nothing and publishes nothing', async () => {
    const before = { prices: await catalogPrices(), outbox: await catalogOutbox() };
    const again = await platform.graphql<ChangeResult>(
      CHANGE,
      { input: { productId: own!.id, amount: '12.50', currencyCode: 'EUR' } },
      { token: vendorToken },
    );
    assert.deepEqual(again.body.data!.changeProductPrice!.userErrors, []);
    assert.deepEqual({ prices: await catalogPrices(), outbox: await catalogOutbox() }, before);
  });

  it('refuses bad prices with userErrors and changes nothing', async () => {
    const before = { prices: await catalogPrices(), outbox: await catalogOutbox() };
    const cases: [Record<string, string>, string, string][] = [
      [{ amount: '-1.00', currencyCode: 'EUR' }, 'INVALID_PRICE', 'amount'],
      [{ amount: '0', currencyCode: 'EUR' }, 'INVALID_PRICE', 'amount'],
      [{ amount: '1.234', currencyCode: 'EUR' }, 'INVALID_PRICE', 'amount'],
      [{ amount: '1e3', currencyCode: 'EUR' }, 'INVALID_PRICE', 'amount'],
      [{ amount: '10000000000.00', currencyCode: 'EUR' }, 'INVALID_PRICE', 'amount'],
      [{ amount: '9.99', currencyCode: 'USD' }, 'CURRENCY_MISMATCH', 'currencyCode'],
    ];
    for (const [price, code, field] of cases) {
      const result = await platform.graphql<ChangeResult>(CHANGE, { input: { productId: ownOther!.id, ...price } }, { token: vendorToken });
      const payload = result.body.data!.changeProductPrice!;
      assert.deepEqual(
        payload.userErrors.map((error) => [error.code, error.field]),
        [[code, ['input', field]]],
        JSON.stringify(price),
      );
      assert.equal(payload.product, null);
    }
    const unknown = await platform.graphql<ChangeResult>(
      CHANGE,
      { input: { productId: '00000000-0000-4000-8000-000000000000', amount: '1.00', currencyCode: 'EUR' } },
      { token: await platform.login('admin@demo.shop') },
    );
    assert.equal(unknown.body.data!.changeProductPrice!.userErrors[0]!.code, 'PRODUCT_NOT_FOUND'); // vendor staff: refused by the router
    const unknownToVendor = await platform.graphql<ChangeResult>(
      CHANGE,
      { input: { productId: '00000000-0000-4000-8000-000000000000', amount: '1.00', currencyCode: 'EUR' } },
      { token: vendorToken },
    );
    assert.equal(unknownToVendor.body.errors?.[0]?.extensions?.code, 'UNAUTHORIZED_FIELD_OR_TYPE');
    assert.deepEqual({ prices: await catalogPrices(), outbox: await catalogOutbox() }, before);
  });

  it('refuses anonymous callers, customers and other vendors before catalog runs; admins may', async () => {
    const before = { prices: await catalogPrices(), outbox: await catalogOutbox() };
    const input = (productId: string) => ({ input: { productId, amount: '1.00', currencyCode: 'EUR' } });
    for (const [productId, token] of [
      [own!.id, undefined],
      [own!.id, await platform.login('customer1@demo.shop')],
      [foreign.id, vendorToken],
    ] as const) {
      const result = await platform.graphql<ChangeResult>(CHANGE, input(productId), { token });
      assert.equal(result.body.errors?.[0]?.extensions?.code, 'UNAUTHORIZED_FIELD_OR_TYPE');
      assert.equal(result.body.data?.changeProductPrice ?? null, null);
    }
    assert.deepEqual({ prices: await catalogPrices(), outbox: await catalogOutbox() }, before);
    const admin = await platform.graphql<ChangeResult>(CHANGE, input(foreign.id), { token: await platform.login('admin@demo.shop') });
    assert.deepEqual(admin.body.data!.changeProductPrice!.userErrors, []);
  });

  it('orders keeps the newest price whatever order the events come in, and each event once', async () => {
    const productId = ownOther!.id;
    const price = (amount: string, priceVersion: number) =>
      productPriceChanged({ productId, vendorId: vendor1, price: { amount, currencyCode: 'EUR' }, priceVersion });
    const newer = price('30.00', 7);
    await transport.publish(STREAMS.catalog, [newer]);
    await until('version 7', async () => (await ordersPrice(productId))?.version === 7);
    // an older change arriving late, then the newer one delivered again
    const older = price('20.00', 5);
    await transport.publish(STREAMS.catalog, [older, newer]);
    const inInbox = async (eventId: string) =>
      (
        await platform.databases.orders!.query<{ n: number }>('SELECT count(*)::int AS n FROM inbox_events WHERE event_id = $1::uuid', [
          eventId,
        ])
      )[0]!.n;
    await until('the older change handled', async () => (await inInbox(older.id)) === 1);
    await until('the repeated delivery acknowledged', async () => {
      const { consumers } = (platform.subgraphs.orders!.instance.events as ServiceEvents).stats(); // orders' own ServiceEvents
      return consumers.some((consumer) => (consumer.duplicates ?? 0) >= 1);
    });
    assert.equal(await inInbox(newer.id), 1);
    assert.deepEqual(await ordersPrice(productId), { amount: '30.00', version: 7 });
  });
});
