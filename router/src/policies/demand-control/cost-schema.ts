import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { buildSchema, type GraphQLSchema } from 'graphql';

/** Builds the schema demand control reads @cost and @listSize from, out of the supergraph's SDL. */
export type CostSchemaBuilder = (coreSupergraphSdl: string) => GraphQLSchema;

/** The API schema drops custom directives; the supergraph keeps @cost and @listSize. */
export function buildCostSchema(coreSupergraphSdl: string): GraphQLSchema {
  return buildSchema(coreSupergraphSdl, { assumeValidSDL: true });
}

/**
 * The cost schema of the supergraph the gateway serves, built once per (re)load and shared by everything
 * that estimates cost (the HTTP plugin and the subscription transports); undefined until the first load.
 * Read it when needed rather than keeping it: a reload replaces it.
 */
export function trackCostSchema(
  gateway: Pick<GatewayInterface, 'onSchemaLoadOrUpdate'>,
  build: CostSchemaBuilder = buildCostSchema,
): () => GraphQLSchema | undefined {
  let schema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    schema = build(coreSupergraphSdl);
  });
  return () => schema;
}
