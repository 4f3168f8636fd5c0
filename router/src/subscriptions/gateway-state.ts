import type { ApolloGateway, GraphQLDataSource } from '@apollo/gateway';
import type { Schema } from '@apollo/federation-internals';
import type { QueryPlanner } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';
import { gatewayInternals } from '../apollo-gateway-internals.js';

/**
 * What subscription execution needs from @apollo/gateway: its query planner, its data sources (which sign
 * the principal) and its schemas, all of the currently loaded supergraph. The gateway keeps them private
 * (it cannot execute subscriptions itself); they are read through the one adapter that reaches in
 * (apollo-gateway-internals.ts), whose test fails when an upgrade renames them.
 */
export interface GatewayState {
  /** The API schema clients validate against. */
  apiSchema: GraphQLSchema;
  /** The same API schema as federation-internals' Schema, which the planner and executor take. */
  federatedApiSchema: Schema;
  supergraphSchema: GraphQLSchema;
  queryPlanner: QueryPlanner;
  dataSources: Record<string, GraphQLDataSource>;
}

export function gatewayState(gateway: ApolloGateway): GatewayState | undefined {
  const { schema, apiSchema, supergraphSchema, queryPlanner, serviceMap } = gatewayInternals(gateway);
  if (!schema || !apiSchema || !supergraphSchema || !queryPlanner) return undefined;
  const entries = Object.entries(serviceMap ?? {});
  return {
    apiSchema: schema,
    federatedApiSchema: apiSchema,
    supergraphSchema,
    queryPlanner,
    dataSources: Object.fromEntries(entries.map(([name, service]) => [name, service.dataSource])),
  };
}
