import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Database } from '../src/db/database.js';
import { startSubgraphServer, type RunningSubgraph } from '../src/http/subgraph-server.js';
import { createLogger, REDACTED, REDACTED_KEYS, type Logger } from '../src/log.js';
import { principalHeaders } from '../src/principal.js';
import { exportSpansTo, inSpan, InMemorySpanExporter, tracerFor } from '../src/tracing.js';
import { probeSubgraph } from './support/probe-subgraph.js';

/** A logger writing into `lines` (each a JSON object). */
function capture(level = 'info'): { logger: Logger; lines: string[]; parsed: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = createLogger('log-test', level, { write: (line: string) => void lines.push(line) });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** Every secret value below: none may appear in any output. */
const SECRETS = {
  password: 'hunter2-password',
  accessToken: 'eyJhbGciOi.access.token',
  refreshToken: 'refresh-token-value',
  token: 'plain-token-value',
  clientSecret: 'client-secret-value',
  client_secret: 'client-secret-snake',
  authorization: 'Bearer header-token-value',
  cookie: 'session=cookie-value',
  'set-cookie': 'session=set-cookie-value',
  signature: 'principal-signature-value',
  line1: '1 Secret Street',
  postalCode: '9999 ZZ',
  cardNumber: '4242424242424242',
  cvc: 'cvc-987', // a bare '987' also turns up in timestamps and stack positions
  paymentMethod: 'pm_card_secret',
  email: 'someone@example.com',
  phone: '+31 6 12345678',
};

describe('logs: JSON lines with redaction', () => {
  it('every line is JSON with service, a level name, an ISO time and the message', () => {
    const { logger, parsed } = capture();
    logger.info({ orderId: 'o-1' }, 'order placed');
    logger.child({ component: 'saga' }).warn('slow');
    const [first, second] = parsed();
    assert.equal(first!.service, 'log-test');
    assert.equal(first!.level, 'info');
    assert.equal(first!.msg, 'order placed');
    assert.equal(first!.orderId, 'o-1');
    assert.ok(!Number.isNaN(Date.parse(first!.time as string)) && /T/.test(first!.time as string));
    assert.equal(second!.level, 'warn');
    assert.equal(second!.component, 'saga');
    assert.equal(second!.service, 'log-test');
  });

  it('redacts the listed keys at every depth, in arrays, whatever their case or separator', () => {
    const { logger, lines, parsed } = capture();
    const address = { name: 'A Customer', line1: SECRETS.line1, city: 'Utrecht', postalCode: SECRETS.postalCode, country: 'NL' };
    logger.info({ password: SECRETS.password, userId: 'u-1' }, 'depth 0');
    logger.info({ input: { password: SECRETS.password, accessToken: SECRETS.accessToken, email: SECRETS.email } }, 'depth 1');
    logger.info(
      {
        req: {
          headers: { authorization: SECRETS.authorization, cookie: SECRETS.cookie, 'x-commerce-principal-signature': SECRETS.signature },
        },
      },
      'headers',
    );
    logger.info({ res: { headers: { 'set-cookie': [SECRETS['set-cookie']] } } }, 'array value');
    logger.info({ event: { payload: { order: { shippingAddress: address, paymentMethod: SECRETS.paymentMethod } } } }, 'depth 3');
    logger.info({ a: { b: { c: { d: { e: { refreshToken: SECRETS.refreshToken } } } } } }, 'depth 5');
    logger.info({ batch: [{ card: { cardNumber: SECRETS.cardNumber, cvc: SECRETS.cvc } }, { token: SECRETS.token }] }, 'in arrays');
    logger.info(
      { oauth: { client_secret: SECRETS.client_secret, CLIENT_SECRET: SECRETS.clientSecret, Authorization: SECRETS.authorization } },
      'variants',
    );
    logger.info({ address }, 'bare address');
    logger.info({ contact: { line1: SECRETS.line1, postal_code: SECRETS.postalCode, phone: SECRETS.phone } }, 'address fields');
    const output = lines.join('');
    for (const [key, secret] of Object.entries(SECRETS)) assert.ok(!output.includes(secret), `the ${key} value was logged`);
    const [depth0, depth1, headers] = parsed();
    assert.equal(depth0!.password, REDACTED);
    assert.equal(depth0!.userId, 'u-1', 'other fields stay');
    assert.deepEqual(depth1!.input, { password: REDACTED, accessToken: REDACTED, email: REDACTED });
    assert.deepEqual((headers!.req as { headers: unknown }).headers, {
      authorization: REDACTED,
      cookie: REDACTED,
      'x-commerce-principal-signature': REDACTED,
    });
    assert.ok(output.includes('"city":"Utrecht"') === false, 'a shipping address goes as a whole');
  });

  it('redacts child bindings and the properties of logged errors, and leaves the caller objects alone', () => {
    const { logger, lines, parsed } = capture();
    const input = { password: SECRETS.password, nested: { token: SECRETS.token } };
    logger.child({ session: { accessToken: SECRETS.accessToken } }).info({ input }, 'child');
    const error = Object.assign(new Error('provider refused'), {
      request: { headers: { authorization: SECRETS.authorization } },
      cardNumber: SECRETS.cardNumber,
    });
    logger.error({ err: error }, 'as err');
    logger.warn(
      { failure: { cause: new Error('nested', { cause: Object.assign(new Error('inner'), { password: SECRETS.password }) }) } },
      'nested error',
    );
    logger.error(error, 'error as the first argument');
    const output = lines.join('');
    for (const [key, secret] of Object.entries(SECRETS)) assert.ok(!output.includes(secret), `the ${key} value was logged`);
    assert.deepEqual(input, { password: SECRETS.password, nested: { token: SECRETS.token } }, 'the logged object is not modified');
    const [, asErr, nested, first] = parsed();
    const err = asErr!.err as Record<string, unknown>;
    assert.equal(err.message, 'provider refused');
    assert.match(err.stack as string, /provider refused/);
    assert.equal(err.cardNumber, REDACTED);
    assert.match(JSON.stringify(nested), /"message":"nested: inner"/, "pino joins the causes' messages");
    assert.equal((first!.err as Record<string, unknown>).message, 'provider refused');
  });

  it('survives cycles and keeps values with their own JSON form', () => {
    const { logger, parsed } = capture();
    const cyclic: Record<string, unknown> = { name: 'loop', password: SECRETS.password };
    cyclic.self = cyclic;
    logger.info({ cyclic, at: new Date(0) }, 'cycle');
    const [line] = parsed();
    assert.deepEqual(line!.cyclic, { name: 'loop', password: REDACTED, self: '[Circular]' });
    assert.equal(line!.at, '1970-01-01T00:00:00.000Z');
  });

  it('the documented key list covers the brief: credentials, headers, addresses, payment data', () => {
    for (const key of [
      'password',
      'accessToken',
      'refreshToken',
      'token',
      'clientSecret',
      'authorization',
      'cookie',
      'shippingAddress',
      'cardNumber',
      'card',
      'paymentMethod',
    ]) {
      assert.ok((REDACTED_KEYS as readonly string[]).includes(key), key);
    }
  });

  it('adds trace_id and span_id while a span is active', async () => {
    exportSpansTo(new InMemorySpanExporter());
    const { logger, parsed } = capture();
    let traceId = '';
    await inSpan(tracerFor('log-test'), 'work', {}, async (span) => {
      traceId = span.spanContext().traceId;
      logger.info('inside');
    });
    logger.info('outside');
    const [inside, outside] = parsed();
    assert.equal(inside!.trace_id, traceId);
    assert.match(inside!.span_id as string, /^[0-9a-f]{16}$/);
    assert.equal(outside!.trace_id, undefined);
  });
});

describe('logs: GraphQL errors in the subgraph server', () => {
  const SECRET = 'log-test-secret-0123456789abcdef';
  let db: Database;
  let running: RunningSubgraph;
  let lines: string[];

  before(async () => {
    db = await openDatabase('memory://');
    const captured = capture();
    lines = captured.lines;
    running = await startSubgraphServer(probeSubgraph(), { db, logger: captured.logger, routerSecret: SECRET, port: 0 });
  });
  after(async () => {
    await running?.close();
    await db?.close();
  });

  const post = async (body: Record<string, unknown>) => {
    const response = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...principalHeaders({ userId: 'u-1', role: 'customer', scopes: [] }, SECRET) },
      body: JSON.stringify(body),
    });
    return (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
  };

  it('an unexpected resolver error is logged with the operation and the service, never with the variables', async () => {
    const variables = { password: SECRETS.password, card: { cardNumber: SECRETS.cardNumber, holder: 'Card Holder Name' } };
    const body = await post({
      query: 'mutation PayNow($password: String!, $card: CardInput!) { pay(password: $password, card: $card) }',
      operationName: 'PayNow',
      variables,
    });
    assert.equal(body.errors?.[0]?.message, 'Internal server error', 'the client sees no detail');
    const logged = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === 'unexpected error in resolver');
    assert.ok(logged, `the error was logged: ${lines.join('')}`);
    assert.equal(logged.service, 'log-test');
    assert.equal(logged.level, 'error');
    assert.equal(logged.operation, 'PayNow');
    assert.equal(logged.operation_type, 'mutation');
    assert.match(JSON.stringify(logged.err), /the payment database is down/);
    const output = lines.join('');
    for (const value of [SECRETS.password, SECRETS.cardNumber, 'Card Holder Name'])
      assert.ok(!output.includes(value), `${value} was logged`);
  });

  it('a variable that does not coerce is answered to the client and not logged', async () => {
    const before = lines.length;
    const body = await post({
      query: 'mutation($password: String!, $card: CardInput!) { pay(password: $password, card: $card) }',
      variables: { password: SECRETS.password, card: { cardNumber: SECRETS.cardNumber, holder: 7, extra: SECRETS.email } },
    });
    assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const output = lines.slice(before).join('');
    for (const value of [SECRETS.password, SECRETS.cardNumber, SECRETS.email]) assert.ok(!output.includes(value), `${value} was logged`);
  });
});
