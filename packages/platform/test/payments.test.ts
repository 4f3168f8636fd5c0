import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { demoData, principalHeaders, type Principal } from '@commerce/kit';
import { FakePaymentProvider, openPaymentService, sharedFakePaymentBackend, type PaymentService } from '@commerce/payments';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

const REFUND = `mutation($orderId: ID!) {
  refundPayment(orderId: $orderId) {
    payment { id status method failureReason amount { amount currencyCode } order { id payment { id status } } }
    userErrors { code field }
  }
}`;

interface RefundResult {
  refundPayment: {
    payment: {
      id: string;
      status: string;
      method: string;
      failureReason: string | null;
      amount: { amount: string; currencyCode: string };
      order: { id: string; payment: { id: string; status: string } };
    } | null;
    userErrors: { code: string; field: string[] }[];
  } | null;
}

describe(`payments (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  let payments: PaymentService & { close(): Promise<void> };
  const data = demoData();
  before(async () => {
    platform = await startTestPlatform();
    // the saga's side: the service on the payments database, with the same fake provider ledger as the subgraph
    payments = openPaymentService(platform.databases.payments!, {
      provider: new FakePaymentProvider({ backend: sharedFakePaymentBackend() }),
      retry: { baseDelayMs: 5 },
    });
  });
  after(async () => {
    await payments?.close();
    await platform?.close();
  });
  const statusOf = async (orderId: string) =>
    (await platform.databases.payments!.query<{ status: string }>('select status from payment_intents where order_id = $1', [orderId]))[0]
      ?.status;

  const userNamed = (email: string): Principal => {
    const user = data.users.find((candidate) => candidate.email === email)!;
    return { userId: user.id, role: user.role, vendorId: user.vendorId, scopes: [] };
  };
  /** What the router sends when a query selects Order.payment: the subgraph is called directly, with a signed principal. */
  const paymentsOf = async (principal: Principal, orderIds: string[]) => {
    const response = await fetch(platform.subgraphs.payments!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...principalHeaders(principal, platform.routerSecret) },
      body: JSON.stringify({
        query: `query($r: [_Any!]!) { _entities(representations: $r) {
          ... on Order { id payment { status method failureReason amount { amount currencyCode } order { id } } } } }`,
        variables: { r: orderIds.map((id) => ({ __typename: 'Order', id })) },
      }),
    });
    const body = (await response.json()) as {
      data: { _entities: { id: string; payment: Record<string, unknown> | null }[] };
      errors?: unknown;
    };
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data._entities;
  };

  it('resolves Order.payment for order references in one batched query', async () => {
    const captured = randomUUID();
    const declined = randomUUID();
    const none = randomUUID();
    const principal = userNamed('customer1@demo.shop');
    const customerId = principal.userId;
    await payments.authorizePayment({ orderId: captured, customerId, amount: '120.5', currency: 'EUR', paymentMethod: 'pm_card_ok' });
    await payments.capturePayment(captured);
    await payments.authorizePayment({ orderId: declined, customerId, amount: '10.00', currency: 'EUR', paymentMethod: 'pm_card_declined' });
    platform.resetQueryCounts();
    assert.deepEqual(await paymentsOf(principal, [captured, declined, none]), [
      {
        id: captured,
        payment: {
          status: 'CAPTURED',
          method: 'pm_card_ok',
          failureReason: null,
          amount: { amount: '120.50', currencyCode: 'EUR' },
          order: { id: captured },
        },
      },
      {
        id: declined,
        payment: {
          status: 'FAILED',
          method: 'pm_card_declined',
          failureReason: 'CARD_DECLINED',
          amount: { amount: '10.00', currencyCode: 'EUR' },
          order: { id: declined },
        },
      },
      { id: none, payment: null },
    ]);
    assert.equal(platform.queryCounts().payments, 1);
  });

  it('serves Order.payment only to the buyer and admins, even when called directly with a signed principal', async () => {
    const orderId = randomUUID();
    const buyer = userNamed('customer2@demo.shop');
    await payments.authorizePayment({ orderId, customerId: buyer.userId, amount: '20.00', currency: 'EUR', paymentMethod: 'pm_card_ok' });
    // from before payments knew the buyer: admins only
    const unknownBuyer = randomUUID();
    await payments.authorizePayment({ orderId: unknownBuyer, amount: '5.00', currency: 'EUR', paymentMethod: 'pm_card_ok' });
    const statuses = async (principal: Principal) =>
      (await paymentsOf(principal, [orderId, unknownBuyer])).map((entity) => entity.payment?.status ?? null);
    assert.deepEqual(await statuses(buyer), ['AUTHORIZED', null]);
    assert.deepEqual(await statuses(userNamed('admin@demo.shop')), ['AUTHORIZED', 'AUTHORIZED']);
    for (const other of ['customer3@demo.shop', 'vendor1@demo.shop', 'vendor2@demo.shop']) {
      assert.deepEqual(await statuses(userNamed(other)), [null, null], other);
    }
    const partner: Principal = { userId: randomUUID(), role: 'partner', scopes: ['orders:read'] };
    assert.deepEqual(await statuses(partner), [null, null], 'partner');
  });

  it('lets an admin refund a captured payment through the router, once', async () => {
    const orderId = randomUUID();
    const authorized = await payments.authorizePayment({ orderId, amount: '35.00', currency: 'EUR', paymentMethod: 'pm_card_ok' });
    await payments.capturePayment(orderId);
    const admin = await platform.login('admin@demo.shop');
    const first = await platform.graphql<RefundResult>(REFUND, { orderId }, { token: admin });
    assert.equal(first.body.errors, undefined, JSON.stringify(first.body.errors));
    const payload = first.body.data!.refundPayment!;
    assert.deepEqual(payload.userErrors, []);
    assert.deepEqual(payload.payment, {
      id: authorized.id,
      status: 'REFUNDED',
      method: 'pm_card_ok',
      failureReason: null,
      amount: { amount: '35.00', currencyCode: 'EUR' },
      order: { id: orderId, payment: { id: authorized.id, status: 'REFUNDED' } },
    });
    const again = await platform.graphql<RefundResult>(REFUND, { orderId }, { token: admin });
    assert.equal(again.body.data!.refundPayment!.payment!.status, 'REFUNDED');
    const refunds = sharedFakePaymentBackend()
      .chargesOf(authorized.id)
      .filter((charge) => charge.operation === 'refund');
    assert.equal(refunds.length, 1);
  });

  it('refuses refunds to non-admins and of payments that cannot be refunded, changing nothing', async () => {
    const orderId = randomUUID();
    await payments.authorizePayment({ orderId, amount: '12.00', currency: 'EUR', paymentMethod: 'pm_card_ok' });
    const anonymous = await platform.graphql<RefundResult>(REFUND, { orderId });
    assert.equal(anonymous.body.errors?.[0]?.extensions?.code, 'UNAUTHORIZED_FIELD_OR_TYPE');
    const customer = await platform.graphql<RefundResult>(REFUND, { orderId }, { token: await platform.login('customer2@demo.shop') });
    assert.equal(customer.body.errors?.[0]?.extensions?.code, 'UNAUTHORIZED_FIELD_OR_TYPE');
    const admin = await platform.login('admin@demo.shop');
    const notCaptured = await platform.graphql<RefundResult>(REFUND, { orderId }, { token: admin });
    assert.deepEqual(notCaptured.body.data!.refundPayment, {
      payment: null,
      userErrors: [{ code: 'ILLEGAL_TRANSITION', field: ['orderId'] }],
    });
    const unknown = await platform.graphql<RefundResult>(REFUND, { orderId: randomUUID() }, { token: admin });
    assert.equal(unknown.body.data!.refundPayment!.userErrors[0]!.code, 'PAYMENT_NOT_FOUND');
    assert.equal(await statusOf(orderId), 'authorized');
  });
});
