import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@commerce/kit';
import { startRouter, type RunningRouter } from '@commerce/router';
import { openExplorer } from '@commerce/router/dist/test/explorer-driver.js';
import { SUPERGRAPH_PATH } from '../src/embedded.js';
import { startTestPlatform, testMode, type TestPlatform } from '../src/testing.js';

const CREATE = `mutation($input: CreatePartnerClientInput!) {
  createPartnerClient(input: $input) { client { clientId } clientSecret userErrors { code } }
}`;
interface Created {
  createPartnerClient: { client: { clientId: string } | null; clientSecret: string | null; userErrors: { code: string }[] };
}

/**
 * The explorer's "Get a token" form against the real identity (through the router's /oauth/token), with a
 * partner client an admin created; router/test/explorer.test.ts covers the rest of the page with stubs.
 */
describe(`the explorer's token form with a partner client (${testMode()})`, () => {
  let platform: TestPlatform;
  let scoped: RunningRouter; // introspection in `scope` mode, as in production
  let clientId: string;
  let clientSecret: string;

  before(async () => {
    platform = await startTestPlatform();
    scoped = await startRouter({
      supergraphPath: SUPERGRAPH_PATH,
      watchSupergraph: false,
      port: 0,
      host: '127.0.0.1',
      subgraphUrls: Object.fromEntries(Object.values(platform.subgraphs).map((running) => [running.name, running.url])),
      jwksUrl: platform.subgraphs.identity!.url.replace(/\/graphql$/, '/.well-known/jwks.json'),
      routerSecret: platform.routerSecret,
      logger: createLogger('router-scoped', process.env.TEST_LOG_LEVEL ?? 'silent'),
      limits: { introspection: 'scope' },
    });
    const admin = await platform.login('admin@demo.shop');
    const created = await platform.graphql<Created>(
      CREATE,
      { input: { name: 'Explorer test', scopes: ['catalog:read', 'schema:read'] } },
      { token: admin },
    );
    const payload = created.body.data?.createPartnerClient;
    assert.ok(payload?.client && payload.clientSecret, JSON.stringify(created.body));
    clientId = payload.client.clientId;
    clientSecret = payload.clientSecret;
  });
  after(async () => {
    await scoped?.close();
    await platform?.close();
  });

  it('a wrong secret shows the OAuth error and changes nothing; the right one authorizes the next operation', async () => {
    const explorer = await openExplorer(`${scoped.baseUrl}/explorer`);
    try {
      const { page, status } = explorer;
      const alert = page.locator('form.explorer-token [role="alert"]');
      const refusal = 'schema not loaded: Reading the schema needs a token with the schema:read scope (INTROSPECTION_DISABLED)';
      const introspection = 'query Root { __schema { queryType { name } } }';
      await status.getByText(`Anonymous; ${refusal}`).waitFor();
      assert.deepEqual(await explorer.run(introspection, 'INTROSPECTION_DISABLED'), {
        errors: [{ message: 'introspection has been disabled', extensions: { code: 'INTROSPECTION_DISABLED' } }],
      });

      const wrong = `${clientSecret.slice(0, -4)}xxxx`;
      await explorer.getToken(clientId, wrong);
      await alert.getByText('invalid_client: Client authentication failed').waitFor();
      assert.equal(await explorer.editor('request-headers.json'), '', 'the headers are left alone');
      await status.getByText(`Anonymous; ${refusal}`).waitFor();
      assert.deepEqual(await explorer.run(introspection, 'INTROSPECTION_DISABLED'), {
        errors: [{ message: 'introspection has been disabled', extensions: { code: 'INTROSPECTION_DISABLED' } }],
      });

      await page.fill('input[name="client_secret"]', '');
      await explorer.getToken(clientId, clientSecret);
      await status.getByText(new RegExp(`^Token for ${clientId} \\(catalog:read schema:read\\), expires at .+; schema loaded$`)).waitFor();
      assert.equal(await alert.count(), 0, 'the error is gone');
      assert.equal(await page.inputValue('input[name="client_secret"]'), '', 'the secret is not kept in the form');
      const headers = JSON.parse(await explorer.editor('request-headers.json')) as Record<string, string>;
      assert.deepEqual(Object.keys(headers), ['Authorization']);
      const token = /^Bearer (\S+)$/.exec(headers.Authorization ?? '')?.[1];
      assert.ok(token, 'a bearer token in the headers');
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
      assert.equal(claims.client_id, clientId);
      assert.equal(claims.role, 'partner');
      // The next operation is the partner's: introspection needs its schema:read scope.
      assert.deepEqual(await explorer.run(introspection, '"Query"'), { data: { __schema: { queryType: { name: 'Query' } } } });

      const stored = await explorer.stored();
      for (const secret of [clientSecret, wrong, token]) assert.ok(!stored.includes(secret), 'neither secret nor token in storage');
      assert.equal(await page.evaluate('localStorage.length'), 0, 'nothing kept in localStorage');
      // The wrong secret answers 401 and the refusals 401/403, which Chromium logs; nothing else is a problem.
      assert.deepEqual(
        explorer.problems.filter((problem) => !/^Failed to load resource: the server responded with a status of 40[013]/.test(problem)),
        [],
      );
      assert.ok(!explorer.problems.join('\n').includes(clientSecret.slice(0, 20)), 'no secret in the console');
    } finally {
      await explorer.close();
    }
  });
});
