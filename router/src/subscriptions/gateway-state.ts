import type { ApolloGateway, GraphQLDataSource } from '@apollo/gateway';
import type { Schema } from '@apollo/federation-internals';
import type { QueryPlanner } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';

/**
 * What subscription execution needs from @apollo/gateway: its query planner, its data sources (which sign
 * the principal) and its schemas, all of the currently loaded supergraph. The gateway keeps them private
 * (it cannot execute subscriptions itself); this is the one place that reaches in, so a gateway upgrade
 * that renames them breaks here, loudly, and nowhere else.
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

interface GatewayInternals {
  schema?: GraphQLSchema;
  apiSchema?: Schema;
  supergraphSchema?: GraphQLSchema;
  queryPlanner?: QueryPlanner;
  serviceMap: Record<string, { url?: string; dataSource: GraphQLDataSource }>;
}

export function gatewayState(gateway: ApolloGateway): GatewayState | undefined {
  const internals = gateway as unknown as GatewayInternals;
  const { schema, apiSchema, supergraphSchema, queryPlanner, serviceMap } = internals;
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
