import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

const SIGN_UP = `mutation($input: SignUpInput!) {
  signUp(input: $input) { accessToken refreshToken expiresIn user { id name email role } userErrors { code field message } }
}`;
const REFRESH = `mutation($token: String!) {
  refreshSession(refreshToken: $token) { accessToken refreshToken user { id } userErrors { code field } }
}`;

interface AuthPayload {
  accessToken: string | null;
  refreshToken: string | null;
  expiresIn?: number | null;
  user: { id: string; name?: string; email?: string; role?: string } | null;
  userErrors: { code: string; field: string[] | null; message?: string }[];
}

describe(`accounts (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  const userCount = async () => Number((await platform.databases.identity!.query<{ n: string }>('select count(*) as n from users'))[0]!.n);
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform?.close());

  it('signs up a customer, whose token works for me', async () => {
    const result = await platform.graphql<{ signUp: AuthPayload }>(SIGN_UP, {
      input: { email: '  New.Person@Example.com ', password: 'correct horse battery', name: 'New Person' },
    });
    const payload = result.body.data!.signUp;
    assert.deepEqual(payload.userErrors, []);
    assert.equal(payload.user!.role, 'customer');
    assert.equal(payload.expiresIn, 900);
    // The caller was anonymous when it asked: the email needs the new token (self_or_admin).
    assert.equal(payload.user!.email, null);
    assert.deepEqual(
      result.body.errors?.map((error) => error.extensions?.code),
      ['UNAUTHORIZED_FIELD_OR_TYPE'],
    );
    const me = await platform.graphql<{ me: { id: string; email: string } }>('{ me { id email } }', {}, { token: payload.accessToken! });
    assert.equal(me.body.data!.me.id, payload.user!.id);
    assert.equal(me.body.data!.me.email, 'new.person@example.com');
  });

  it('rejects bad sign-up input with userErrors and creates nobody', async () => {
    const before = await userCount();
    const cases: [Record<string, string>, string][] = [
      [{ email: 'not-an-email', password: 'long enough password', name: 'A' }, 'INVALID_EMAIL'],
      [{ email: 'short@example.com', password: 'short', name: 'A' }, 'PASSWORD_TOO_SHORT'],
      [{ email: 'noname@example.com', password: 'long enough password', name: '   ' }, 'INVALID_NAME'],
      [{ email: 'customer1@demo.shop', password: 'long enough password', name: 'Dup' }, 'EMAIL_TAKEN'],
    ];
    for (const [input, code] of cases) {
      const payload = (await platform.graphql<{ signUp: AuthPayload }>(SIGN_UP, { input })).body.data!.signUp;
      assert.equal(payload.userErrors[0]?.code, code);
      assert.equal(payload.accessToken, null);
      assert.equal(payload.user, null);
    }
    assert.equal(await userCount(), before);
  });

  it('logs in demo accounts and refuses wrong passwords and unknown emails alike', async () => {
    const token = await platform.login('vendor1@demo.shop');
    const me = await platform.graphql<{ me: { role: string; email: string } }>('{ me { role email } }', {}, { token });
    assert.deepEqual(me.body.data!.me, { role: 'vendor_staff', email: 'vendor1@demo.shop' });
    for (const input of [
      { email: 'vendor1@demo.shop', password: 'wrong-password' },
      { email: 'nobody@demo.shop', password: 'demo-password' },
    ]) {
      const result = await platform.graphql<{ logIn: AuthPayload }>(
        'mutation($input: LogInInput!) { logIn(input: $input) { accessToken user { id } userErrors { code } } }',
        { input },
      );
      assert.deepEqual(result.body.data!.logIn, { accessToken: null, user: null, userErrors: [{ code: 'INVALID_CREDENTIALS' }] });
    }
  });

  it('rotates refresh tokens and revokes the family when one is reused', async () => {
    const login = await platform.graphql<{ logIn: AuthPayload }>(
      'mutation { logIn(input: { email: "customer2@demo.shop", password: "demo-password" }) { refreshToken userErrors { code } } }',
    );
    const first = login.body.data!.logIn.refreshToken!;
    const rotated = (await platform.graphql<{ refreshSession: AuthPayload }>(REFRESH, { token: first })).body.data!.refreshSession;
    assert.deepEqual(rotated.userErrors, []);
    assert.ok(rotated.accessToken && rotated.refreshToken && rotated.refreshToken !== first);

    const reused = (await platform.graphql<{ refreshSession: AuthPayload }>(REFRESH, { token: first })).body.data!.refreshSession;
    assert.equal(reused.userErrors[0]?.code, 'REFRESH_TOKEN_REUSED');
    assert.equal(reused.accessToken, null);
    // the legitimate newer token of the same family is revoked too
    const revoked = (await platform.graphql<{ refreshSession: AuthPayload }>(REFRESH, { token: rotated.refreshToken! })).body.data!
      .refreshSession;
    assert.equal(revoked.userErrors[0]?.code, 'REFRESH_TOKEN_INVALID');
    const garbage = (await platform.graphql<{ refreshSession: AuthPayload }>(REFRESH, { token: 'nope' })).body.data!.refreshSession;
    assert.equal(garbage.userErrors[0]?.code, 'REFRESH_TOKEN_INVALID');
  });

  it('is signed out without a token, and shows emails only to their owner and admins', async () => {
    assert.deepEqual((await platform.graphql('{ me { id } }')).body.data, { me: null });
    const query = '{ product(id: "%ID%") { reviews(first: 1) { edges { node { author { id name email } } } } } }';
    const products = await platform.graphql<{ products: { edges: { node: { id: string } }[] } }>(
      '{ products(first: 1) { edges { node { id } } } }',
    );
    const id = products.body.data!.products.edges[0]!.node.id;
    const asCustomer = await platform.graphql(query.replace('%ID%', id), {}, { token: await platform.login('customer20@demo.shop') });
    assert.deepEqual(
      asCustomer.body.errors?.map((error) => [error.extensions?.code, error.path?.join('.')]),
      [['UNAUTHORIZED_FIELD_OR_TYPE', 'product.reviews.edges.0.node.author.email']],
    );
    const asAdmin = await platform.graphql<{ product: { reviews: { edges: { node: { author: { email: string } } }[] } } }>(
      query.replace('%ID%', id),
      {},
      { token: await platform.login('admin@demo.shop') },
    );
    assert.equal(asAdmin.body.errors, undefined);
    assert.match(asAdmin.body.data!.product.reviews.edges[0]!.node.author.email, /@demo\.shop$/);
  });

  it('publishes its signing keys as a JWKS', async () => {
    const response = await fetch(platform.subgraphs.identity!.url.replace(/\/graphql$/, '/.well-known/jwks.json'));
    const jwks = (await response.json()) as { keys: { kty: string; crv: string; kid: string; d?: string }[] };
    assert.equal(jwks.keys[0]!.kty, 'OKP');
    assert.equal(jwks.keys[0]!.crv, 'Ed25519');
    assert.equal(jwks.keys[0]!.d, undefined, 'no private key material');
  });
});
