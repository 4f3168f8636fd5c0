import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * Static cost of an operation after the IBM GraphQL Cost Directives, as Apollo Router computes it:
 * objects, interfaces and unions cost 1, scalars and enums 0, a mutation adds 10; `@cost(weight:)` on a
 * field, type or argument replaces or adds weight; list fields multiply by their size, taken from
 * `@listSize(slicingArguments:)` (the largest given), else `assumedSize`, else the configured default;
 * `sizedFields` carry that size to child lists (Relay `edges`). Pure: no I/O, so it runs before planning.
 */
export interface CostOptions {
  /** Size assumed for a list field without @listSize (Apollo's `static_estimated.list_size`). */
  defaultListSize: number;
}

const OPERATION_BASE: Record<OperationDefinitionNode['operation'], number> = { query: 0, mutation: 10, subscription: 0 };

type Variables = Record<string, unknown>;

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Variables;
  options: CostOptions;
}

function directive(nodes: readonly DirectiveNode[] | undefined, name: string): DirectiveNode | undefined {
  return nodes?.find((node) => node.name.value === name);
}

function argumentValue(node: DirectiveNode | undefined, name: string, variables: Variables = {}): unknown {
  const argument = node?.arguments?.find((candidate) => candidate.name.value === name);
  return argument ? literal(argument.value, variables) : undefined;
}

function literal(value: ValueNode, variables: Variables): unknown {
  switch (value.kind) {
    case Kind.VARIABLE:
      return variables[value.name.value];
    case Kind.INT:
    case Kind.FLOAT:
      return Number(value.value);
    case Kind.STRING:
    case Kind.ENUM:
      return value.value;
    case Kind.BOOLEAN:
      return value.value;
    case Kind.LIST:
      return value.values.map((item) => literal(item, variables));
    case Kind.OBJECT:
      return Object.fromEntries(value.fields.map((field) => [field.name.value, literal(field.value, variables)]));
    default:
      return null;
  }
}

function weightOf(nodes: readonly DirectiveNode[] | undefined): number | undefined {
  const weight = argumentValue(directive(nodes, 'cost'), 'weight');
  return weight === undefined ? undefined : Number(weight);
}

function typeWeight(type: GraphQLNamedType): number {
  return weightOf(type.astNode?.directives) ?? (isCompositeType(type) ? 1 : 0);
}

function skipped(node: FieldNode | { directives?: readonly DirectiveNode[] }, variables: Variables): boolean {
  const skip = argumentValue(directive(node.directives, 'skip'), 'if', variables);
  const include = argumentValue(directive(node.directives, 'include'), 'if', variables);
  return skip === true || include === false;
}

/** What the cost rules read from a field's definition, read once per field (the schema does not change). */
interface FieldCostInfo {
  weight: number;
  isList: boolean;
  slicing?: string[];
  assumedSize?: number;
  sizedFields: string[];
  argumentWeights: Map<string, number>;
}

const fieldInfo = new WeakMap<GraphQLField<unknown, unknown>, FieldCostInfo>();

function costInfo(definition: GraphQLField<unknown, unknown>): FieldCostInfo {
  let info = fieldInfo.get(definition);
  if (!info) {
    const listSize = directive(definition.astNode?.directives, 'listSize');
    const assumed = argumentValue(listSize, 'assumedSize');
    info = {
      weight: weightOf(definition.astNode?.directives) ?? typeWeight(getNamedType(definition.type)),
      isList: isListType(getNullableType(definition.type)),
      slicing: argumentValue(listSize, 'slicingArguments') as string[] | undefined,
      assumedSize: typeof assumed === 'number' ? assumed : undefined,
      sizedFields: (argumentValue(listSize, 'sizedFields') as string[] | undefined) ?? [],
      argumentWeights: new Map(definition.args.map((argument) => [argument.name, weightOf(argument.astNode?.directives) ?? 0])),
    };
    fieldInfo.set(definition, info);
  }
  return info;
}

/** The list size a field declares for itself or, with sizedFields, for its children. */
function declaredListSize(definition: GraphQLField<unknown, unknown>, field: FieldNode, walk: Walk): number {
  const { slicing, assumedSize } = costInfo(definition);
  if (slicing?.length) {
    const given = slicing.flatMap((name) => {
      const argument = field.arguments?.find((candidate) => candidate.name.value === name);
      const value = argument
        ? literal(argument.value, walk.variables)
        : definition.args.find((candidate) => candidate.name === name)?.defaultValue;
      return typeof value === 'number' ? [value] : [];
    });
    if (given.length) return Math.max(...given);
  }
  return assumedSize ?? walk.options.defaultListSize;
}

function argumentsWeight(definition: GraphQLField<unknown, unknown>, field: FieldNode): number {
  const weights = costInfo(definition).argumentWeights;
  let weight = 0;
  for (const argument of field.arguments ?? []) weight += weights.get(argument.name.value) ?? 0;
  return weight;
}

