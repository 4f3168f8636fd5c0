import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { principalHeaders, waitFor } from '@commerce/kit';
import { createIdentitySubgraph } from '@commerce/identity';
import { startTestPlatform, testMode, type GraphQLResponse, type TestPlatform } from '../src/testing.js';

const CREATE = `mutation($input: CreatePartnerClientInput!) {
  createPartnerClient(input: $input) { client { id clientId } clientSecret userErrors { code field } }
}`;
const SECRET_FIELDS = 'id hint createdAt expiresAt retiredAt active';
const ROTATE = `mutation($clientId: ID!, $grace: Int) {
  rotatePartnerClientSecret(clientId: $clientId, gracePeriodHours: $grace) {
    client { id secrets { ${SECRET_FIELDS} } }
    clientSecret
    secret { ${SECRET_FIELDS} }
    userErrors { code field message }
  }
}`;
const RETIRE = `mutation($clientId: ID!, $secretId: ID!) {
  retirePartnerClientSecret(clientId: $clientId, secretId: $secretId) {
    client { id secrets { ${SECRET_FIELDS} } }
    secret { ${SECRET_FIELDS} }
    revokedTokens
    userErrors { code field message }
  }
}`;
const REVOKE = 'mutation($id: ID!) { revokePartnerClient(id: $id) { client { revokedAt } revokedTokens userErrors { code } } }';
const SECRETS = `query { partnerClients(first: 100) { edges { node { id secrets { ${SECRET_FIELDS} } } } } }`;
const PRODUCTS = '{ products(first: 1) { edges { node { name } } } }';

