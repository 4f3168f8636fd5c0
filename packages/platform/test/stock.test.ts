import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { demoData, principalHeaders, type Principal } from '@commerce/kit';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

const ADJUST = `mutation($input: AdjustStockInput!) {
  adjustStock(input: $input) {
    stock { onHand reserved available warehouse { code } }
    product { id name stock { available } }
    userErrors { code field message }
  }
}`;

interface AdjustResult {
  adjustStock: {
    stock: { onHand: number; available: number; warehouse: { code: string } } | null;
    product: { id: string; name: string; stock: { available: number } } | null;
    userErrors: { code: string; field: string[] }[];
  } | null;
}

describe(`stock (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  const data = demoData();
  const vendor1 = data.vendors[0]!.id;
  const level = data.stock.find((row) => row.vendorId === vendor1 && row.onHand > 5)!;
  const otherVendorProduct = data.products.find((product) => product.vendorId !== vendor1)!;
  const snapshot = async () => ({
    levels: await platform.databases.inventory!.query('select product_id, warehouse_id, on_hand, reserved from stock_levels order by 1, 2'),
    movements: await platform.databases.inventory!.query('select count(*)::int as n from stock_movements'),
  });
  let vendorToken: string;
  before(async () => {
    platform = await startTestPlatform();
    vendorToken = await platform.login('vendor1@demo.shop');
  });
  after(() => platform?.close());

  it('lets vendor staff adjust their own stock, recorded in the ledger, visible through the supergraph', async () => {
    const result = await platform.graphql<AdjustResult>(
      ADJUST,
      { input: { productId: level.productId, warehouseId: level.warehouseId, delta: 7, reason: 'delivery' } },
      { token: vendorToken },
    );
    const payload = result.body.data!.adjustStock!;
    assert.deepEqual(payload.userErrors, []);
    assert.equal(payload.stock!.onHand, level.onHand + 7);
    assert.ok(payload.product!.name.length > 0, 'product name comes from catalog');
    const movements = await platform.databases.inventory!.query<{ delta: number; reason: string }>(
      'select delta, reason from stock_movements order by id desc limit 1',
    );
    assert.deepEqual(movements[0], { delta: 7, reason: 'delivery' });
  });

  it('refuses bad adjustments with userErrors and changes nothing', async () => {
    const before = await snapshot();
    const adminToken = await platform.login('admin@demo.shop');
    // An unknown product is refused to vendor staff by the router (vendor_owns_product); admins learn it is unknown.
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ productId: level.productId, warehouseId: level.warehouseId, delta: -1_000_000 }, 'INSUFFICIENT_STOCK'],
      [{ productId: level.productId, warehouseId: level.warehouseId, delta: 0 }, 'INVALID_DELTA'],
      [{ productId: '00000000-0000-4000-8000-000000000000', warehouseId: level.warehouseId, delta: 1 }, 'PRODUCT_NOT_FOUND', adminToken],
      [{ productId: 'nonsense', warehouseId: level.warehouseId, delta: 1 }, 'PRODUCT_NOT_FOUND', adminToken],
      [{ productId: level.productId, warehouseId: '00000000-0000-4000-8000-000000000000', delta: 1 }, 'WAREHOUSE_NOT_FOUND'],
    ];
    for (const [input, code, token = vendorToken] of cases) {
      const result = await platform.graphql<AdjustResult>(ADJUST, { input }, { token });
      assert.equal(result.body.data!.adjustStock!.userErrors[0]?.code, code, JSON.stringify(result.body));
      assert.equal(result.body.data!.adjustStock!.stock, null);
    }
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses anonymous callers, customers and other vendors, and changes nothing', async () => {
    const before = await snapshot();
    const foreign = { productId: otherVendorProduct.id, warehouseId: level.warehouseId, delta: 1 };
    const own = { productId: level.productId, warehouseId: level.warehouseId, delta: 1 };
    const attempts: [Record<string, unknown>, string | undefined, string][] = [
      // refused by the router before inventory is called: no inventory:write scope, or vendor_owns_product
      [own, undefined, 'UNAUTHORIZED_FIELD_OR_TYPE'],
      [own, await platform.login('customer1@demo.shop'), 'UNAUTHORIZED_FIELD_OR_TYPE'],
      [foreign, vendorToken, 'UNAUTHORIZED_FIELD_OR_TYPE'],
      [{ ...own, productId: '00000000-0000-4000-8000-000000000000' }, vendorToken, 'UNAUTHORIZED_FIELD_OR_TYPE'],
      [{ ...own, productId: 'nonsense' }, vendorToken, 'UNAUTHORIZED_FIELD_OR_TYPE'],
    ];
    for (const [input, token, code] of attempts) {
      const result = await platform.graphql<AdjustResult>(ADJUST, { input }, { token });
      assert.equal(result.body.errors?.[0]?.extensions?.code, code);
      assert.equal(result.body.data?.adjustStock ?? null, null);
    }
    assert.deepEqual(await snapshot(), before);
    const admin = await platform.graphql<AdjustResult>(ADJUST, { input: foreign }, { token: await platform.login('admin@demo.shop') });
    assert.deepEqual(admin.body.data!.adjustStock!.userErrors, []);
  });

  it('never goes below zero under concurrent decrements', async () => {
    const target = data.stock.find((row) => row.vendorId === vendor1 && row.onHand >= 3 && row !== level)!;
    const attempts = target.onHand + 10;
    const results = await Promise.all(
      Array.from({ length: attempts }, () =>
        platform.graphql<AdjustResult>(
          ADJUST,
          { input: { productId: target.productId, warehouseId: target.warehouseId, delta: -1 } },
          { token: vendorToken },
        ),
      ),
    );
    const succeeded = results.filter((result) => result.body.data?.adjustStock?.userErrors.length === 0).length;
    const refused = results.filter((result) => result.body.data?.adjustStock?.userErrors[0]?.code === 'INSUFFICIENT_STOCK').length;
    assert.equal(succeeded, target.onHand);
    assert.equal(refused, 10);
    const [row] = await platform.databases.inventory!.query<{ on_hand: number }>(
      'select on_hand from stock_levels where product_id = $1 and warehouse_id = $2',
      [target.productId, target.warehouseId],
    );
    assert.equal(row!.on_hand, 0);
  });

  it("serves reserved, onHand and warehouses to staff of the product's vendor and admins only, even when called directly", async () => {
    // what the router would send after its own check; the subgraph decides again (defence in depth)
    const stockAs = async (principal: Principal | undefined) => {
      const response = await fetch(platform.subgraphs.inventory!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(principal ? principalHeaders(principal, platform.routerSecret) : {}) },
        body: JSON.stringify({
          query: `query($r: [_Any!]!) { _entities(representations: $r) {
            ... on Product { id stock { available reserved onHand warehouses { onHand reserved } } } } }`,
          variables: { r: [{ __typename: 'Product', id: level.productId }] },
        }),
      });
      const body = (await response.json()) as {
        data: {
          _entities: { stock: { available: number; reserved: number | null; onHand: number | null; warehouses: unknown[] | null } }[];
        };
        errors?: unknown;
      };
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      return body.data._entities[0]!.stock;
    };
    const user = (email: string): Principal => {
      const found = data.users.find((candidate) => candidate.email === email)!;
      return { userId: found.id, role: found.role, vendorId: found.vendorId, scopes: [] };
    };
    const hidden = { reserved: null, onHand: null, warehouses: null };
    for (const principal of [undefined, user('customer1@demo.shop'), user('vendor2@demo.shop')]) {
      const stock = await stockAs(principal);
      assert.deepEqual(
        { reserved: stock.reserved, onHand: stock.onHand, warehouses: stock.warehouses },
        hidden,
        principal?.role ?? 'anonymous',
      );
      assert.ok(stock.available > 0, 'available stays public');
    }
    for (const principal of [user('vendor1@demo.shop'), user('admin@demo.shop')]) {
      const stock = await stockAs(principal);
      assert.ok(stock.onHand! > 0 && stock.reserved !== null && stock.warehouses!.length > 0, principal.role);
      assert.equal(stock.available, stock.onHand! - stock.reserved!);
    }
  });

  it('lists warehouses for vendor staff only', async () => {
    const staff = await platform.graphql<{ warehouses: { code: string }[] }>('{ warehouses { code } }', {}, { token: vendorToken });
    assert.deepEqual(
      staff.body.data!.warehouses.map((warehouse) => warehouse.code),
      ['AMS-1', 'BER-1', 'LYO-1'],
    );
    const anonymous = await platform.graphql('{ warehouses { code } }');
    assert.equal(anonymous.body.errors?.[0]?.extensions?.code, 'UNAUTHORIZED_FIELD_OR_TYPE'); // @requiresScopes inventory:read
  });
});
