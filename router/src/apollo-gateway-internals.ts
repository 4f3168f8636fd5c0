import type { ApolloGateway, GraphQLDataSource } from '@apollo/gateway';
import type { Schema } from '@apollo/federation-internals';
import type { QueryPlanCache, QueryPlanner } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';

/**
 * The private fields of @apollo/gateway 2.x that the router reads or wraps: the subscription executor needs the
 * loaded supergraph's planner, schemas and data sources (the gateway cannot execute subscriptions itself), and the
 * metrics wrap the plan cache and the planner. This is the one module that reaches into the gateway;
 * router/test/apollo-gateway-internals.test.ts fails when an upgrade renames or reshapes any of these fields.
 * It goes away when the router's own engine (router/src/engine) serves every request.
 */
export interface GatewayInternals {
  schema?: GraphQLSchema;
  apiSchema?: Schema;
  supergraphSchema?: GraphQLSchema;
  queryPlanner?: QueryPlanner;
  queryPlanStore?: QueryPlanCache;
  serviceMap: Record<string, { url?: string; dataSource: GraphQLDataSource }>;
}

export function gatewayInternals(gateway: ApolloGateway): GatewayInternals {
  // The gateway's public type hides these fields; the upgrade test checks they are there and shaped as declared.
  return gateway as unknown as GatewayInternals;
}
