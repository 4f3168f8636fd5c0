import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { type QueryPlan, QueryPlanner, type SubscriptionNode } from '@apollo/query-planner';
import {
  type ASTVisitor,
  type DocumentNode,
  GraphQLError,
  type ValidationContext,
  executeSync,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  getVariableValues,
  isAbstractType,
  Kind,
  type OperationDefinitionNode,
  specifiedRules,
  validate,
} from 'graphql';
import { type EngineError, type JsonObject, type RunState, runPlanNode, runSubscriptionEvent, type TypeRelations } from './execute.js';
import type { SubgraphFetcher } from './fetcher.js';
import { aliasFieldsRequiredWithArguments, clientName, fieldsRequiredWithArguments } from './requires-arguments.js';
import { conditionVariables, SelectionShape, shapeRoot } from './shape.js';

export type { EngineError, JsonObject } from './execute.js';
export { HttpSubgraphFetcher, type SubgraphFetcher, type SubgraphRequest, type SubgraphResponse, type WireError } from './fetcher.js';

/** A client's request to the engine: a parsed document (kept and reused by the caller's document cache). */
export interface EngineRequest {
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface EngineResult {
  data?: JsonObject | null;
  errors?: EngineError[];
}

/** An operation, planned and prepared once: its plan and its response shapes (one per @skip/@include values). */
export interface PreparedOperation {
  readonly plan: QueryPlan;
  readonly operation: OperationDefinitionNode;
  readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  readonly rootType: GraphQLObjectType;
  /** The variables @skip/@include read. */
  readonly conditionVariables: readonly string[];
  readonly shapes: Map<string, SelectionShape>;
  /** Whether fields were aliased for planning (requires-arguments.ts): error paths are mapped back. */
  readonly renamed: boolean;
}

/** A request the engine refuses before any fetch (invalid document, unknown operation, bad variables). */
export class EngineRequestError extends Error {
  constructor(readonly errors: EngineError[]) {
    super(errors.map((error) => error.message).join('\n'));
  }
}

/**
 * The router's execution engine for one supergraph: plans with Apollo's query planner (built once), caches plans
 * per document and operation name, executes them over a SubgraphFetcher and shapes the response itself.
 */
export class Engine {
  readonly supergraph: Supergraph;
  /** The API schema (what clients see: @inaccessible removed), as graphql-js. */
  readonly apiSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly types: TypeRelations;
  private readonly plans = new WeakMap<DocumentNode, Map<string, PreparedOperation>>();
  private readonly requiredWithArguments: Map<string, Set<string>>;

  constructor(supergraphSdl: string) {
    // Every feature is accepted: authorization directives are enforced by the router's own pipeline.
    this.supergraph = Supergraph.build(supergraphSdl, { supportedFeatures: null });
    this.apiSchema = this.supergraph.apiSchema().toGraphQLJSSchema();
    this.planner = new QueryPlanner(this.supergraph, { incrementalDelivery: { enableDefer: false } });
    this.types = typeRelations(this.supergraph.schema.toGraphQLJSSchema());
    this.requiredWithArguments = fieldsRequiredWithArguments(supergraphSdl);
  }

  /** The prepared operation of a document (validated against the API schema), planned on first use. */
  plan(document: DocumentNode, operationName?: string | null): PreparedOperation {
    let byName = this.plans.get(document);
    const key = operationName ?? '';
    const known = byName?.get(key);
    if (known) return known;
    const prepared = this.prepareOperation(document, operationName ?? undefined);
    if (!byName) {
      byName = new Map();
      this.plans.set(document, byName);
    }
    byName.set(key, prepared);
    return prepared;
  }

  private prepareOperation(document: DocumentNode, operationName: string | undefined): PreparedOperation {
    const invalid = validate(this.apiSchema, document, [...specifiedRules, NoReservedAliasesRule]);
    if (invalid.length > 0) {
      throw new EngineRequestError(invalid.map((error) => ({ message: error.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })));
    }
    // Planned and shaped: the client's document, with the work-around of requires-arguments.ts applied.
    const planned = aliasFieldsRequiredWithArguments(this.apiSchema, document, this.requiredWithArguments);
    const operations = planned.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const operation =
      operationName === undefined
        ? operations.length === 1
          ? operations[0]
          : undefined
        : operations.find((definition) => definition.name?.value === operationName);
    if (!operation) {
      const message =
        operationName === undefined
          ? 'Must provide operation name if query contains multiple operations.'
          : `Unknown operation named "${operationName}".`;
      throw new EngineRequestError([{ message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }]);
    }
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const definition of planned.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
    }
    const rootType = this.apiSchema.getRootType(operation.operation);
    if (!rootType) {
      throw new EngineRequestError([
        { message: `Schema is not configured for ${operation.operation}s.`, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      ]);
    }
    let plan: QueryPlan;
    try {
      plan = this.planner.buildQueryPlan(operationFromDocument(this.supergraph.apiSchema(), planned, { operationName, validate: false }));
    } catch (error) {
      // A valid operation the planner cannot plan: the client gets an error with a code, not an exception.
      const message = error instanceof Error ? error.message : String(error);
      throw new EngineRequestError([{ message: `Query planning failed: ${message}`, extensions: { code: 'QUERY_PLANNING_FAILED' } }]);
    }
    return {
      plan,
      operation,
      fragments,
      rootType,
      conditionVariables: conditionVariables(operation, fragments),
      shapes: new Map(),
      renamed: planned !== document,
    };
  }

