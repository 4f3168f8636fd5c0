import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createLogger, type Principal } from '@commerce/kit';
import { subgraphLookups } from '../src/policies/authorization/lookups.js';
import { POLICIES, type EntityLookups } from '../src/policies/authorization/policies.js';
import { listenOnAnyPort, TEST_SECRET } from './support.js';

const BUYER: Principal = { userId: 'u1', role: 'customer', scopes: [] };
const BUYERS: Record<string, string> = { o1: 'u1', o2: 'u1', o3: 'u1' };
/** Ids whose resolution fails in the stub: null in `_entities`, with an error at their path. */
const BROKEN = new Set(['broken']);

/**
 * A stub orders subgraph for the router's `_entities` lookups: it records the ids of every request, holds
 * its answers until `release()` (so that lookups overlap), and fails while `failing` is set.
 */
interface OrdersStub {
  url: string;
  /** The order ids each request asked for, in order. */
  requests: string[][];
  failing: boolean;
  release(): void;
  stop(): Promise<void>;
}

async function startOrdersStub(): Promise<OrdersStub> {
  const held: (() => void)[] = [];
  const stub: Omit<OrdersStub, 'url'> = {
    requests: [],
    failing: false,
    release: () => {
      for (const answer of held.splice(0)) answer();
    },
    stop: () => {
      server.closeAllConnections(); // fetch keeps its connections alive
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer(async (req, res) => {
    const body = JSON.parse(await text(req)) as { variables: { representations: { __typename: string; id: string }[] } };
    const ids = body.variables.representations.map((representation) => representation.id);
    stub.requests.push(ids);
    held.push(() => {
      if (stub.failing) return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"message":"down"}]}');
      const entities = ids.map((id) => (BUYERS[id] ? { id, buyer: { id: BUYERS[id] } } : null));
      const errors = ids.flatMap((id, index) => (BROKEN.has(id) ? [{ message: 'resolution failed', path: ['_entities', index] }] : []));
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ data: { _entities: entities }, ...(errors.length ? { errors } : {}) }));
    });
  });
  const url = `${await listenOnAnyPort(server)}/graphql`;
  return Object.assign(stub, { url });
}

async function text(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

/** Waits until the stub has received `count` requests (they are held until released). */
async function requestsReached(stub: OrdersStub, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (stub.requests.length < count) {
    if (Date.now() > deadline) throw new Error(`the stub got ${stub.requests.length} requests, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('authorization lookups: concurrent lookups of an entity share one request', () => {
  const N = 50;
  let stub: OrdersStub;
  let lookups: EntityLookups;
  const allowed = (ids: string[]) => POLICIES.order_owner_or_admin!.allowedKeys!(BUYER, ids, lookups);

  before(async () => {
    stub = await startOrdersStub();
  });

  after(() => stub?.stop());

  beforeEach(() => {
    // A new router's lookups (an empty cache) for every test; the stub's record starts anew.
    lookups = subgraphLookups((name) => (name === 'orders' ? stub.url : undefined), createLogger('lookups-test', 'silent'), TEST_SECRET);
    stub.requests.length = 0;
    stub.failing = false;
  });

  test(`${N} concurrent lookups of one order send exactly one request, and every caller gets the answer`, async () => {
    const decisions = Array.from({ length: N }, () => allowed(['o1']));
    await requestsReached(stub, 1);
    stub.release();
    for (const decision of await Promise.all(decisions)) assert.deepEqual([...decision], ['o1']);
    assert.deepEqual(stub.requests, [['o1']]);
    // Answered and cached: later lookups send nothing.
    assert.deepEqual([...(await allowed(['o1']))], ['o1']);
    assert.equal(stub.requests.length, 1);
  });

  test('a batch fetches only the ids not already in flight, and awaits the others', async () => {
    const first = lookups.orderBuyers(['o1']);
    await requestsReached(stub, 1);
    const second = lookups.orderBuyers(['o1', 'o2', 'o2', 'o9']);
    await requestsReached(stub, 2);
    stub.release();
    assert.deepEqual(await first, new Map([['o1', 'u1']]));
    assert.deepEqual(
      await second,
      new Map([
        ['o1', 'u1'],
        ['o2', 'u1'],
        ['o9', null],
      ]),
    );
    assert.deepEqual(stub.requests, [['o1'], ['o2', 'o9']], 'one request per call, o1 not asked twice');
  });

  test('a failed request denies every caller waiting on it, is not cached, and the next lookup asks again', async () => {
    stub.failing = true;
    const decisions = Array.from({ length: N }, () => allowed(['o3']));
    await requestsReached(stub, 1);
    stub.release();
    for (const decision of await Promise.all(decisions)) assert.equal(decision.size, 0, 'denied (fails closed)');
    assert.equal(stub.requests.length, 1, 'the waiting callers shared the failed request');

    stub.failing = false;
    const retried = allowed(['o3']);
    await requestsReached(stub, 2);
    stub.release();
    assert.deepEqual([...(await retried)], ['o3']);
    assert.deepEqual(stub.requests, [['o3'], ['o3']]);
  });

  test('vendor_owns_product denies an unknown product and one whose lookup failed; only the failure is asked again', async () => {
    const vendor: Principal = { userId: 'v1', role: 'vendor_staff', vendorId: 'vendor-1', scopes: [] };
    const products = subgraphLookups(() => stub.url, createLogger('lookups-test', 'silent'), TEST_SECRET);
    const decision = POLICIES.vendor_owns_product!.allowedKeys!(vendor, ['unknown', 'broken'], products);
    await requestsReached(stub, 1);
    stub.release();
    assert.deepEqual([...(await decision)], [], 'a value that is no product id never passes for one; a failed lookup fails closed');
    const again = products.productVendors(['unknown', 'broken']);
    await requestsReached(stub, 2);
    stub.release();
    assert.deepEqual(await again, new Map([['unknown', null]]), 'an unknown entity is an answer, a failed resolution is not');
    assert.deepEqual(stub.requests, [['unknown', 'broken'], ['broken']], 'the failed answer was not cached');
  });
});
