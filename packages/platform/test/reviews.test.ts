import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { demoData } from '@commerce/kit';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

const ADD = `mutation($input: AddReviewInput!) {
  addReview(input: $input) { review { id rating body author { name } product { name } } userErrors { code field } }
}`;

interface AddResult {
  addReview: {
    review: { id: string; rating: number; body: string; author: { name: string }; product: { name: string } } | null;
    userErrors: { code: string; field: string[] }[];
  } | null;
}

describe(`reviews (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  const data = demoData();
  const customer = data.users.find((user) => user.email === 'customer3@demo.shop')!;
  const reviewed = new Set(data.reviews.filter((review) => review.authorId === customer.id).map((review) => review.productId));
  const fresh = data.products.find((product) => !reviewed.has(product.id))!;
  const already = data.products.find((product) => reviewed.has(product.id))!;
  const reviewCount = async () => (await platform.databases.reviews!.query<{ n: number }>('select count(*)::int as n from reviews'))[0]!.n;
  let token: string;
  before(async () => {
    platform = await startTestPlatform();
    token = await platform.login(customer.email);
  });
  after(() => platform?.close());

  it("adds a review that shows up in the product rating and the author's reviews", async () => {
    const before = await platform.graphql<{ product: { rating: { count: number } } }>(
      'query($id: ID!) { product(id: $id) { rating { count } } }',
      { id: fresh.id },
    );
    const result = await platform.graphql<AddResult>(
      ADD,
      { input: { productId: fresh.id, rating: 4, body: ' Sturdy and light. ' } },
      { token },
    );
    const payload = result.body.data!.addReview!;
    assert.deepEqual(payload.userErrors, []);
    assert.equal(payload.review!.body, 'Sturdy and light.');
    assert.equal(payload.review!.author.name, customer.name);
    assert.equal(payload.review!.product.name, fresh.name);
    const afterAdd = await platform.graphql<{ product: { rating: { count: number } } }>(
      'query($id: ID!) { product(id: $id) { rating { count } } }',
      { id: fresh.id },
    );
    assert.equal(afterAdd.body.data!.product.rating.count, before.body.data!.product.rating.count + 1);
    const mine = await platform.graphql<{ me: { reviews: { edges: { node: { id: string } }[] } } }>(
      '{ me { reviews(first: 1) { edges { node { id } } } } }',
      {},
      { token },
    );
    assert.equal(mine.body.data!.me.reviews.edges[0]!.node.id, payload.review!.id);
  });

  it('refuses bad reviews with userErrors and stores nothing', async () => {
    const before = await reviewCount();
    const cases: [Record<string, unknown>, string][] = [
      [{ productId: fresh.id, rating: 9, body: 'Great' }, 'RATING_OUT_OF_RANGE'],
      [{ productId: fresh.id, rating: 0, body: 'Great' }, 'RATING_OUT_OF_RANGE'],
      [{ productId: fresh.id, rating: 5, body: '   ' }, 'BODY_REQUIRED'],
      [{ productId: fresh.id, rating: 5, body: 'x'.repeat(5001) }, 'BODY_TOO_LONG'],
      [{ productId: '00000000-0000-4000-8000-000000000000', rating: 5, body: 'Great' }, 'PRODUCT_NOT_FOUND'],
      [{ productId: 'bogus', rating: 5, body: 'Great' }, 'PRODUCT_NOT_FOUND'],
      [{ productId: already.id, rating: 5, body: 'Again' }, 'ALREADY_REVIEWED'],
    ];
    for (const [input, code] of cases) {
      const result = await platform.graphql<AddResult>(ADD, { input }, { token });
      assert.equal(result.body.data!.addReview!.userErrors[0]?.code, code, JSON.stringify(result.body));
      assert.equal(result.body.data!.addReview!.review, null);
    }
    assert.equal(await reviewCount(), before);
  });

  it('lets a customer review a product only once, even when submitting twice at once', async () => {
    const product = data.products.find((candidate) => !reviewed.has(candidate.id) && candidate.id !== fresh.id)!;
    const before = await reviewCount();
    const results = await Promise.all(
      [1, 2, 3].map(() => platform.graphql<AddResult>(ADD, { input: { productId: product.id, rating: 5, body: 'Twice?' } }, { token })),
    );
    const created = results.filter((result) => result.body.data?.addReview?.review).length;
    assert.equal(created, 1);
    assert.equal(await reviewCount(), before + 1);
  });

  it('refuses anonymous callers and non-customers', async () => {
    const before = await reviewCount();
    const input = { productId: fresh.id, rating: 5, body: 'Great' };
    const anonymous = await platform.graphql<AddResult>(ADD, { input });
    assert.equal(anonymous.body.errors?.[0]?.extensions?.code, 'UNAUTHORIZED_FIELD_OR_TYPE'); // @authenticated
    const vendor = await platform.graphql<AddResult>(ADD, { input }, { token: await platform.login('vendor1@demo.shop') });
    assert.equal(vendor.body.errors?.[0]?.extensions?.code, 'UNAUTHORIZED_FIELD_OR_TYPE'); // no reviews:write scope
    assert.equal(await reviewCount(), before);
  });
});
