import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { Ctx, Field, Int, ObjectType, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import WebSocket from 'ws';
import { openDatabase, type Database } from '../src/db/database.js';
import { buildFederatedSchema } from '../src/graphql/federated-schema.js';
import { connectionPrincipal } from '../src/http/connection-principal.js';
import { startSubgraphServer, type RunningSubgraph } from '../src/http/subgraph-server.js';
import { createLogger } from '../src/log.js';
import { principalHeaders, PrincipalHeaderError, type Principal } from '../src/principal.js';
import type { PubSub } from '../src/pubsub/pubsub.js';
import type { RequestContext, SubgraphDefinition } from '../src/service.js';
import { waitFor, within } from '../src/testing/wait-for.js';

const SECRET = 'subscription-test-secret-0123456789abcdef';
const vendor: Principal = { userId: 'u-vendor', role: 'vendor_staff', vendorId: 'v1', scopes: ['inventory:write'] };
const admin: Principal = { userId: 'u-admin', role: 'admin', scopes: [] };

interface TickContext extends RequestContext {
  pubsub: PubSub;
  /** Which context this is: every event must get a fresh one. */
  serial: number;
}

@ObjectType()
class Tick {
  @Field(() => Int)
  n!: number;

  @Field(() => String, { nullable: true })
  userId!: string | null;

  @Field(() => Int)
  serial!: number;
}

@Resolver()
class TickResolver {
  @Query(() => String)
  hello(): string {
    return 'hello';
  }

  @Subscription(() => Tick, {
    subscribe: ({ context }: SubscribeResolverData<unknown, object, TickContext>) => context.pubsub.subscribe('ticks'),
  })
  ticks(@Root() payload: { n: number; fail?: boolean }, @Ctx() ctx: TickContext): Tick {
    if (payload.fail) throw new Error('secret detail of a failure');
    return { n: payload.n, userId: ctx.principal?.userId ?? null, serial: ctx.serial };
  }
}

/** A subgraph with nothing but a subscription, started by the shared server as every subgraph is. */
const ticker: SubgraphDefinition = {
  name: 'ticker',
  defaultPort: 0,
  buildSchema: () => buildFederatedSchema([TickResolver]),
  async create({ pubsub }) {
    let serial = 0;
    return {
      createContext: (principal): TickContext => ({ principal, pubsub, serial: ++serial }),
      seed: async () => {},
      isEmpty: async () => false,
      queries: { count: 0, reset: () => {} },
      close: async () => {},
    };
  },
};

function connect(
  running: RunningSubgraph,
  options: { connectionParams?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Client {
  const { headers } = options;
  class WebSocketWithHeaders extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  return createClient({
    url: running.url.replace(/^http/, 'ws'),
    webSocketImpl: headers ? WebSocketWithHeaders : WebSocket,
    connectionParams: options.connectionParams,
    retryAttempts: 0,
  });
}

const TICKS = 'subscription { ticks { n userId serial } }';

describe('subgraph server: graphql-ws on /graphql', () => {
  let db: Database;
  let running: RunningSubgraph;
  const clients: Client[] = [];
  const open = (options?: Parameters<typeof connect>[1]) => {
    const client = connect(running, options);
    clients.push(client);
    return client;
  };
  /** Subscribes and waits until the server side is listening. */
  const subscribeTicks = async (client: Client) => {
    const before = running.pubsub.subscriberCount('ticks');
    const iterator = client.iterate<{ ticks: { n: number; userId: string | null; serial: number } }>({ query: TICKS });
    const first = iterator.next(); // starts the subscription
    await waitFor('the subscription on the pub/sub', () => running.pubsub.subscriberCount('ticks') > before, 3000);
    return { iterator, first };
  };

  before(async () => {
    db = await openDatabase('memory://');
    running = await startSubgraphServer(ticker, { db, logger: createLogger('ticker', 'silent'), routerSecret: SECRET, port: 0 });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await running?.close();
    await db?.close();
  });

  it('pushes events, each executed with a fresh context; anonymous without a principal', async () => {
    const { iterator, first } = await subscribeTicks(open());
    await running.pubsub.publish('ticks', { n: 1 });
    const one = await within('the first message', first, 3000);
    await running.pubsub.publish('ticks', { n: 2 });
    const two = await within('the next message', iterator.next(), 3000);
    assert.equal(one.value?.data?.ticks.n, 1);
    assert.equal(two.value?.data?.ticks.n, 2);
    assert.equal(one.value?.data?.ticks.userId, null);
    assert.notEqual(one.value?.data?.ticks.serial, two.value?.data?.ticks.serial, 'no per-request state outlives an event');
    await iterator.return?.();
    await waitFor('the pub/sub subscription released', () => running.pubsub.subscriberCount('ticks') === 0, 3000); // completing unsubscribes
  });

  it('takes the principal from connection_init (top level or under headers) or the upgrade request', async () => {
    const signed = (principal: Principal) => principalHeaders(principal, SECRET);
    for (const options of [
      { connectionParams: signed(vendor) },
      { connectionParams: { headers: signed(vendor) } },
      { headers: signed(vendor) },
    ]) {
      const { iterator, first } = await subscribeTicks(open(options));
      await running.pubsub.publish('ticks', { n: 3 });
      assert.equal(
        (await within('the first message', first, 3000)).value?.data?.ticks.userId,
        vendor.userId,
        JSON.stringify(Object.keys(options)),
      );
      await iterator.return?.();
      await waitFor('the pub/sub subscription released', () => running.pubsub.subscriberCount('ticks') === 0, 3000);
    }
  });

  it('closes a connection with a forged, stale or conflicting principal with 4403', async () => {
    const forged = {
      ...principalHeaders(vendor, SECRET),
      'x-commerce-principal': principalHeaders(admin, SECRET)['x-commerce-principal'] ?? '',
    };
    const attempts = [
      { connectionParams: forged },
      { connectionParams: { headers: principalHeaders(admin, 'another-secret-that-is-long-enough-5678') } },
      { connectionParams: principalHeaders(vendor, SECRET, Date.now() - 10 * 60_000) },
      { connectionParams: { 'x-commerce-principal': 'only half of it' } },
      { headers: forged },
      { connectionParams: principalHeaders(vendor, SECRET), headers: principalHeaders(admin, SECRET) },
    ];
    for (const options of attempts) {
      const iterator = open(options).iterate({ query: TICKS });
      await assert.rejects(
        within('the next message', iterator.next(), 3000),
        (error: { code?: number }) => error.code === 4403,
        JSON.stringify(options),
      );
    }
  });

  it('masks unexpected errors in events, and serves no queries over WebSocket', async () => {
    const { iterator, first } = await subscribeTicks(open());
    await running.pubsub.publish('ticks', { n: 4, fail: true });
    const failed = (await within('the first message', first, 3000)).value as FormattedExecutionResult;
    assert.deepEqual(
      failed.errors?.map((error) => [error.message, error.extensions?.code]),
      [['Internal server error', 'INTERNAL_SERVER_ERROR']],
    );
    await iterator.return?.();
    const query = open().iterate({ query: '{ hello }' });
    const refused = (await within('the reply', query.next(), 3000)).value as FormattedExecutionResult;
    assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
  });

  it('closes every socket when the subgraph closes', async () => {
    const other = await startSubgraphServer(ticker, { db, logger: createLogger('ticker', 'silent'), routerSecret: SECRET, port: 0 });
    const client = connect(other);
    clients.push(client);
    const iterator = client.iterate({ query: TICKS });
    const closed = iterator.next().then(
      () => undefined,
      (error: { code?: number }) => error.code,
    );
    await waitFor('the subscriber on the other server', () => other.pubsub.subscriberCount('ticks') === 1, 3000);
    const started = Date.now();
    await other.close();
    assert.equal(await within('the close', closed, 3000), 1001, 'Going away');
    assert.ok(Date.now() - started < 2000, 'close does not wait for clients');
    await assert.rejects(fetch(other.url), 'the port is closed');
  });
});

describe('connection principal', () => {
  it('is anonymous without principal headers, and refuses conflicting sources', () => {
    assert.equal(connectionPrincipal(undefined, {}, SECRET), undefined);
    assert.equal(connectionPrincipal({ headers: {} }, { host: 'x' }, SECRET), undefined);
    const same = principalHeaders(vendor, SECRET);
    assert.deepEqual(connectionPrincipal(same, same, SECRET), vendor);
    const upper = {
      'X-Commerce-Principal': same['x-commerce-principal'],
      'X-Commerce-Principal-Signature': same['x-commerce-principal-signature'],
    };
    assert.deepEqual(connectionPrincipal({ headers: upper }, {}, SECRET), vendor);
    assert.throws(() => connectionPrincipal(same, principalHeaders(admin, SECRET), SECRET), PrincipalHeaderError);
    assert.throws(
      () => connectionPrincipal({ 'x-commerce-principal': 42, 'x-commerce-principal-signature': 'x' }, {}, SECRET),
      PrincipalHeaderError,
    );
  });
});
