import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  HeaderMap,
  type ApolloServerPlugin,
  type GraphQLRequestContext,
  type GraphQLRequestContextDidResolveOperation,
} from '@apollo/server';
import type { GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';
import { composeServices } from '@apollo/composition';
import { buildSchema, parse, type GraphQLSchema } from 'graphql';
import { createLogger } from '@commerce/kit';
import type { RouterContext } from '../src/context.js';
import { buildCostSchema, trackCostSchema } from '../src/policies/demand-control/cost-schema.js';
import { DEFAULT_DEMAND_CONTROL, demandControl } from '../src/policies/demand-control/plugin.js';
import { postQuery, startIssuer, startStubSubgraph, startTestRouter, type Issuer, type StubSubgraph, type TestRouter } from './support.js';

const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])
type Query {
  items(first: Int = 10): [Item!]! @listSize(slicingArguments: ["first"])
  hello: String
}
type Mutation { touch: Item }
type Item { id: ID! name: String! expensive: String @cost(weight: 25) }`;

const items = (first = 10) =>
  Array.from({ length: Math.min(first, 3) }, (_, index) => ({ id: String(index), name: `item ${index}`, expensive: 'x' }));

describe('demand control (static cost) through the router', () => {
  let issuer: Issuer;
  let subgraph: StubSubgraph;
  let enforcing: TestRouter;
  let measuring: TestRouter;
  let limited: TestRouter;

  before(async () => {
    issuer = await startIssuer();
    subgraph = await startStubSubgraph('things', SDL, {
      Query: { items: (_: unknown, { first }: { first?: number }) => items(first), hello: () => 'world' },
      Mutation: { touch: () => items(1)[0] },
    });
    enforcing = await startTestRouter([subgraph], issuer, { demandControl: { mode: 'enforce', maxCost: 100 } });
    measuring = await startTestRouter([subgraph], issuer, { demandControl: { mode: 'measure', maxCost: 100, exposeInExtensions: true } });
    // The rate limiter weighs each operation by its estimated cost: 120 points per window.
    limited = await startTestRouter([subgraph], issuer, {
      demandControl: { mode: 'enforce', maxCost: 1000 },
      rateLimit: { enabled: true, points: 120, tenantPoints: 1000, windowSeconds: 60, keyPrefix: `cost-${Date.now()}:` },
    });
  });

  after(async () => {
    await Promise.all([enforcing?.stop(), measuring?.stop(), limited?.stop()]);
    await subgraph?.stop();
    await issuer?.stop();
  });

  beforeEach(() => {
    subgraph.received.length = 0;
  });

  test('just under the maximum runs; just over gets 400 COST_ESTIMATED_TOO_EXPENSIVE and no subgraph call', async () => {
    const under = await postQuery(enforcing.router.url, '{ items(first: 100) { id name } }'); // 100 x 1
    assert.equal(under.status, 200);
    assert.equal((under.body.data?.items as unknown[]).length, 3);
    assert.equal(subgraph.received.length, 1);

    const over = await postQuery(enforcing.router.url, '{ items(first: 101) { id } }');
    assert.equal(over.status, 400);
    assert.equal(over.body.data, undefined);
    assert.equal(over.body.errors?.[0]?.extensions?.code, 'COST_ESTIMATED_TOO_EXPENSIVE');
    assert.deepEqual(over.body.errors?.[0]?.extensions?.cost, { estimated: 101, max: 100 });
    assert.equal(subgraph.received.length, 1, 'the refused operation never reached the subgraph');
  });

  test('variables, defaults, @cost weights and the mutation base all count', async () => {
    const viaVariable = await postQuery(enforcing.router.url, 'query($n: Int) { items(first: $n) { id } }', { variables: { n: 150 } });
    assert.equal(viaVariable.body.errors?.[0]?.extensions?.code, 'COST_ESTIMATED_TOO_EXPENSIVE');
    // default first = 10: 10 x (1 + 25) = 260
    const weighted = await postQuery(enforcing.router.url, '{ items { expensive } }');
    assert.deepEqual(weighted.body.errors?.[0]?.extensions?.cost, { estimated: 260, max: 100 });
    assert.equal(subgraph.received.length, 0);
  });

  test('measure mode serves over-budget operations and reports estimated and actual cost', async () => {
    const reply = await postQuery(measuring.router.url, '{ items(first: 200) { id } }');
    assert.equal(reply.status, 200);
    assert.equal((reply.body.data?.items as unknown[]).length, 3);
    // estimated from first: 200; actual counts the 3 items returned
    assert.deepEqual(reply.body.extensions?.cost, { estimated: 200, actual: 3, max: 100, mode: 'measure' });
    const mutation = await postQuery(measuring.router.url, 'mutation { touch { id } }');
    assert.deepEqual(mutation.body.extensions?.cost, { estimated: 11, actual: 11, max: 100, mode: 'measure' });
  });

  test('the cost is in the response only when asked, with x-include-cost: true', async () => {
    const plain = await postQuery(enforcing.router.url, '{ items(first: 5) { id } }');
    assert.equal(plain.body.extensions, undefined);
    const asked = await postQuery(enforcing.router.url, '{ items(first: 5) { id } }', { headers: { 'x-include-cost': 'true' } });
    assert.deepEqual(asked.body.extensions?.cost, { estimated: 5, actual: 3, max: 100, mode: 'enforce' });
  });

  test('rate limits are charged by estimated cost', async () => {
    const page = '{ items(first: 50) { id } }'; // cost 50
    const first = await postQuery(limited.router.url, page);
    const second = await postQuery(limited.router.url, page);
    assert.deepEqual([first.status, second.status], [200, 200]);
    const third = await postQuery(limited.router.url, page); // 150 > 120
    assert.equal(third.status, 429);
    assert.equal(third.body.errors?.[0]?.extensions?.code, 'REQUEST_RATE_LIMITED');
    assert.equal(subgraph.received.length, 2);
  });

  test('estimated and actual costs and the rejections are in /metrics', async () => {
    await postQuery(enforcing.router.url, '{ items(first: 7) { id } }');
    await postQuery(enforcing.router.url, '{ items(first: 700) { id } }');
    const text = await (await fetch(`${enforcing.router.baseUrl}/metrics`)).text();
    const value = (series: string) => Number(new RegExp(`^${series} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    assert.ok(value('router_operation_cost_count{kind="estimated"}') >= 2, text.slice(0, 400));
    assert.ok(value('router_operation_cost_count{kind="actual"}') >= 1);
    assert.ok(value('router_rejections_total{code="COST_ESTIMATED_TOO_EXPENSIVE"}') >= 1);
    assert.match(text, /^process_resident_memory_bytes \d+/m);
  });
});