function fieldCost(parent: GraphQLObjectType | GraphQLNamedType, field: FieldNode, walk: Walk, inheritedSize?: number): number {
  if (field.name.value.startsWith('__')) return 0;
  if (!('getFields' in parent)) return 0;
  const definition = parent.getFields()[field.name.value] as GraphQLField<unknown, unknown> | undefined;
  if (!definition) return 0;
  const named = getNamedType(definition.type);
  const { weight: ownWeight, sizedFields, isList } = costInfo(definition);
  const childSizes = sizedFields.length ? { names: sizedFields, size: declaredListSize(definition, field, walk) } : undefined;
  const selection = field.selectionSet ? selectionSetCost(named, field.selectionSet, walk, childSizes) : 0;
  const perItem = ownWeight + selection;
  const size = !isList
    ? 1
    : (inheritedSize ?? (sizedFields.length ? walk.options.defaultListSize : declaredListSize(definition, field, walk)));
  return perItem * size + argumentsWeight(definition, field);
}

function selectionSetCost(
  parent: GraphQLNamedType,
  selectionSet: SelectionSetNode,
  walk: Walk,
  sized?: { names: string[]; size: number },
): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (skipped(selection, walk.variables)) continue;
    if (selection.kind === Kind.FIELD) {
      const inherited = sized?.names.includes(selection.name.value) ? sized.size : undefined;
      cost += fieldCost(parent, selection, walk, inherited);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? (walk.schema.getType(selection.typeCondition.name.value) ?? parent) : parent;
      cost += selectionSetCost(type, selection.selectionSet, walk, sized);
    } else {
      const fragment = walk.fragments.get(selection.name.value);
      if (fragment) {
        const type = walk.schema.getType(fragment.typeCondition.name.value) ?? parent;
        cost += selectionSetCost(type, fragment.selectionSet, walk, sized);
      }
    }
  }
  return cost;
}

export function selectOperation(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  return operationName ? operations.find((operation) => operation.name?.value === operationName) : operations[0];
}

/** Estimated cost of one operation of a validated document. */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  options: CostOptions,
  operationName?: string | null,
  variables: Variables = {},
): number {
  const operation = selectOperation(document, operationName);
  if (!operation) return 0;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragments = new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  // coerce declared defaults so `$first` without a value still counts its default
  const withDefaults: Variables = { ...variables };
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (withDefaults[name] === undefined && definition.defaultValue) withDefaults[name] = literal(definition.defaultValue, {});
  }
  const walk: Walk = { schema, fragments, variables: withDefaults, options };
  return OPERATION_BASE[operation.operation] + selectionSetCost(root, operation.selectionSet, walk);
}

/**
 * Actual cost: the same weights, but each list counts the items the response really holds. Computed from
 * the response data, so it can be compared with the estimate in metrics and extensions.
 */
export function actualCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  data: unknown,
  operationName?: string | null,
  variables: Variables = {},
): number {
  const operation = selectOperation(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return 0;
  const fragments = new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const walk: Walk = { schema, fragments, variables, options: { defaultListSize: 0 } };
  return OPERATION_BASE[operation.operation] + actualSelectionCost(root, operation.selectionSet, data, walk);
}

function actualSelectionCost(parent: GraphQLNamedType, selectionSet: SelectionSetNode, value: unknown, walk: Walk): number {
  if (value === null || typeof value !== 'object') return 0;
  const object = value as Record<string, unknown>;
  const typename = typeof object.__typename === 'string' ? walk.schema.getType(object.__typename) : undefined;
  const type = typename ?? parent;
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (skipped(selection, walk.variables)) continue;
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__') || !('getFields' in type)) continue;
      const definition = type.getFields()[selection.name.value] as GraphQLField<unknown, unknown> | undefined;
      if (!definition) continue;
      const named = getNamedType(definition.type);
      const weight = costInfo(definition).weight;
      const fieldValue = object[selection.alias?.value ?? selection.name.value];
      const items = Array.isArray(fieldValue) ? fieldValue : [fieldValue];
      for (const item of items) {
        if (item === null || item === undefined) continue;
        cost += weight + (selection.selectionSet ? actualSelectionCost(named, selection.selectionSet, item, walk) : 0);
      }
      cost += argumentsWeight(definition, selection);
    } else {
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : walk.fragments.get(selection.name.value);
      if (!fragment) continue;
      const condition = fragment.typeCondition ? walk.schema.getType(fragment.typeCondition.name.value) : undefined;
      if (condition && typename && condition !== typename && !('getPossibleTypes' in condition)) continue;
      cost += actualSelectionCost(condition ?? type, fragment.selectionSet, value, walk);
    }
  }
  return cost;
}