  /**
   * Executes a request: plans it (cached), runs its fetches, shapes the answer. Subscriptions are not executed
   * here (see executeSubscriptionEvent); a request that is refused answers `{ errors }` without `data`.
   */
  async execute(request: EngineRequest, fetcher: SubgraphFetcher): Promise<EngineResult> {
    let prepared: PreparedOperation;
    let variables: Record<string, unknown>;
    try {
      prepared = this.plan(request.document, request.operationName);
      variables = this.coerceVariables(prepared, request.variables ?? {});
    } catch (error) {
      if (error instanceof EngineRequestError) return { errors: error.errors };
      throw error;
    }
    const node = prepared.plan.node;
    if (node?.kind === 'Subscription') {
      return { errors: [{ message: 'Subscriptions are answered over a subscription transport', extensions: { code: 'BAD_REQUEST' } }] };
    }
    const state: RunState = { fetcher, variables, types: this.types, data: {}, errors: [] };
    if (node) await runPlanNode(node, state);
    return this.shape(prepared, state);
  }

  /**
   * One event of a subscription: `data` is what the primary (subscription) fetch delivered for the event; runs the
   * plan's remaining fetches (entities) over it and shapes the event's answer.
   */
  async executeSubscriptionEvent(
    prepared: PreparedOperation,
    rawVariables: Record<string, unknown>,
    event: { data?: JsonObject | null; errors?: EngineError[] },
    fetcher: SubgraphFetcher,
  ): Promise<EngineResult> {
    const node = prepared.plan.node;
    if (node?.kind !== 'Subscription') throw new Error('Not a subscription plan');
    const variables = this.coerceVariables(prepared, rawVariables);
    const state: RunState = { fetcher, variables, types: this.types, data: event.data ?? {}, errors: [...(event.errors ?? [])] };
    if (event.data) await runSubscriptionEvent(node satisfies SubscriptionNode, state);
    return this.shape(prepared, state);
  }

  private coerceVariables(prepared: PreparedOperation, raw: Record<string, unknown>): Record<string, unknown> {
    const definitions = prepared.operation.variableDefinitions ?? [];
    if (definitions.length === 0) return {};
    const coerced = getVariableValues(this.apiSchema, definitions, raw, { maxErrors: 20 });
    if (coerced.errors) {
      throw new EngineRequestError(coerced.errors.map((error) => ({ message: error.message, extensions: { code: 'BAD_USER_INPUT' } })));
    }
    return coerced.coerced;
  }

  private shape(prepared: PreparedOperation, state: RunState): EngineResult {
    let key = '';
    for (const name of prepared.conditionVariables) key += state.variables[name] === true ? '1' : '0';
    let shape = prepared.shapes.get(key);
    if (!shape) {
      shape = new SelectionShape({ schema: this.apiSchema, fragments: prepared.fragments, variables: state.variables }, [
        prepared.operation.selectionSet,
      ]);
      prepared.shapes.set(key, shape);
    }
    const errors = state.errors;
    if (prepared.renamed) {
      for (const error of errors) if (error.path) error.path = error.path.map((key) => (typeof key === 'string' ? clientName(key) : key));
    }
    const data = shapeRoot(shape, prepared.rootType, state.data, {
      schema: this.apiSchema,
      errors,
      introspect: (nodes) => this.introspect(prepared, nodes, state.variables),
    });
    return errors.length > 0 ? { data, errors } : { data };
  }

  /** `__schema` / `__type` at the root: answered by graphql-js over the API schema, as every gateway does. */
  private introspect(prepared: PreparedOperation, nodes: FieldNode[], variables: Record<string, unknown>): unknown {
    const first = nodes[0] as FieldNode;
    const responseName = first.alias?.value ?? first.name.value;
    const operation: OperationDefinitionNode = {
      ...prepared.operation,
      operation: prepared.operation.operation,
      selectionSet: { kind: Kind.SELECTION_SET, selections: nodes },
    };
    const result = executeSync({
      schema: this.apiSchema,
      document: { kind: Kind.DOCUMENT, definitions: [operation, ...Object.values(prepared.fragments)] },
      variableValues: variables,
    });
    return result.data?.[responseName] ?? null;
  }
}

/**
 * Aliases starting with `__` are refused: they are reserved (`__typename`, and the engine's own planning aliases,
 * requires-arguments.ts), and `__proto__` would reach the prototype of a response object.
 */
function NoReservedAliasesRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (node.alias?.value.startsWith('__')) {
        context.reportError(new GraphQLError(`Alias "${node.alias.value}" is reserved: aliases cannot start with "__".`, { nodes: node }));
      }
    },
  };
}

/** Builds the engine for a supergraph (schema, API schema and query planner built once). */
export function prepare(supergraphSdl: string): Engine {
  return new Engine(supergraphSdl);
}

function typeRelations(schema: GraphQLSchema): TypeRelations {
  const cache = new Map<string, boolean>();
  return {
    isAbstract(typename) {
      const type = schema.getType(typename);
      return type !== undefined && isAbstractType(type);
    },
    isObjectOfType(typename, typeCondition) {
      const key = `${typename}\u0000${typeCondition}`;
      let known = cache.get(key);
      if (known === undefined) {
        const type = schema.getType(typename);
        const condition = schema.getType(typeCondition);
        known =
          type !== undefined &&
          condition !== undefined &&
          isAbstractType(condition) &&
          'getInterfaces' in type &&
          schema.isSubType(condition, type);
        cache.set(key, known);
      }
      return known;
    },
  };
}
