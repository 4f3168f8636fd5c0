import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { demoData, DEMO_PASSWORD } from '@commerce/kit';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

/**
 * A session signed out by identity (here: a reused refresh token) stops working at the router within
 * seconds, for every access token issued in it, over HTTP and on open subscriptions; the user's other
 * sessions keep working.
 */
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { accessToken refreshToken userErrors { code } } }`;
const REFRESH = `mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken userErrors { code } } }`;
const SUBSCRIPTION = 'subscription($id: ID!) { stockChanged(productId: $id) { available } }';

interface Tokens {
  accessToken: string | null;
  refreshToken: string | null;
  userErrors: { code: string }[];
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  for (const started = Date.now(); !(await check()); ) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(`revoked sessions at the router (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  const clients: Client[] = [];
  const productId = demoData().products[0]!.id;

  const logIn = async (email: string) =>
    (await platform.graphql<{ logIn: Tokens }>(LOG_IN, { input: { email, password: DEMO_PASSWORD } })).body.data!.logIn;
  const refresh = async (token: string) =>
    (await platform.graphql<{ refreshSession: Tokens }>(REFRESH, { token })).body.data!.refreshSession;
  const me = (token: string) => platform.graphql<{ me: { id: string } | null }>('{ me { id } }', {}, { token });

  before(async () => {
    platform = await startTestPlatform();
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await platform?.close();
  });

  it("REFRESH_TOKEN_REUSED: the session's access tokens get 401 within seconds and its subscriptions end", async () => {
    const session = await logIn('customer3@demo.shop');
    const elsewhere = await logIn('customer3@demo.shop'); // another session of the same user
    assert.equal((await me(session.accessToken!)).status, 200); // verified once: in the router's token cache
    const rotated = await refresh(session.refreshToken!);
    assert.deepEqual(rotated.userErrors, []);

    const client = createClient({
      url: platform.routerUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${rotated.accessToken}` },
      retryAttempts: 0,
    });
    clients.push(client);
    const events: { errors?: { extensions?: { code?: string } }[] }[] = [];
    let ended = false;
    client.subscribe(
      { query: SUBSCRIPTION, variables: { id: productId } },
      {
        next: (event) => void events.push(event as (typeof events)[number]),
        error: () => {
          ended = true;
        },
        complete: () => {
          ended = true;
        },
      },
    );
    await waitFor('the subscription', () => platform.router.subscriptionStats().subscribers === 1);

    const reused = await refresh(session.refreshToken!);
    assert.equal(reused.userErrors[0]?.code, 'REFRESH_TOKEN_REUSED');
    const revokedAt = Date.now();
    await waitFor('the first token to be refused', async () => (await me(session.accessToken!)).status === 401);
    const seconds = (Date.now() - revokedAt) / 1000;
    assert.ok(seconds < 5, `revocation took ${seconds} s`);
    for (const token of [session.accessToken!, rotated.accessToken!]) {
      const refused = await me(token);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    }
    await waitFor('the subscription to end', () => ended);
    assert.equal(events.at(-1)?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(platform.router.subscriptionStats().subscribers, 0);

    const other = await me(elsewhere.accessToken!);
    assert.equal(other.status, 200);
    assert.ok(other.body.data?.me?.id, "the user's other session still works");
  });
});
