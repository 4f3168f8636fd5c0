import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { Schema } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { GraphQLSchema, parse } from 'graphql';
import { gatewayInternals } from '../src/apollo-gateway-internals.js';

const TYPE_DEFS = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { hello: String! }`;

/**
 * The router reads private fields of @apollo/gateway through one adapter (src/apollo-gateway-internals.ts). This
 * test loads a real gateway of the installed version and checks every field the adapter declares: an upgrade that
 * renames or reshapes one fails here, before it fails in production.
 */
describe('@apollo/gateway internals the router relies on', () => {
  it('a loaded gateway has its schemas, planner, plan store and data sources where the adapter reads them', async () => {
    const composed = composeServices([{ name: 'things', url: 'http://unreachable.invalid/graphql', typeDefs: parse(TYPE_DEFS) }]);
    assert.equal(composed.errors, undefined);
    const gateway = new ApolloGateway({ supergraphSdl: composed.supergraphSdl ?? '' });
    await gateway.load();
    try {
      const internals = gatewayInternals(gateway);
      assert.ok(internals.schema instanceof GraphQLSchema, 'schema: the API schema');
      assert.ok(internals.schema.getQueryType()?.getFields().hello, 'schema: the loaded supergraph’s API');
      assert.ok(internals.apiSchema instanceof Schema, 'apiSchema: federation-internals Schema');
      assert.ok(internals.supergraphSchema instanceof GraphQLSchema, 'supergraphSchema');
      assert.ok(internals.queryPlanner instanceof QueryPlanner, 'queryPlanner');
      assert.equal(typeof internals.queryPlanner.buildQueryPlan, 'function', 'queryPlanner.buildQueryPlan');
      const store = internals.queryPlanStore;
      assert.ok(store, 'queryPlanStore');
      for (const method of ['get', 'set', 'delete', 'clear'] as const)
        assert.equal(typeof store[method], 'function', `queryPlanStore.${method}`);
      assert.deepEqual(Object.keys(internals.serviceMap), ['things'], 'serviceMap: one entry per subgraph');
      assert.ok(internals.serviceMap.things?.dataSource instanceof RemoteGraphQLDataSource, 'serviceMap.<name>.dataSource');
    } finally {
      await gateway.stop();
    }
  });
});
