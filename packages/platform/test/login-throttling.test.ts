import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { clientAddressHeaders, deleteRedisKeys, DEMO_PASSWORD, principalHeaders, waitFor } from '@commerce/kit';
import { startTestPlatform, type TestPlatform } from '../src/testing.js';

/**
 * Log-in and partner-authentication throttling, end to end through the router. Each client gets its own
 * loopback address (127.0.0.x): the router signs it for identity, which counts failures per account (or client id)
 * and address. Back-off is capped at 2 s here so that its growth and its end can be watched.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `test-th-${process.pid}-${randomBytes(3).toString('hex')}:`;
const LOG_IN = `mutation($input: LogInInput!) {
  logIn(input: $input) { accessToken retryAfterSeconds userErrors { code message } }
}`;

interface Answer<Body> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Body;
}
interface LogInResult {
  data?: {
    logIn: { accessToken: string | null; retryAfterSeconds: number | null; userErrors: { code: string; message: string }[] };
  } | null;
  errors?: { extensions?: { code?: string } }[];
}

/** POSTs from a given local address, which the router sees as the client's. */
function postFrom<Body>(from: string, url: string, body: string, headers: Record<string, string>): Promise<Answer<Body>> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', localAddress: from, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe(`log-in and partner authentication throttling (${process.env.TEST_DATABASE ?? 'embedded'})`, () => {
  let platform: TestPlatform;
  const redis = process.env.TEST_DATABASE === 'postgres';
  const logIn = (from: string, email: string, password: string) =>
    postFrom<LogInResult>(from, platform.routerUrl, JSON.stringify({ query: LOG_IN, variables: { input: { email, password } } }), {
      'content-type': 'application/json',
    });
  const outcome = async (from: string, email: string, password: string) => {
    const payload = (await logIn(from, email, password)).body.data!.logIn;
    return {
      code: payload.userErrors[0]?.code ?? 'OK',
      retry: payload.retryAfterSeconds,
      token: payload.accessToken,
      message: payload.userErrors[0]?.message,
    };
  };

  before(async () => {
    platform = await startTestPlatform({
      env: { AUTH_BACKOFF_MAX_SECONDS: '2', THROTTLE_KEY_PREFIX: PREFIX, ...(redis ? { REDIS_URL } : {}) },
    });
  });
  after(async () => {
    await platform?.close();
    if (redis) await deleteRedisKeys(REDIS_URL, PREFIX);
  });

  it('refuses a flood of wrong passwords with TOO_MANY_ATTEMPTS and a growing, capped retry time, then lets the user in', async () => {
    const email = 'customer3@demo.shop';
    const attacker = '127.0.0.2';
    const flood: { code: string; retry: number | null }[] = [];
    for (let attempt = 0; attempt < 40; attempt += 1) flood.push(await outcome(attacker, email, `guess-${attempt}`));
    const codes = flood.map((answer) => answer.code);
    // the 5th failure starts a 1 s back-off, and the rest of the flood is refused unchecked
    assert.deepEqual(codes.slice(0, 5), Array<string>(5).fill('INVALID_CREDENTIALS'));
    assert.equal(codes[5], 'TOO_MANY_ATTEMPTS');
    assert.ok(codes.slice(5).every((code) => code === 'TOO_MANY_ATTEMPTS' || code === 'INVALID_CREDENTIALS'));
    assert.ok(codes.filter((code) => code === 'INVALID_CREDENTIALS').length < 10, `the flood was checked: ${codes.join()}`);
    const refused = await outcome(attacker, email, DEMO_PASSWORD);
    assert.equal(refused.code, 'TOO_MANY_ATTEMPTS', 'even the right password is refused while blocked');
    assert.equal(refused.token, null);
    assert.match(refused.message!, /try again in \d+ s/);
    assert.equal(flood[5]!.retry, 1, 'the first back-off is 1 s');

    // Each failure after a block ends doubles the next one, up to the cap (2 s here).
    const retries: number[] = [];
    while (retries.length < 2) {
      let answer = await outcome(attacker, email, 'still-guessing');
      await waitFor('the back-off to end', async () => {
        if (answer.code === 'INVALID_CREDENTIALS') return true;
        answer = await outcome(attacker, email, 'still-guessing');
        return answer.code === 'INVALID_CREDENTIALS';
      });
      const next = await outcome(attacker, email, 'still-guessing');
      assert.equal(next.code, 'TOO_MANY_ATTEMPTS');
      retries.push(next.retry!);
    }
    assert.deepEqual(retries, [2, 2]);

    // No permanent lock-out: once the back-off is over, the right password works, even from the attacker's address.
    await waitFor('the last back-off to end', async () => (await outcome(attacker, email, DEMO_PASSWORD)).code === 'OK');
    const again = await outcome(attacker, email, 'a-typo');
    assert.equal(again.code, 'INVALID_CREDENTIALS', 'the successful log-in reset the count of that address');
  });

  it('lets the user in from another address while one address floods', async () => {
    const email = 'customer4@demo.shop';
    const codes: string[] = [];
    for (let attempt = 0; attempt < 30; attempt += 1) codes.push((await outcome('127.0.0.5', email, `guess-${attempt}`)).code);
    // (the right password during a back-off is refused too: the first test shows it; here only the other address counts)
    assert.ok(codes.includes('TOO_MANY_ATTEMPTS'), `the flooding address was throttled: ${codes.join()}`);
    const user = await outcome('127.0.0.6', email, DEMO_PASSWORD);
    assert.equal(user.code, 'OK');
    assert.ok(user.token);
  });

  it('slows a guessing attack spread over many addresses, but never at the addresses the user logs in from', async () => {
    const email = 'customer5@demo.shop';
    assert.equal((await outcome('127.0.0.7', email, DEMO_PASSWORD)).code, 'OK', 'the user logs in from home first');
    // 5 failures from each of 4 addresses: the account's 20th starts its back-off
    for (let host = 20; host < 24; host += 1) {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        assert.equal((await outcome(`127.0.0.${host}`, email, `guess-${attempt}`)).code, 'INVALID_CREDENTIALS');
      }
    }
    const fresh = await outcome('127.0.0.30', email, DEMO_PASSWORD);
    assert.equal(fresh.code, 'TOO_MANY_ATTEMPTS', 'a new address waits out the account-wide back-off');
    assert.equal(fresh.retry, 1);
    assert.equal((await outcome('127.0.0.7', email, DEMO_PASSWORD)).code, 'OK', 'home is not affected');
    await waitFor('the account-wide back-off to end', async () => (await outcome('127.0.0.30', email, DEMO_PASSWORD)).code === 'OK');
  });

  it('throttles partner secrets per client id and address: the partner still gets tokens from its own address', async () => {
    const admin = await platform.login('admin@demo.shop');
    const created = await platform.graphql<{ createPartnerClient: { client: { clientId: string }; clientSecret: string } }>(
      'mutation { createPartnerClient(input: { name: "Flooded", scopes: ["catalog:read"] }) { client { clientId } clientSecret } }',
      {},
      { token: admin },
    );
    const { client, clientSecret } = created.body.data!.createPartnerClient;
    const tokenUrl = new URL('/oauth/token', platform.routerUrl).toString();
    const token = (from: string, secret: string) =>
      postFrom<{ access_token?: string; error?: string }>(from, tokenUrl, 'grant_type=client_credentials', {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`,
      });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 40; attempt += 1) statuses.push((await token('127.0.0.40', `wrong-${attempt}`)).status);
    assert.deepEqual(statuses.slice(0, 10), Array<number>(10).fill(401));
    assert.equal(statuses[10], 429, 'the 10th failure starts the back-off');
    assert.ok(statuses.slice(11).every((status) => status === 429 || status === 401));
    assert.ok(statuses.filter((status) => status === 401).length < 15, `the flood was checked: ${statuses.join()}`);
    const attacker = await token('127.0.0.40', clientSecret);
    assert.equal(attacker.status, 429);
    assert.equal(attacker.body.error, 'invalid_client');
    assert.ok(Number(attacker.headers['retry-after']) >= 1);
    assert.equal(attacker.headers['cache-control'], 'no-store');

    const partner = await token('127.0.0.41', clientSecret);
    assert.equal(partner.status, 200, JSON.stringify(partner.body));
    assert.ok(partner.body.access_token);
    // no permanent lock-out at the flooding address either
    await waitFor('the back-off to end', async () => (await token('127.0.0.40', clientSecret)).status === 200);
  });

  it('refuses a client address that the router did not sign', async () => {
    const identity = platform.subgraphs.identity!.url;
    const forged = clientAddressHeaders('203.0.113.9', 'not-the-router-secret-0123456789abcdef');
    const graphql = await fetch(identity, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...forged },
      body: JSON.stringify({ query: LOG_IN, variables: { input: { email: 'customer6@demo.shop', password: DEMO_PASSWORD } } }),
    });
    assert.equal(graphql.status, 401);
    assert.equal(((await graphql.json()) as LogInResult).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const oauth = await fetch(identity.replace(/\/graphql$/, '/oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...forged },
      body: 'grant_type=client_credentials&client_id=pc_x&client_secret=y',
    });
    assert.equal(oauth.status, 400);
    assert.equal(((await oauth.json()) as { error: string }).error, 'invalid_request');
    // A principal's signature is no address signature.
    const principal = principalHeaders({ userId: 'u', role: 'customer', scopes: [] }, platform.routerSecret);
    const swapped = await fetch(identity, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-commerce-client-address': principal['x-commerce-principal']!,
        'x-commerce-client-address-signature': principal['x-commerce-principal-signature']!,
      },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    assert.equal(swapped.status, 401);
  });

  it('counts in Redis in production mode, under hashed keys', { skip: !redis }, async () => {
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    try {
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 1000 })) keys.push(...batch.map(String));
      assert.ok(
        keys.some((key) => key.startsWith(`${PREFIX}login:pair:n`)),
        keys.join('\n'),
      );
      assert.ok(keys.some((key) => key.startsWith(`${PREFIX}client:address:n`)));
      assert.ok(!keys.some((key) => key.includes('@demo.shop')), 'no email in the keys');
    } finally {
      await client.close();
    }
  });
});