describe('the cost schema of a supergraph load', () => {
  /** The part of a gateway the tracker uses: its load listeners, fired by `load`. */
  function fakeGateway() {
    const listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
    return {
      onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback) {
        listeners.add(callback);
        return () => listeners.delete(callback);
      },
      load(coreSupergraphSdl: string) {
        for (const listener of listeners) listener({ apiSchema: buildSchema('type Query { hello: String }'), coreSupergraphSdl });
      },
    };
  }

  /** The cost the HTTP policy estimates for `query` (undefined: it had no cost schema to estimate with). */
  async function estimateOverHttp(plugin: ApolloServerPlugin<RouterContext>, query: string): Promise<number | undefined> {
    const contextValue: RouterContext = {};
    // Only the fields of Apollo Server's request contexts that demand control reads.
    const request = { http: { headers: new HeaderMap() }, variables: {} };
    const listener = (await plugin.requestDidStart?.({ request } as unknown as GraphQLRequestContext<RouterContext>)) || undefined;
    await listener?.didResolveOperation?.({
      request,
      document: parse(query),
      operationName: null,
      contextValue,
    } as unknown as GraphQLRequestContextDidResolveOperation<RouterContext>);
    return contextValue.estimatedCost;
  }

  test('is built once per load; the HTTP policy estimates from it and reading it builds nothing more', async () => {
    const composed = composeServices([{ name: 'things', url: 'http://things.invalid/graphql', typeDefs: parse(SDL) }]);
    assert.ok(composed.supergraphSdl, 'the test SDL composes');
    const built: string[] = [];
    const gateway = fakeGateway();
    const costSchema = trackCostSchema(gateway, (sdl) => {
      built.push(sdl);
      return buildCostSchema(sdl);
    });
    const plugin = demandControl({ ...DEFAULT_DEMAND_CONTROL, maxCost: 10_000 }, costSchema, createLogger('cost-schema-test', 'silent'));
    assert.equal(costSchema(), undefined, 'nothing before the first load');
    assert.equal(await estimateOverHttp(plugin, '{ items(first: 7) { id } }'), undefined, 'no estimate before the first load');

    gateway.load(composed.supergraphSdl);
    assert.equal(built.length, 1, 'one build for the load');
    const first: GraphQLSchema | undefined = costSchema();
    assert.ok(first?.getDirective('listSize'), 'the supergraph schema, with the cost directives');
    // Consumers read it, however often: the HTTP policy per request, subscriptions (index.ts) per subscribe.
    assert.equal(await estimateOverHttp(plugin, '{ items(first: 7) { id } }'), 7);
    assert.equal(await estimateOverHttp(plugin, '{ items(first: 3) { id expensive } }'), 3 * 26);
    assert.equal(costSchema(), first);
    assert.equal(built.length, 1, 'reading it builds nothing');

    gateway.load(composed.supergraphSdl.replace(/^schema/m, '"reloaded"\nschema'));
    assert.equal(built.length, 2, 'one more build for a reload');
    assert.notEqual(costSchema(), first, 'a reload replaces it');
  });
});
