import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { createLogger, DEMO_PASSWORD, type Logger, principalHeaders, waitFor } from '@commerce/kit';
import { startRouter, type RunningRouter } from '@commerce/router';
import { startPlatform, SUPERGRAPH_PATH, type RunningPlatform } from '../src/embedded.js';
import { createPostgresDatabases, testMode, type GraphQLResponse } from '../src/testing.js';
import { SUBGRAPHS } from '../src/subgraphs.js';

const CREATE = `mutation($input: CreatePartnerClientInput!) {
  createPartnerClient(input: $input) {
    client { id clientId name scopes createdAt revokedAt }
    clientSecret
    userErrors { code field message }
  }
}`;
const REVOKE = 'mutation($id: ID!) { revokePartnerClient(id: $id) { client { id revokedAt } userErrors { code field } } }';
const LIST = `query($first: Int, $after: String) {
  partnerClients(first: $first, after: $after) { edges { cursor node { id clientId name scopes revokedAt } } pageInfo { hasNextPage endCursor } }
}`;

interface Client {
  id: string;
  clientId: string;
  name: string;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
}
interface CreatePayload {
  createPartnerClient: {
    client: Client | null;
    clientSecret: string | null;
    userErrors: { code: string; field: string[] | null }[];
  } | null;
}
interface RevokePayload {
  revokePartnerClient: { client: { id: string; revokedAt: string } | null; userErrors: { code: string; field: string[] | null }[] };
}
interface ListPayload {
  partnerClients: { edges: { cursor: string; node: Client }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
}
interface TokenAnswer {
  status: number;
  headers: Headers;
  body: { access_token?: string; token_type?: string; expires_in?: number; scope?: string; error?: string; error_description?: string };
}

/** Wraps a logger so every call (at any level, before redaction) is also kept as text. */
function recording(logger: Logger, lines: string[]): Logger {
  const levels = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
  return new Proxy(logger, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'child') return (...args: unknown[]) => recording(value.apply(target, args) as Logger, lines);
      if (typeof property === 'string' && levels.has(property)) {
        return (...args: unknown[]) => {
          lines.push(inspect(args, { depth: 10, breakLength: Infinity }));
          return value.apply(target, args) as unknown;
        };
      }
      return value.bind(target) as unknown;
    },
  });
}