interface Secret {
  id: string;
  hint: string | null;
  createdAt: string;
  expiresAt: string | null;
  retiredAt: string | null;
  active: boolean;
}
interface UserErrors {
  userErrors: { code: string; field: string[] | null; message: string }[];
}
interface RotatePayload {
  rotatePartnerClientSecret: UserErrors & {
    client: { id: string; secrets: Secret[] } | null;
    clientSecret: string | null;
    secret: Secret | null;
  };
}
interface RetirePayload {
  retirePartnerClientSecret: UserErrors & {
    client: { id: string; secrets: Secret[] } | null;
    secret: Secret | null;
    revokedTokens: number | null;
  };
}
interface RevokePayload {
  revokePartnerClient: UserErrors & { client: { revokedAt: string } | null; revokedTokens: number | null };
}
interface TokenAnswer {
  status: number;
  headers: Headers;
  body: { access_token?: string; error?: string };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const HOUR_MS = 3600_000;

describe(`partner client secret rotation (${testMode()})`, () => {
  let platform: TestPlatform;
  let adminToken: string;
  let tokenUrl: string;
  /** identity's clock runs this far ahead of the real one: tests move it instead of waiting. */
  let clockOffsetMs = 0;

  const admin = <Data>(query: string, variables: Record<string, unknown>) =>
    platform.graphql<Data>(query, variables, { token: adminToken });
  const rotate = async (clientId: string, grace?: number) =>
    (await admin<RotatePayload>(ROTATE, { clientId, ...(grace === undefined ? {} : { grace }) })).body.data!.rotatePartnerClientSecret;
  const retire = async (clientId: string, secretId: string) =>
    (await admin<RetirePayload>(RETIRE, { clientId, secretId })).body.data!.retirePartnerClientSecret;
  const createClient = async (name: string) => {
    const payload = (
      await admin<{ createPartnerClient: { client: { id: string; clientId: string }; clientSecret: string } & UserErrors }>(CREATE, {
        input: { name, scopes: ['catalog:read'] },
      })
    ).body.data!.createPartnerClient;
    assert.deepEqual(payload.userErrors, []);
    return { ...payload.client, secret: payload.clientSecret };
  };
  /** Through the router, as partners do. */
  const requestToken = async (clientId: string, secret: string): Promise<TokenAnswer> => {
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, secret) },
      body: 'grant_type=client_credentials',
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as TokenAnswer['body'] };
  };
  const tokenFor = async (clientId: string, secret: string) => {
    const answer = await requestToken(clientId, secret);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.access_token!;
  };
  const assertRefused = async (clientId: string, secret: string, id: string) => {
    const issuedBefore = await issuedTokens(id);
    const answer = await requestToken(clientId, secret);
    assert.equal(answer.status, 401, JSON.stringify(answer.body));
    assert.equal(answer.body.error, 'invalid_client');
    assert.equal(answer.body.access_token, undefined);
    assert.match(answer.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.equal(await issuedTokens(id), issuedBefore, 'no token was issued');
  };
  const worksAtRouter = async (token: string) => {
    const answer = await platform.graphql<{ products: { edges: unknown[] } }>(PRODUCTS, {}, { token });
    return answer.body.data?.products?.edges.length === 1;
  };
  const sql = <Row>(query: string, params: unknown[] = []) => platform.databases.identity!.query<Row>(query, params);
  /** The secret rows of a client, as stored. */
  const secretRows = (id: string) =>
    sql<{ id: string; secret_hash: string; hint: string | null; expires_at: Date | null; retired_at: Date | null }>(
      'select id, secret_hash, hint, expires_at, retired_at from partner_client_secrets where partner_client_id = $1 order by created_at, id',
      [id],
    );
  /** Tokens recorded as issued to a client (one row per token handed out). */
  const issuedTokens = async (id: string) =>
    Number(
      (
        await sql<{ n: string }>(
          'select count(*) as n from partner_tokens t join partner_client_secrets s on s.id = t.secret_id where s.partner_client_id = $1',
          [id],
        )
      )[0]!.n,
    );

  before(async () => {
    platform = await startTestPlatform({
      replaceSubgraphs: [createIdentitySubgraph({ clock: () => new Date(Date.now() + clockOffsetMs) })],
    });
    adminToken = await platform.login('admin@demo.shop');
    tokenUrl = new URL('/oauth/token', platform.routerUrl).toString();
  });
  after(async () => {
    await platform?.close();
  });

  it('rotates: the new secret is shown once, both secrets get tokens through the router, the old one expires in 7 days', async () => {
    const client = await createClient('Rotation');
    const [first] = await secretRows(client.id);
    assert.equal((await secretRows(client.id)).length, 1, 'a new client has one secret');
    assert.equal(first!.hint, client.secret.slice(-4));

    const started = Date.now();
    const rotated = await rotate(client.id);
    assert.deepEqual(rotated.userErrors, []);
    const secret = rotated.clientSecret!;
    assert.match(secret, /^[\w-]{43}$/);
    assert.notEqual(secret, client.secret);
    assert.equal(rotated.secret!.hint, secret.slice(-4));
    assert.deepEqual([rotated.secret!.active, rotated.secret!.expiresAt, rotated.secret!.retiredAt], [true, null, null]);
    const [old, added] = rotated.client!.secrets;
    assert.equal(rotated.client!.secrets.length, 2);
    assert.equal(old!.id, first!.id);
    assert.equal(added!.id, rotated.secret!.id);
    assert.ok(old!.active && added!.active);
    const graceEnd = Date.parse(old!.expiresAt!) - started;
    assert.ok(graceEnd >= 7 * 24 * HOUR_MS - 1000 && graceEnd <= 7 * 24 * HOUR_MS + 60_000, `old secret expires in ${graceEnd} ms`);

    for (const value of [client.secret, secret]) assert.ok(await worksAtRouter(await tokenFor(client.clientId, value)));
    // stored hashed; the values are never readable again
    const rows = await secretRows(client.id);
    for (const row of rows) assert.match(row.secret_hash, /^scrypt\$4096\$8\$1\$[^$]+\$[^$]+$/);
    const stored =
      JSON.stringify(await sql('select * from partner_client_secrets')) + JSON.stringify(await sql('select * from partner_clients'));
    assert.ok(!stored.includes(secret) && !stored.includes(client.secret), 'no secret is stored in clear');
    assert.equal(
      (await sql<{ secret_hash: string | null }>('select secret_hash from partner_clients where id = $1', [client.id]))[0]!.secret_hash,
      null,
    );
    const listed = JSON.stringify((await admin(SECRETS, {})).body);
    assert.ok(listed.includes(rotated.secret!.id) && !listed.includes(secret), 'secrets are listed, never their values');
    // by the public client id too
    assert.deepEqual(
      (await rotate(client.clientId)).userErrors.map((error) => error.code),
      ['TOO_MANY_ACTIVE_SECRETS'],
    );
  });

  it('retires the old secret at once: 401 invalid_client, nothing issued, and its live tokens are revoked', async () => {
    const client = await createClient('Retirement');
    const oldToken = await tokenFor(client.clientId, client.secret);
    const rotated = await rotate(client.id);
    const newSecret = rotated.clientSecret!;
    const newToken = await tokenFor(client.clientId, newSecret);
    const [old] = await secretRows(client.id);

    const retired = await retire(client.id, old!.id);
    assert.deepEqual(retired.userErrors, []);
    assert.equal(retired.revokedTokens, 1);
    assert.equal(retired.secret!.active, false);
    assert.ok(retired.secret!.retiredAt);
    assert.deepEqual(
      retired.client!.secrets.map((secret) => secret.active),
      [false, true],
    );
    await assertRefused(client.clientId, client.secret, client.id);
    await waitFor(
      'the router to refuse the token obtained with the retired secret',
      async () => (await platform.graphql(PRODUCTS, {}, { token: oldToken })).body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
      10_000,
    );
    assert.ok(await worksAtRouter(newToken), "the new secret's token still works");
    assert.ok(await worksAtRouter(await tokenFor(client.clientId, newSecret)));

    // Retiring it again changes nothing; the last active secret cannot be retired.
    const before = await secretRows(client.id);
    const again = await retire(client.id, old!.id);
    assert.deepEqual([again.userErrors, again.revokedTokens, again.secret!.retiredAt], [[], 0, retired.secret!.retiredAt]);
    const last = await retire(client.id, rotated.secret!.id);
    assert.deepEqual(
      last.userErrors.map((error) => [error.code, error.field]),
      [['LAST_ACTIVE_SECRET', ['secretId']]],
    );
    assert.equal(last.client, null);
    assert.deepEqual(await secretRows(client.id), before);
    assert.ok(await worksAtRouter(await tokenFor(client.clientId, newSecret)));
  });

  it("revokes a client's live tokens, from all its secrets: the router refuses them, another client's token still works", async () => {
    const client = await createClient('Revoked with tokens');
    const firstToken = await tokenFor(client.clientId, client.secret);
    const newSecret = (await rotate(client.id)).clientSecret!;
    const secondToken = await tokenFor(client.clientId, newSecret);
    const other = await createClient('Not revoked');
    const otherToken = await tokenFor(other.clientId, other.secret);
    assert.ok(await worksAtRouter(firstToken));
    assert.ok(await worksAtRouter(secondToken));
    const otherRows = await secretRows(other.id);

    const revoked = (await admin<RevokePayload>(REVOKE, { id: client.id })).body.data!.revokePartnerClient;
    assert.deepEqual(revoked.userErrors, []);
    assert.equal(revoked.revokedTokens, 2);
    assert.ok(revoked.client!.revokedAt);
    assert.equal(await issuedTokens(client.id), 0, 'the revoked tokens need no record');
    for (const token of [firstToken, secondToken]) {
      await waitFor(
        "the router to refuse a token obtained before the client's revocation",
        async () => (await platform.graphql(PRODUCTS, {}, { token })).body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
        10_000,
      );
    }
    assert.ok(await worksAtRouter(otherToken), "another client's token still works");
    assert.ok(await worksAtRouter(await tokenFor(other.clientId, other.secret)));
    assert.deepEqual(await secretRows(other.id), otherRows);
    assert.equal(await issuedTokens(other.id), 2);
    for (const secret of [client.secret, newSecret]) await assertRefused(client.clientId, secret, client.id);

    // Revoking again keeps the first time and revokes nothing more.
    const again = (await admin<RevokePayload>(REVOKE, { id: client.id })).body.data!.revokePartnerClient;
    assert.deepEqual([again.userErrors, again.revokedTokens, again.client!.revokedAt], [[], 0, revoked.client!.revokedAt]);
  });

  it('expires the old secret after the grace period (identity clock moved forward): refused like a wrong secret', async () => {
    const client = await createClient('Expiry');
    const rotated = await rotate(client.id, 2);
    assert.deepEqual(rotated.userErrors, []);
    const newSecret = rotated.clientSecret!;
    await tokenFor(client.clientId, client.secret);
    try {
      clockOffsetMs = 2 * HOUR_MS - 60_000; // a minute before the end: still accepted
      await tokenFor(client.clientId, client.secret);
      clockOffsetMs = 2 * HOUR_MS + 1000;
      await assertRefused(client.clientId, client.secret, client.id);
      assert.ok(await worksAtRouter(await tokenFor(client.clientId, newSecret)));
      const listed = (await admin<{ partnerClients: { edges: { node: { id: string; secrets: Secret[] } }[] } }>(SECRETS, {})).body.data!
        .partnerClients.edges;
      const secrets = listed.find((edge) => edge.node.id === client.id)!.node.secrets;
      assert.deepEqual(
        secrets.map((secret) => secret.active),
        [false, true],
      );
      // one active secret left: rotating again is allowed
      const next = await rotate(client.id);
      assert.deepEqual(next.userErrors, []);
      assert.ok(await worksAtRouter(await tokenFor(client.clientId, next.clientSecret!)));
      assert.ok(await worksAtRouter(await tokenFor(client.clientId, newSecret)));
      await assertRefused(client.clientId, client.secret, client.id);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('refuses a third active secret with TOO_MANY_ACTIVE_SECRETS and changes nothing', async () => {
    const client = await createClient('Third');
    const second = await rotate(client.id);
    assert.deepEqual(second.userErrors, []);
    const before = await secretRows(client.id);
    const third = await rotate(client.id, 1);
    assert.deepEqual(
      third.userErrors.map((error) => [error.code, error.field]),
      [['TOO_MANY_ACTIVE_SECRETS', ['clientId']]],
    );
    assert.deepEqual([third.client, third.clientSecret, third.secret], [null, null, null]);
    assert.deepEqual(await secretRows(client.id), before, 'no new secret, no expiry changed');
    for (const secret of [client.secret, second.clientSecret!]) await tokenFor(client.clientId, secret);
  });

  it('two rotations at once: one succeeds, the other gets TOO_MANY_ACTIVE_SECRETS (never three active secrets)', async () => {
    const client = await createClient('Concurrent');
    const answers = await Promise.all([rotate(client.id), rotate(client.id)]);
    assert.deepEqual(answers.map((answer) => answer.userErrors.map((error) => error.code)).sort(), [[], ['TOO_MANY_ACTIVE_SECRETS']]);
    assert.equal((await secretRows(client.id)).length, 2);
  });

  it('refuses partners and vendors (at the router and again in identity) and changes nothing', async () => {
    const client = await createClient('Not yours');
    const [secret] = await secretRows(client.id);
    const partnerToken = await tokenFor(client.clientId, client.secret);
    const vendorToken = await platform.login('vendor1@demo.shop');
    const attempts: [string, Record<string, unknown>][] = [
      [ROTATE, { clientId: client.id }],
      [RETIRE, { clientId: client.id, secretId: secret!.id }],
      [SECRETS, {}],
    ];
    for (const token of [partnerToken, vendorToken, undefined]) {
      for (const [query, variables] of attempts) {
        const answer = await platform.graphql(query, variables, token ? { token } : {});
        assert.equal(answer.body.data ?? null, null);
        assert.deepEqual(
          answer.body.errors?.map((error) => error.extensions?.code),
          ['UNAUTHORIZED_FIELD_OR_TYPE'],
        );
      }
    }
    // Straight to identity with a validly signed vendor principal: the resolvers' own check refuses.
    const signed = principalHeaders(
      { userId: '00000000-0000-4000-8000-000000000002', role: 'vendor_staff', scopes: ['admin'] },
      platform.routerSecret,
    );
    for (const [query, variables] of attempts.slice(0, 2)) {
      const response = await fetch(platform.subgraphs.identity!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signed },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as GraphQLResponse<unknown>['body'];
      assert.deepEqual(
        body.errors?.map((error) => error.extensions?.code),
        ['FORBIDDEN'],
      );
    }
    assert.equal((await secretRows(client.id)).length, 1);
    assert.deepEqual(await secretRows(client.id), [secret]);
  });

  it('answers bad input with clear codes: unknown client or secret, grace period out of bounds, revoked client', async () => {
    const client = await createClient('Bad input');
    const before = await secretRows(client.id);
    for (const unknown of ['00000000-0000-4000-8000-000000000000', 'pc_AAAAAAAAAAAAAAAA', 'nonsense']) {
      assert.deepEqual(
        (await rotate(unknown)).userErrors.map((error) => [error.code, error.field]),
        [['PARTNER_CLIENT_NOT_FOUND', ['clientId']]],
      );
      assert.deepEqual(
        (await retire(unknown, before[0]!.id)).userErrors.map((error) => error.code),
        ['PARTNER_CLIENT_NOT_FOUND'],
      );
    }
    for (const grace of [0, -5, 721, 100_000]) {
      const payload = await rotate(client.id, grace);
      assert.deepEqual(
        payload.userErrors.map((error) => [error.code, error.field]),
        [['INVALID_GRACE_PERIOD', ['gracePeriodHours']]],
      );
      assert.match(payload.userErrors[0]!.message, /1 to 720 hours/);
      assert.equal(payload.clientSecret, null);
    }
    const notInt = await admin(ROTATE, { clientId: client.id, grace: 1.5 });
    assert.equal(notInt.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const other = await createClient('Other client');
    const [othersSecret] = await secretRows(other.id);
    for (const secretId of ['00000000-0000-4000-8000-000000000000', 'nope', othersSecret!.id]) {
      assert.deepEqual(
        (await retire(client.id, secretId)).userErrors.map((error) => [error.code, error.field]),
        [['SECRET_NOT_FOUND', ['secretId']]],
      );
    }
    assert.deepEqual(await secretRows(client.id), before);
    assert.deepEqual(await secretRows(other.id), [othersSecret]);

    // A revoked client: no rotation, and neither of its secrets gets a token.
    const rotated = await rotate(client.id);
    assert.deepEqual(rotated.userErrors, []);
    assert.deepEqual((await admin<RevokePayload>(REVOKE, { id: client.id })).body.data!.revokePartnerClient.userErrors, []);
    const revokedRows = await secretRows(client.id);
    assert.deepEqual(
      (await rotate(client.id)).userErrors.map((error) => error.code),
      ['PARTNER_CLIENT_REVOKED'],
    );
    assert.deepEqual(
      (await retire(client.id, before[0]!.id)).userErrors.map((error) => error.code),
      ['PARTNER_CLIENT_REVOKED'],
    );
    assert.deepEqual(await secretRows(client.id), revokedRows);
    for (const secret of [client.secret, rotated.clientSecret!]) await assertRefused(client.clientId, secret, client.id);
  });

  it('gives a client created by the previous release (partner_clients.secret_hash only) its first secret', async () => {
    const template = await createClient('Template');
    // as the previous release inserts a client: no secret row, the hash in partner_clients
    const inserted = await sql<{ id: string }>(
      `insert into partner_clients (id, client_id, name, scopes, secret_hash)
       select gen_random_uuid(), 'pc_legacy_client_01', 'Legacy', '{catalog:read}', secret_hash
       from partner_client_secrets where partner_client_id = $1 returning id`,
      [template.id],
    );
    const rows = await secretRows(inserted[0]!.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.hint, null);
    assert.ok(await worksAtRouter(await tokenFor('pc_legacy_client_01', template.secret)));
  });
});
