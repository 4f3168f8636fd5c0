import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import { gql } from 'graphql-tag';
import { buildSchema, createResolversMap, type NonEmptyArray, type PubSub as TypeGraphQLPubSub } from 'type-graphql';
import { refuseUnstorableStrings } from './string-arguments.js';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", ' +
  'import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag", "@cost", "@listSize", "@authenticated", "@requiresScopes", "@policy"])';

/**
 * type-graphql insists on a PubSub of its own as soon as there is a @Subscription, even though ours all use
 * `@Subscription(() => T, { subscribe })` over the kit's PubSub port (from the context). This one refuses the
 * `topics` form instead of silently delivering nothing.
 */
const NO_TYPE_GRAPHQL_PUBSUB: TypeGraphQLPubSub = {
  publish: () => {
    throw new Error("use the PubSub from the subgraph context, not type-graphql's");
  },
  subscribe: () => {
    throw new Error('declare @Subscription with `subscribe` over the PubSub from the subgraph context, not `topics`');
  },
};

/** `__resolveReference` per entity type name: (representation, context) => entity. */
export type ReferenceResolvers = Record<string, { __resolveReference: GraphQLFieldResolver<unknown, unknown> }>;

/**
 * Builds a Federation 2 subgraph schema from type-graphql resolvers: type-graphql owns types and resolvers,
 * @apollo/subgraph adds `_service`, `_entities` and the reference resolvers.
 */
export async function buildFederatedSchema(
  // biome-ignore lint/complexity/noBannedTypes: type-graphql's own signature for resolver class lists
  resolvers: NonEmptyArray<Function>,
  referenceResolvers: ReferenceResolvers = {},
): Promise<GraphQLSchema> {
  const schema = await buildSchema({ resolvers, skipCheck: true, validate: false, pubSub: NO_TYPE_GRAPHQL_PUBSUB });
  const resolverMap = createResolversMap(schema) as Record<string, object>;
  for (const [typeName, reference] of Object.entries(referenceResolvers)) {
    resolverMap[typeName] = { ...(resolverMap[typeName] ?? {}), ...reference };
  }
  const subgraph = buildSubgraphSchema({
    typeDefs: gql`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`,
    // createResolversMap's type is looser than GraphQLResolverMap, the shape is the same
    resolvers: resolverMap as Parameters<typeof buildSubgraphSchema>[0] extends { resolvers?: infer R } ? R : never,
  });
  refuseUnstorableStrings(subgraph);
  return subgraph;
}