const jwtClaims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe(`partner clients and OAuth2 client credentials (${testMode()})`, () => {
  const logLines: string[] = [];
  const secrets: string[] = [];
  let platform: RunningPlatform;
  let scoped: RunningRouter; // introspection in `scope` mode, as in production
  let dropDatabases: (() => Promise<void>) | undefined;
  let adminToken: string;
  let tokenUrl: string;

  const graphql = async <Data>(
    url: string,
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse<Data>['body'] };
  };
  const router = <Data>(query: string, variables?: Record<string, unknown>, token?: string) =>
    graphql<Data>(platform.routerUrl, query, variables, token);
  const clientCount = async () =>
    Number((await platform.databases.identity!.query<{ n: string }>('select count(*) as n from partner_clients'))[0]!.n);
  const requestToken = async (
    body: string,
    options: { authorization?: string; contentType?: string; url?: string } = {},
  ): Promise<TokenAnswer> => {
    const response = await fetch(options.url ?? tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
        ...(options.authorization ? { authorization: options.authorization } : {}),
      },
      body,
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as TokenAnswer['body'] };
  };
  const createClient = async (name: string, scopes: string[]) => {
    const payload = (await router<CreatePayload>(CREATE, { input: { name, scopes } }, adminToken)).body.data!.createPartnerClient!;
    assert.deepEqual(payload.userErrors, []);
    secrets.push(payload.clientSecret!);
    return { client: payload.client!, secret: payload.clientSecret! };
  };
  const tokenFor = async (clientId: string, secret: string, scope?: string) => {
    const answer = await requestToken(`grant_type=client_credentials${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`, {
      authorization: basic(clientId, secret),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    secrets.push(answer.body.access_token!);
    return answer.body.access_token!;
  };

  before(async () => {
    // startTestPlatform fixes its loggers, so this file starts the platform itself to record every log call.
    const postgres = testMode() === 'postgres' ? await createPostgresDatabases() : undefined;
    dropDatabases = postgres?.drop;
    const databases = postgres?.urls ?? Object.fromEntries(SUBGRAPHS.map((definition) => [definition.name, 'memory://']));
    const loggerFor = (service: string) => recording(createLogger(service, process.env.TEST_LOG_LEVEL ?? 'silent'), logLines);
    platform = await startPlatform({ databases, routerPort: 0, seedDemoData: true, logger: loggerFor });
    scoped = await startRouter({
      supergraphPath: SUPERGRAPH_PATH,
      watchSupergraph: false,
      port: 0,
      host: '127.0.0.1',
      subgraphUrls: Object.fromEntries(Object.values(platform.subgraphs).map((running) => [running.name, running.url])),
      jwksUrl: platform.subgraphs.identity!.url.replace(/\/graphql$/, '/.well-known/jwks.json'),
      routerSecret: platform.routerSecret,
      logger: loggerFor('router-scoped'),
      limits: { introspection: 'scope' },
    });
    tokenUrl = platform.subgraphs.identity!.url.replace(/\/graphql$/, '/oauth/token');
    const login = await router<{ logIn: { accessToken: string } }>(
      'mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }',
      { input: { email: 'admin@demo.shop', password: DEMO_PASSWORD } },
    );
    adminToken = login.body.data!.logIn.accessToken;
  });
  after(async () => {
    await scoped?.close();
    await platform?.close();
    await dropDatabases?.();
  });

  it('lets an admin create a client: the secret is returned once and only its hash is stored', async () => {
    const { client, secret } = await createClient('  Acme Feeds ', ['schema:read', 'catalog:read', 'catalog:read']);
    assert.equal(client.name, 'Acme Feeds');
    assert.deepEqual(client.scopes, ['catalog:read', 'schema:read']);
    assert.equal(client.revokedAt, null);
    assert.match(client.clientId, /^pc_[\w-]{16}$/);
    assert.match(secret, /^[\w-]{43}$/);
    const rows = await platform.databases.identity!.query<{ secret_hash: string; created_by: string }>(
      'select * from partner_clients where id = $1',
      [client.id],
    );
    assert.match(rows[0]!.secret_hash, /^scrypt\$4096\$8\$1\$[^$]+\$[^$]+$/);
    assert.ok(!JSON.stringify(rows).includes(secret), 'the secret is not stored in clear');
    assert.ok(rows[0]!.created_by, 'the creating admin is recorded');
    const listed = await router<ListPayload>(LIST, { first: 100 }, adminToken);
    assert.ok(listed.body.data!.partnerClients.edges.some((edge) => edge.node.id === client.id));
    assert.ok(!JSON.stringify(listed.body).includes(secret), 'the secret is never shown again');
  });

  it('validates name and scopes with userErrors and creates nothing', async () => {
    const before = await clientCount();
    const cases: [Record<string, unknown>, string, string[]][] = [
      [{ name: '   ', scopes: ['catalog:read'] }, 'INVALID_INPUT', ['input', 'name']],
      [{ name: 'No scopes', scopes: [] }, 'INVALID_INPUT', ['input', 'scopes']],
      [{ name: 'Greedy', scopes: ['catalog:read', 'admin'] }, 'INVALID_SCOPE', ['input', 'scopes', '1']],
      [{ name: 'Writer', scopes: ['orders:write'] }, 'INVALID_SCOPE', ['input', 'scopes', '0']],
    ];
    for (const [input, code, field] of cases) {
      const payload = (await router<CreatePayload>(CREATE, { input }, adminToken)).body.data!.createPartnerClient!;
      assert.deepEqual(
        payload.userErrors.map((error) => [error.code, error.field]),
        [[code, field]],
      );
      assert.equal(payload.client, null);
      assert.equal(payload.clientSecret, null);
    }
    assert.equal(await clientCount(), before);
  });

  it('refuses anyone but admins, at the router and again in identity', async () => {
    const before = await clientCount();
    const customer = (
      await router<{ logIn: { accessToken: string } }>(
        'mutation { logIn(input: { email: "customer1@demo.shop", password: "demo-password" }) { accessToken } }',
      )
    ).body.data!.logIn.accessToken;
    for (const token of [customer, undefined]) {
      const created = await router<CreatePayload>(CREATE, { input: { name: 'Sneaky', scopes: ['catalog:read'] } }, token);
      assert.equal(created.body.data, null);
      assert.deepEqual(
        created.body.errors?.map((error) => error.extensions?.code),
        ['UNAUTHORIZED_FIELD_OR_TYPE'],
      );
      const listed = await router(LIST, {}, token);
      assert.deepEqual(
        listed.body.errors?.map((error) => error.extensions?.code),
        ['UNAUTHORIZED_FIELD_OR_TYPE'],
      );
    }
    // Straight to the subgraph with a validly signed customer principal: the resolver's own check refuses.
    const signed = principalHeaders(
      { userId: '00000000-0000-4000-8000-000000000001', role: 'customer', scopes: ['admin'] },
      platform.routerSecret,
    );
    const input = { name: 'Sneaky', scopes: ['catalog:read'] };
    const direct = await graphql<CreatePayload>(platform.subgraphs.identity!.url, CREATE, { input }, undefined, signed);
    assert.deepEqual(
      direct.body.errors?.map((error) => error.extensions?.code),
      ['FORBIDDEN'],
    );
    assert.equal(await clientCount(), before);
  });

  it('issues tokens with HTTP Basic or body credentials (form or JSON), all scopes by default', async () => {
    const { client, secret } = await createClient('Issuer test', ['catalog:read', 'schema:read']);
    const answers = [
      await requestToken('grant_type=client_credentials', { authorization: basic(client.clientId, secret) }),
      await requestToken(
        new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: secret }).toString(),
      ),
      await requestToken(JSON.stringify({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: secret }), {
        contentType: 'application/json',
      }),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(answer.body.token_type, 'Bearer');
      assert.equal(answer.body.expires_in, 3600);
      assert.equal(answer.body.scope, 'catalog:read schema:read');
      secrets.push(answer.body.access_token!);
      const claims = jwtClaims(answer.body.access_token!);
      assert.equal(claims.sub, `client:${client.clientId}`);
      assert.equal(claims.client_id, client.clientId);
      assert.equal(claims.role, 'partner');
      assert.equal(claims.scope, 'catalog:read schema:read');
      assert.equal((claims.exp as number) - (claims.iat as number), 3600);
    }
    const narrowed = await requestToken('grant_type=client_credentials&scope=catalog%3Aread', {
      authorization: basic(client.clientId, secret),
    });
    assert.equal(narrowed.body.scope, 'catalog:read');
    assert.equal(jwtClaims(narrowed.body.access_token!).scope, 'catalog:read');
  });

  it('answers RFC 6749 errors: invalid_client, unsupported_grant_type, invalid_scope, invalid_request', async () => {
    const { client, secret } = await createClient('Error test', ['catalog:read']);
    const cases: [string, { authorization?: string; contentType?: string }, number, string][] = [
      ['grant_type=client_credentials', { authorization: basic(client.clientId, `${secret}x`) }, 401, 'invalid_client'],
      ['grant_type=client_credentials', { authorization: basic('pc_unknown', secret) }, 401, 'invalid_client'],
      ['grant_type=client_credentials', { authorization: basic(secret, client.clientId) }, 401, 'invalid_client'], // swapped: must not log the secret
      [`grant_type=client_credentials&client_id=${client.clientId}`, {}, 401, 'invalid_client'],
      ['grant_type=client_credentials', { authorization: 'Bearer abc' }, 401, 'invalid_client'],
      ['grant_type=password&username=a&password=b', { authorization: basic(client.clientId, secret) }, 400, 'unsupported_grant_type'],
      ['grant_type=client_credentials&scope=schema:read', { authorization: basic(client.clientId, secret) }, 400, 'invalid_scope'],
      ['grant_type=client_credentials&scope=admin', { authorization: basic(client.clientId, secret) }, 400, 'invalid_scope'],
      ['scope=catalog:read', { authorization: basic(client.clientId, secret) }, 400, 'invalid_request'],
      [
        'grant_type=client_credentials&grant_type=client_credentials',
        { authorization: basic(client.clientId, secret) },
        400,
        'invalid_request',
      ],
      [`grant_type=client_credentials&client_secret=${secret}`, { authorization: basic(client.clientId, secret) }, 400, 'invalid_request'],
      ['{not json', { authorization: basic(client.clientId, secret), contentType: 'application/json' }, 400, 'invalid_request'],
      [
        'grant_type=client_credentials',
        { authorization: basic(client.clientId, secret), contentType: 'text/plain' },
        400,
        'invalid_request',
      ],
    ];
    for (const [body, options, status, error] of cases) {
      const answer = await requestToken(body, options);
      assert.equal(answer.status, status, `${body}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error, error, body);
      assert.equal(typeof answer.body.error_description, 'string');
      assert.equal(answer.body.access_token, undefined);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      if (status === 401) assert.match(answer.headers.get('www-authenticate') ?? '', /^Basic /);
    }
  });

  it('answers unauthorized_client when none of the stored scopes is grantable any more', async () => {
    const { client, secret } = await createClient('Stale scopes', ['catalog:read']);
    // As if catalog:read had been dropped from the allow-list after the client was created.
    await platform.databases.identity!.query(`update partner_clients set scopes = '{legacy:read}' where id = $1`, [client.id]);
    const answer = await requestToken('grant_type=client_credentials', { authorization: basic(client.clientId, secret) });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'unauthorized_client');
  });

  it('stops issuing tokens to a revoked client; revoking is idempotent', async () => {
    const { client, secret } = await createClient('Revoke test', ['catalog:read']);
    await tokenFor(client.clientId, secret);
    const revoke = async (id: string) => (await router<RevokePayload>(REVOKE, { id }, adminToken)).body.data!.revokePartnerClient;
    const revoked = await revoke(client.id);
    assert.deepEqual(revoked.userErrors, []);
    assert.ok(revoked.client!.revokedAt);
    assert.equal((await revoke(client.id)).client!.revokedAt, revoked.client!.revokedAt);
    const answer = await requestToken('grant_type=client_credentials', { authorization: basic(client.clientId, secret) });
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'invalid_client');
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      assert.deepEqual(
        (await revoke(id)).userErrors.map((error) => error.code),
        ['PARTNER_CLIENT_NOT_FOUND'],
      );
    }
  });

  it('pages partner clients newest first', async () => {
    const list = async (variables: Record<string, unknown>) =>
      (await router<ListPayload>(LIST, variables, adminToken)).body.data!.partnerClients;
    const first = await list({ first: 2 });
    assert.deepEqual(
      first.edges.map((edge) => edge.node.name),
      ['Revoke test', 'Stale scopes'],
    );
    assert.equal(first.pageInfo.hasNextPage, true);
    const next = await list({ first: 100, after: first.pageInfo.endCursor });
    const ids = [...first.edges, ...next.edges].map((edge) => edge.node.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(ids.length, await clientCount());
    const bad = await router(LIST, { after: 'bm9wZQ' }, adminToken);
    assert.equal(bad.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  it('works through the router: catalog and introspection by scope, never as a user or an admin', async () => {
    const { client, secret } = await createClient('Router test', ['catalog:read', 'schema:read', 'orders:read']);
    const withSchema = await tokenFor(client.clientId, secret);
    const catalogOnly = await tokenFor(client.clientId, secret, 'catalog:read');

    const products = await router<{ products: { edges: unknown[] } }>(
      '{ products(first: 2) { edges { node { name } } } }',
      {},
      catalogOnly,
    );
    assert.equal(products.status, 200);
    assert.equal(products.body.data!.products.edges.length, 2);

    const introspect = '{ __schema { queryType { name } } }';
    const allowed = await graphql<{ __schema: { queryType: { name: string } } }>(scoped.url, introspect, {}, withSchema);
    assert.equal(allowed.body.data?.__schema.queryType.name, 'Query');
    const refused = await graphql(scoped.url, introspect, {}, catalogOnly);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errors?.[0]?.extensions?.code, 'INTROSPECTION_DISABLED');

    const me = await router<{ me: null }>('{ me { id } }', {}, withSchema);
    assert.deepEqual(me.body, { data: { me: null } });
    const admin = await router<CreatePayload>(CREATE, { input: { name: 'Escalation', scopes: ['catalog:read'] } }, withSchema);
    assert.equal(admin.body.data, null);
    assert.deepEqual(
      admin.body.errors?.map((error) => error.extensions?.code),
      ['UNAUTHORIZED_FIELD_OR_TYPE'],
    );
    // orders:read passes the scope check of User.orders, but not its self_or_admin policy.
    const orders = await router(
      '{ products(first: 1) { edges { node { reviews(first: 1) { edges { node { author { orders(first: 1) { edges { node { id } } } } } } } } } } }',
      {},
      withSchema,
    );
    const refusals = orders.body.errors?.map((error) => [error.extensions?.code, error.path?.at(-1)]);
    assert.deepEqual(refusals, [['UNAUTHORIZED_FIELD_OR_TYPE', 'orders']]);
  });

  it('the router forwards POST /oauth/token to identity: tokens and RFC 6749 errors alike; 503 when identity is away', async () => {
    const { client, secret } = await createClient('Router token test', ['catalog:read']);
    const url = new URL('/oauth/token', platform.routerUrl).toString();
    const issued = await requestToken('grant_type=client_credentials', { authorization: basic(client.clientId, secret), url });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(issued.headers.get('cache-control'), 'no-store');
    assert.equal(issued.body.scope, 'catalog:read');
    secrets.push(issued.body.access_token!);
    assert.equal(jwtClaims(issued.body.access_token!).sub, `client:${client.clientId}`);
    const products = await router<{ products: { edges: unknown[] } }>(
      '{ products(first: 1) { edges { node { name } } } }',
      {},
      issued.body.access_token,
    );
    assert.equal(products.body.data!.products.edges.length, 1);

    const form = await requestToken(
      new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: secret }).toString(),
      { url },
    );
    assert.equal(form.status, 200, 'body credentials pass through too');
    secrets.push(form.body.access_token!);
    const wrong = await requestToken('grant_type=client_credentials', { authorization: basic(client.clientId, `${secret}x`), url });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_client');
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic /);
    const grant = await requestToken('grant_type=password&username=a&password=b', { authorization: basic(client.clientId, secret), url });
    assert.deepEqual([grant.status, grant.body.error], [400, 'unsupported_grant_type']);

    const orphan = await startRouter({
      supergraphPath: SUPERGRAPH_PATH,
      watchSupergraph: false,
      port: 0,
      host: '127.0.0.1',
      subgraphUrls: {
        ...Object.fromEntries(Object.values(platform.subgraphs).map((running) => [running.name, running.url])),
        identity: 'http://127.0.0.1:9/graphql',
      },
      jwksUrl: platform.subgraphs.identity!.url.replace(/\/graphql$/, '/.well-known/jwks.json'),
      routerSecret: platform.routerSecret,
      logger: createLogger('router-orphan', 'silent'),
    });
    try {
      const away = await requestToken('grant_type=client_credentials', {
        authorization: basic(client.clientId, secret),
        url: new URL('/oauth/token', orphan.url).toString(),
      });
      assert.deepEqual([away.status, away.body.error], [503, 'temporarily_unavailable']);
      assert.equal(away.headers.get('cache-control'), 'no-store');
    } finally {
      await orphan.close();
    }
  });

  it('throttles failed authentications per client id and address, even with the right secret', async () => {
    const { client, secret } = await createClient('Throttle test', ['catalog:read']);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const answer = await requestToken('grant_type=client_credentials', { authorization: basic(client.clientId, 'wrong') });
      assert.equal(answer.status, 401);
    }
    const throttled = await requestToken('grant_type=client_credentials', { authorization: basic(client.clientId, secret) });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.body.error, 'invalid_client');
    assert.ok(Number(throttled.headers.get('retry-after')) > 0);
    const other = await createClient('Unaffected', ['catalog:read']);
    await tokenFor(other.client.clientId, other.secret);
  });

  it('publishes RFC 8414 metadata at the router, with URLs on the router host', async () => {
    const response = await fetch(new URL('/.well-known/oauth-authorization-server', platform.routerUrl));
    assert.equal(response.status, 200);
    const origin = new URL(platform.routerUrl).origin;
    const metadata = (await response.json()) as Record<string, unknown>;
    assert.equal(metadata.issuer, origin);
    assert.equal(metadata.token_endpoint, `${origin}/oauth/token`);
    assert.equal(metadata.revocation_endpoint, `${origin}/oauth/revoke`);
    assert.deepEqual(metadata.grant_types_supported, ['client_credentials']);
    assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
    assert.deepEqual(metadata.scopes_supported, ['catalog:read', 'schema:read', 'orders:read', 'inventory:read']);
  });

  it('revokes a partner token (RFC 7009): the router refuses it within seconds; unknown tokens 200; bad client 401', async () => {
    const { client, secret } = await createClient('Revoke token test', ['catalog:read']);
    const other = await createClient('Other revoker', ['catalog:read']);
    const revokeUrl = new URL('/oauth/revoke', platform.routerUrl).toString();
    const revoke = (body: string, authorization?: string) =>
      requestToken(body, { url: revokeUrl, ...(authorization ? { authorization } : {}) });
    const query = '{ products(first: 1) { edges { node { name } } } }';
    const works = async (token: string) => (await router<{ products: unknown }>(query, {}, token)).body.data?.products !== undefined;
    const revoked = await tokenFor(client.clientId, secret);
    const kept = await tokenFor(client.clientId, secret);
    assert.match(String(jwtClaims(revoked).sid), /^[0-9a-f-]{36}$/);
    assert.ok(await works(revoked));

    // Another client cannot revoke it (answered 200 all the same, as for an unknown token).
    const foreign = await revoke(`token=${revoked}`, basic(other.client.clientId, other.secret));
    assert.equal(foreign.status, 200);
    for (const token of ['not-a-token', `${revoked.slice(0, -4)}AAAA`]) {
      const unknown = await revoke(`token=${encodeURIComponent(token)}&token_type_hint=access_token`, basic(client.clientId, secret));
      assert.equal(unknown.status, 200, JSON.stringify(unknown.body));
    }
    const bad = await revoke(`token=${revoked}`, basic(client.clientId, `${secret}x`));
    assert.deepEqual([bad.status, bad.body.error], [401, 'invalid_client']);
    assert.match(bad.headers.get('www-authenticate') ?? '', /^Basic /);
    const anonymous = await revoke(`token=${revoked}`);
    assert.deepEqual([anonymous.status, anonymous.body.error], [401, 'invalid_client']);
    const missing = await revoke('', basic(client.clientId, secret));
    assert.deepEqual([missing.status, missing.body.error], [400, 'invalid_request']);
    assert.ok(await works(revoked), 'nothing above revoked it');

    const started = Date.now();
    const done = await revoke(
      new URLSearchParams({
        token: revoked,
        token_type_hint: 'access_token',
        client_id: client.clientId,
        client_secret: secret,
      }).toString(),
    );
    assert.equal(done.status, 200, JSON.stringify(done.body));
    await waitFor(
      'the router to refuse the revoked token',
      async () => {
        const answer = await router(query, {}, revoked);
        return answer.body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
      },
      10_000,
    );
    assert.ok(Date.now() - started < 10_000);
    assert.ok(await works(kept), "the client's other token still works");
    assert.equal((await revoke(`token=${revoked}`, basic(client.clientId, secret))).status, 200, 'revoking again is fine');
  });

  it('never logs client secrets or partner tokens', () => {
    assert.ok(secrets.length > 10);
    assert.ok(
      logLines.some((line) => line.includes('partner token issued')),
      'the token endpoint logs',
    );
    for (const secret of secrets) {
      assert.ok(!logLines.some((line) => line.includes(secret)), 'a secret or token was logged');
    }
  });
});
