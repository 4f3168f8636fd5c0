import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { Principal } from '@commerce/kit';
import type { OperationLabels } from '../metrics/operations.js';
import { hasRules, type AuthorizationRules } from '../policies/authorization/directives.js';
import type { AuthorizationMode } from '../policies/authorization/plugin.js';
import { planAuthorization } from '../policies/authorization/plan.js';
import type { EntityLookups, PolicyRegistry } from '../policies/authorization/policies.js';
import { unauthorizedError } from '../policies/authorization/response.js';
import { costTooHigh, type DemandControlOptions } from '../policies/demand-control/plugin.js';
import { estimateCost } from '../policies/demand-control/static-cost.js';
import { countTokens, exceededLimits, measureOperation, type OperationLimits } from '../policies/operation-limits.js';
import type { PreparedSubscription } from './executor.js';

/** The schemas and rules of the loaded supergraph that the policies need. */
export interface PolicySchemas {
  apiSchema: GraphQLSchema;
  /** The supergraph with @cost/@listSize, for demand control. */
  costSchema: GraphQLSchema;
  rules: AuthorizationRules;
}

export interface PrepareOptions {
  schemas(): PolicySchemas | undefined;
  limits: OperationLimits;
  demandControl: DemandControlOptions;
  authorizationMode: AuthorizationMode;
  policies: PolicyRegistry;
  lookups: EntityLookups;
}

export interface IncomingOperation {
  /** Empty when the operation is sent by persisted-query id. */
  query: string;
  extensions?: Record<string, unknown> | null;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** `operation`: the parsed operation's name and type, when it got that far (for metrics and the span). */
export type Prepared =
  /** `estimatedCost`: demand control's estimate (unset when it is off); the rate limit charges it. */
  | { kind: 'subscription'; subscription: PreparedSubscription; operation: OperationLabels; estimatedCost?: number }
  /** A query or mutation sent over a subscription transport: executed like an HTTP request. */
  | { kind: 'operation' }
  | { kind: 'refused'; errors: GraphQLFormattedError[]; operation?: OperationLabels };

/**
 * The router's policies for an operation arriving over WebSocket or SSE, in the same order and with the
 * same codes as over HTTP: token limit, parse, validation, operation limits, field authorization, cost.
 * Nothing is subscribed upstream for a refused operation. Refusals are counted by the caller (observed.ts).
 */
export async function prepareSubscription(
  options: PrepareOptions,
  incoming: IncomingOperation,
  principal: Principal | undefined,
): Promise<Prepared> {
  const schemas = options.schemas();
  if (!schemas) return refused('The supergraph is not loaded yet', 'SERVICE_UNAVAILABLE');
  if (countTokens(incoming.query, options.limits.maxTokens) > options.limits.maxTokens) {
    return refused('parsing error: token limit reached, aborting lexing', 'PARSING_ERROR');
  }
  let document: DocumentNode;
  try {
    document = parse(incoming.query);
  } catch (error) {
    return { kind: 'refused', errors: [{ message: (error as Error).message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] };
  }
  const invalid = validate(schemas.apiSchema, document, specifiedRules);
  if (invalid.length) {
    return {
      kind: 'refused',
      errors: invalid.map((error) => ({ message: error.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })),
    };
  }
  const operation = getOperationAST(document, incoming.operationName ?? undefined);
  if (!operation) return refused('Unknown or ambiguous operation name', 'BAD_REQUEST');
  if (operation.operation !== 'subscription') return { kind: 'operation' };
  const labels: OperationLabels = { name: operation.name?.value, type: 'subscription' };

  const exceeded = exceededLimits(measureOperation(document, operation), options.limits);
  if (exceeded.length) return refusedWith(exceeded, labels);

  const variables = incoming.variables ?? {};
  let estimatedCost: number | undefined;
  if (options.demandControl.mode !== 'off') {
    estimatedCost = estimateCost(schemas.costSchema, document, options.demandControl, incoming.operationName, variables);
    if (options.demandControl.mode === 'enforce' && estimatedCost > options.demandControl.maxCost) {
      return refusedWith([costTooHigh(estimatedCost, options.demandControl.maxCost)], labels);
    }
  }

  const context: PreparedSubscription['context'] = { principal };
  let planned = document;
  if (options.authorizationMode !== 'off' && hasRules(schemas.rules)) {
    const plan = await planAuthorization({
      schema: schemas.apiSchema,
      rules: schemas.rules,
      policies: options.policies,
      document,
      operation,
      variables,
      principal,
      lookups: options.lookups,
    });
    const rootRemoved = plan.root.length > 0 && plan.root.every((field) => field.verdict === 'removed');
    if (plan.removedPaths.length && (options.authorizationMode === 'reject' || rootRemoved)) {
      return refusedWith(
        plan.removedPaths.map((path) => unauthorizedError(path, principal).toJSON()),
        labels,
      );
    }
    if (plan.document) {
      planned = plan.document;
      context.authorization = plan;
    }
  }
  return {
    kind: 'subscription',
    subscription: { document: planned, operationName: incoming.operationName ?? undefined, variables, context },
    operation: labels,
    estimatedCost,
  };
}

function error(message: string, code: string): GraphQLFormattedError {
  return { message, extensions: { code } };
}

function refused(message: string, code: string): Prepared {
  return refusedWith([error(message, code)]);
}

function refusedWith(errors: GraphQLFormattedError[], operation?: OperationLabels): Prepared {
  return { kind: 'refused', errors, operation };
}

export function toGraphQLErrors(errors: readonly GraphQLFormattedError[]): GraphQLError[] {
  return errors.map((entry) => new GraphQLError(entry.message, { path: entry.path, extensions: entry.extensions }));
}
