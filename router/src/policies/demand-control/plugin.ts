import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from '@commerce/kit';
import type { RouterContext } from '../../context.js';
import { recordCost } from '../../metrics.js';
import { actualCost, estimateCost } from './static-cost.js';

/**
 * Demand control: the estimated cost of every operation, computed from the supergraph's @cost/@listSize before
 * the gateway plans or calls any subgraph. `enforce` rejects operations above `maxCost` with HTTP 400
 * COST_ESTIMATED_TOO_EXPENSIVE; `measure` only records. The estimate is kept on the context (the rate limiter
 * weighs requests by it). The estimated and actual cost are returned in `extensions.cost` when
 * `exposeInExtensions` is on, or when the request asks with the header `x-include-cost: true`.
 * The supergraph's cost schema comes from `costSchema` (see cost-schema.ts), built once per load.
 */
export interface DemandControlOptions {
  mode: 'enforce' | 'measure' | 'off';
  maxCost: number;
  /** Size of a list field without @listSize (Apollo Router's `static_estimated.list_size`). */
  defaultListSize: number;
  exposeInExtensions: boolean;
}

export const DEMAND_CONTROL_MODES = ['enforce', 'measure', 'off'] as const;
export const INCLUDE_COST_HEADER = 'x-include-cost';

export const DEFAULT_DEMAND_CONTROL: DemandControlOptions = {
  mode: 'enforce',
  maxCost: 5000,
  defaultListSize: 10,
  exposeInExtensions: false,
};

/** The refusal of an operation whose estimated cost is over the maximum (HTTP 400). */
export function costTooHigh(estimated: number, max: number): GraphQLFormattedError {
  return {
    message: `The operation's estimated cost ${estimated} exceeds the maximum ${max}`,
    extensions: { code: 'COST_ESTIMATED_TOO_EXPENSIVE', cost: { estimated, max } },
  };
}

export function demandControl(
  options: DemandControlOptions,
  costSchemaOf: () => GraphQLSchema | undefined,
  logger: Logger,
): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart({ request }) {
      if (options.mode === 'off') return {};
      const expose = options.exposeInExtensions || request.http?.headers.get(INCLUDE_COST_HEADER) === 'true';
      // One supergraph for the whole request, even if a reload lands between its hooks.
      const costSchema = costSchemaOf();
      return {
        // Synchronous up to the throw: the rate limiter's hook (listed after this one) reads estimatedCost.
        async didResolveOperation({ document, operationName, request: { variables }, contextValue }) {
          if (!costSchema) return;
          const estimated = estimateCost(costSchema, document, options, operationName, variables ?? {});
          contextValue.estimatedCost = estimated;
          recordCost('estimated', estimated);
          if (options.mode === 'enforce' && estimated > options.maxCost) {
            logger.info({ operationName, estimated, max: options.maxCost }, 'operation refused: estimated cost too high');
            const refusal = costTooHigh(estimated, options.maxCost);
            throw new GraphQLError(refusal.message, {
              extensions: { ...refusal.extensions, http: { status: 400, headers: new HeaderMap() } },
            });
          }
        },
        async willSendResponse({ response, document, operationName, request: { variables }, contextValue }) {
          if (!costSchema || !document || contextValue.estimatedCost === undefined) return;
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const actual = result.data ? actualCost(costSchema, document, result.data, operationName, variables ?? {}) : 0;
          contextValue.actualCost = actual;
          recordCost('actual', actual);
          if (!expose) return;
          result.extensions = {
            ...result.extensions,
            cost: { estimated: contextValue.estimatedCost, actual, max: options.maxCost, mode: options.mode },
          };
        },
      };
    },
  };
}
