import type { ApolloServerPlugin } from '@apollo/server';
import { buildSchema, GraphQLError, type GraphQLSchema } from 'graphql';
import type { RouterContext } from '../../context.js';
import { actualCost, estimateCost } from './static-cost.js';

/**
 * Demand control: the estimated cost of every operation, computed from the supergraph's @cost/@listSize before
 * the gateway plans or calls any subgraph. `enforce` rejects operations above `maxCost` with
 * COST_ESTIMATED_TOO_EXPENSIVE; `measure` only records. The estimate is kept on the context (the rate limiter
 * weighs requests by it) and, when `exposeInExtensions`, returned with the actual cost in `extensions.cost`.
 */
export interface DemandControlOptions {
  mode: 'enforce' | 'measure' | 'off';
  maxCost: number;
  defaultListSize: number;
  exposeInExtensions: boolean;
}

export const DEFAULT_DEMAND_CONTROL: DemandControlOptions = {
  mode: 'enforce',
  maxCost: 5000,
  defaultListSize: 10,
  exposeInExtensions: false,
};

export function demandControl(options: DemandControlOptions): ApolloServerPlugin<RouterContext> {
  let costSchema: GraphQLSchema | undefined;
  return {
    async serverWillStart() {
      return {
        schemaDidLoadOrUpdate({ coreSupergraphSdl }) {
          // The API schema drops custom directives; the supergraph keeps @cost and @listSize.
          if (coreSupergraphSdl) costSchema = buildSchema(coreSupergraphSdl, { assumeValidSDL: true });
        },
      };
    },
    async requestDidStart() {
      if (options.mode === 'off') return {};
      return {
        async didResolveOperation({ document, operationName, request, contextValue }) {
          if (!costSchema) return;
          const estimated = estimateCost(costSchema, document, options, operationName, request.variables ?? {});
          contextValue.estimatedCost = estimated;
          if (options.mode === 'enforce' && estimated > options.maxCost) {
            throw new GraphQLError(`The operation's estimated cost ${estimated} exceeds the maximum ${options.maxCost}`, {
              extensions: {
                code: 'COST_ESTIMATED_TOO_EXPENSIVE',
                cost: { estimated, max: options.maxCost },
                http: { status: 400 },
              },
            });
          }
        },
        async willSendResponse({ response, document, operationName, request, contextValue }) {
          if (!options.exposeInExtensions || !costSchema || !document || contextValue.estimatedCost === undefined) return;
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const actual = result.data ? actualCost(costSchema, document, result.data, operationName, request.variables ?? {}) : 0;
          result.extensions = {
            ...result.extensions,
            cost: { estimated: contextValue.estimatedCost, actual, max: options.maxCost, mode: options.mode },
          };
        },
      };
    },
  };
}
