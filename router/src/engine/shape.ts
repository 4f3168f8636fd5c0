import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  GraphQLEnumType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  isAbstractType,
  isEnumType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { EngineError, JsonObject } from './execute.js';
import { clientName } from './requires-arguments.js';

/**
 * The response shape of one operation for one set of @skip/@include values, prepared once and reused: for every
 * selection set, the fields to answer per runtime object type (fragments and conditions already resolved), each
 * with its output type compiled to a small descriptor. Shaping then walks the merged subgraph data once.
 */

/** How a value of a field's type is completed. */
type TypeStep =
  | { kind: 'leaf'; nonNull: boolean; check: (value: unknown) => boolean }
  | { kind: 'list'; nonNull: boolean; of: TypeStep }
  | { kind: 'composite'; nonNull: boolean; objectType: GraphQLObjectType | undefined; sub: SelectionShape };

interface FieldStep {
  /** The client's response name. */
  responseName: string;
  /** The key of the field in the merged data (differs when aliased for planning: requires-arguments.ts). */
  dataKey: string;
  /** `__typename`: answered from the runtime type, whatever the data holds. */
  typename: boolean;
  /** `__schema` / `__type`: answered by introspection of the API schema. */
  introspection: FieldNode[] | undefined;
  /** `Parent.field`, for error messages. */
  coordinate: string;
  type: TypeStep | undefined;
}

/** A null with its error already recorded: the nearest nullable parent becomes null. */
const NULLED: unique symbol = Symbol('nulled');

export interface ShapeContext {
  readonly schema: GraphQLSchema;
  readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  /** Values of the variables @skip/@include read (coerced). */
  readonly variables: Readonly<Record<string, unknown>>;
}

export class SelectionShape {
  private readonly byType = new Map<string, FieldStep[]>();

  constructor(
    private readonly context: ShapeContext,
    private readonly selectionSets: readonly SelectionSetNode[],
  ) {}

  fieldsFor(type: GraphQLObjectType): FieldStep[] {
    let steps = this.byType.get(type.name);
    if (!steps) {
      steps = this.compile(type);
      this.byType.set(type.name, steps);
    }
    return steps;
  }

  private compile(type: GraphQLObjectType): FieldStep[] {
    const grouped = new Map<string, FieldNode[]>();
    for (const selectionSet of this.selectionSets) this.collect(type, selectionSet, grouped, new Set());
    const steps: FieldStep[] = [];
    const fields = type.getFields();
    for (const [dataKey, nodes] of grouped) {
      const responseName = clientName(dataKey);
      const name = (nodes[0] as FieldNode).name.value;
      const coordinate = `${type.name}.${name}`;
      if (name === '__typename') {
        steps.push({ responseName, dataKey, typename: true, introspection: undefined, coordinate, type: undefined });
      } else if (name === '__schema' || name === '__type') {
        steps.push({ responseName, dataKey, typename: false, introspection: nodes, coordinate, type: undefined });
      } else {
        const field: GraphQLField<unknown, unknown> | undefined = fields[name];
        if (!field) continue;
        const subSets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
        steps.push({
          responseName,
          dataKey,
          typename: false,
          introspection: undefined,
          coordinate,
          type: this.typeStep(field.type, subSets),
        });
      }
    }
    return steps;
  }

  private typeStep(type: GraphQLOutputType, subSets: SelectionSetNode[]): TypeStep {
    let nonNull = false;
    let inner = type;
    if (isNonNullType(inner)) {
      nonNull = true;
      inner = inner.ofType;
    }
    if (isListType(inner)) return { kind: 'list', nonNull, of: this.typeStep(inner.ofType, subSets) };
    if (isLeafType(inner)) return { kind: 'leaf', nonNull, check: leafCheck(inner) };
    return {
      kind: 'composite',
      nonNull,
      objectType: isObjectType(inner) ? inner : undefined,
      sub: new SelectionShape(this.context, subSets),
    };
  }

  private collect(type: GraphQLObjectType, selectionSet: SelectionSetNode, into: Map<string, FieldNode[]>, visited: Set<string>): void {
    for (const selection of selectionSet.selections) {
      if (!included(selection.directives, this.context.variables)) continue;
      switch (selection.kind) {
        case Kind.FIELD: {
          const responseName = selection.alias?.value ?? selection.name.value;
          const nodes = into.get(responseName);
          if (nodes) nodes.push(selection);
          else into.set(responseName, [selection]);
          break;
        }
        case Kind.INLINE_FRAGMENT:
          if (!selection.typeCondition || this.applies(selection.typeCondition.name.value, type)) {
            this.collect(type, selection.selectionSet, into, visited);
          }
          break;
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          if (visited.has(name)) break;
          visited.add(name);
          const fragment = this.context.fragments[name];
          if (fragment && this.applies(fragment.typeCondition.name.value, type)) {
            this.collect(type, fragment.selectionSet, into, visited);
          }
          break;
        }
      }
    }
  }

  private applies(condition: string, type: GraphQLObjectType): boolean {
    if (condition === type.name) return true;
    const conditionType = this.context.schema.getType(condition);
    return conditionType !== undefined && isAbstractType(conditionType) && this.context.schema.isSubType(conditionType, type);
  }
}

function included(directives: FieldNode['directives'], variables: Readonly<Record<string, unknown>>): boolean {
  if (!directives || directives.length === 0) return true;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const argument = directive.arguments?.find((arg) => arg.name.value === 'if');
    const value = argument ? booleanOf(argument.value, variables) : false;
    if (name === 'skip' && value) return false;
    if (name === 'include' && !value) return false;
  }
  return true;
}

function booleanOf(value: ValueNode, variables: Readonly<Record<string, unknown>>): boolean {
  if (value.kind === Kind.BOOLEAN) return value.value;
  if (value.kind === Kind.VARIABLE) return variables[value.name.value] === true;
  return false;
}

/** The variables an operation's @skip/@include read: shapes are prepared once per combination of their values. */
export function conditionVariables(
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
): string[] {
  const names = new Set<string>();
  const visitSet = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      for (const directive of selection.directives ?? []) {
        if (directive.name.value !== 'skip' && directive.name.value !== 'include') continue;
        for (const argument of directive.arguments ?? []) {
          if (argument.value.kind === Kind.VARIABLE) names.add(argument.value.name.value);
        }
      }
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) visitSet(selection.selectionSet);
    }
  };
  visitSet(operation.selectionSet);
  for (const fragment of Object.values(fragments)) visitSet(fragment.selectionSet);
  return [...names].sort();
}

function leafCheck(type: GraphQLOutputType): (value: unknown) => boolean {
  if (type instanceof GraphQLEnumType || isEnumType(type)) {
    const values = new Set(type.getValues().map((value) => value.name));
    return (value) => typeof value === 'string' && values.has(value);
  }
  switch (String(type)) {
    case 'String':
      return (value) => typeof value === 'string';
    case 'Boolean':
      return (value) => typeof value === 'boolean';
    case 'Int':
      return (value) => Number.isInteger(value);
    case 'Float':
      return (value) => typeof value === 'number' && Number.isFinite(value);
    case 'ID':
      return (value) => typeof value === 'string' || Number.isInteger(value);
    default:
      // Custom scalars are opaque to the router: the subgraph that owns them vouches for their values.
      return () => true;
  }
}

/** What shaping needs besides the data: the errors so far and how to answer introspection fields. */
export interface ShapeRun {
  readonly schema: GraphQLSchema;
  readonly errors: EngineError[];
  readonly introspect: (nodes: FieldNode[]) => unknown;
  /** Every prefix of every error path so far (joined by "\u0000"): a null there is already explained. */
  explained?: Set<string>;
}

/** Shapes the merged data of the root into the client's response; null when a non-null root field is null. */
export function shapeRoot(shape: SelectionShape, rootType: GraphQLObjectType, data: JsonObject, run: ShapeRun): JsonObject | null {
  const result = completeObject(shape, rootType, data, run, []);
  return result === NULLED ? null : result;
}

function completeObject(
  shape: SelectionShape,
  type: GraphQLObjectType,
  input: JsonObject,
  run: ShapeRun,
  path: (string | number)[],
): JsonObject | typeof NULLED {
  const output: JsonObject = {};
  const steps = shape.fieldsFor(type);
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index] as FieldStep;
    const responseName = step.responseName;
    if (step.typename) {
      output[responseName] = type.name;
      continue;
    }
    if (step.introspection) {
      output[responseName] = run.introspect(step.introspection);
      continue;
    }
    const fieldType = step.type as TypeStep;
    path.push(responseName);
    const value = complete(fieldType, input[step.dataKey], run, path, step.coordinate);
    path.pop();
    if (value === NULLED) return NULLED;
    output[responseName] = value;
  }
  return output;
}

/** Completes a value; NULLED when it is null in a non-null position (the caller's object becomes null). */
function complete(type: TypeStep, value: unknown, run: ShapeRun, path: (string | number)[], coordinate: string): unknown {
  let result: unknown;
  if (value === null || value === undefined) {
    result = null;
  } else if (type.kind === 'leaf') {
    if (type.check(value)) {
      result = value;
    } else {
      run.errors.push({
        message: `Invalid value found for field ${coordinate}.`,
        path: path.slice(),
        extensions: { code: 'INVALID_GRAPHQL' },
      });
      result = NULLED;
    }
  } else if (type.kind === 'list') {
    if (!Array.isArray(value)) {
      run.errors.push({
        message: `Invalid non-list value for field ${coordinate}.`,
        path: path.slice(),
        extensions: { code: 'INVALID_GRAPHQL' },
      });
      result = NULLED;
    } else {
      const list: unknown[] = new Array(value.length);
      result = list;
      for (let index = 0; index < value.length; index++) {
        path.push(index);
        const element = complete(type.of, value[index], run, path, coordinate);
        path.pop();
        if (element === NULLED) {
          result = NULLED;
          break;
        }
        list[index] = element;
      }
    }
  } else {
    result = completeComposite(type, value, run, path, coordinate);
  }
  if (result === null || result === NULLED) {
    if (!type.nonNull) return null;
    if (result === null && !isExplained(run, path)) {
      run.errors.push({
        message: `Cannot return null for non-nullable field ${coordinate}.`,
        path: path.slice(),
        extensions: { code: 'INVALID_GRAPHQL' },
      });
    }
    return NULLED;
  }
  return result;
}

function completeComposite(
  type: Extract<TypeStep, { kind: 'composite' }>,
  value: unknown,
  run: ShapeRun,
  path: (string | number)[],
  coordinate: string,
): unknown {
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    run.errors.push({
      message: `Invalid non-object value for field ${coordinate}.`,
      path: path.slice(),
      extensions: { code: 'INVALID_GRAPHQL' },
    });
    return NULLED;
  }
  const input = value as JsonObject;
  const typename = input.__typename;
  let objectType = type.objectType;
  if (typeof typename === 'string' && typename !== objectType?.name) {
    const runtime = run.schema.getType(typename);
    if (!runtime || !isObjectType(runtime)) {
      run.errors.push({
        message: `Invalid __typename found for object at field ${coordinate}.`,
        path: path.slice(),
        extensions: { code: 'INVALID_GRAPHQL' },
      });
      return NULLED;
    }
    objectType = runtime;
  }
  if (!objectType) return null;
  return completeObject(type.sub, objectType, input, run, path);
}

/** Whether an error already covers a null at `path`: one at that path or inside it, or inside its parent object. */
function isExplained(run: ShapeRun, path: (string | number)[]): boolean {
  if (run.errors.length === 0) return false;
  if (!run.explained) {
    run.explained = new Set();
    for (const error of run.errors) {
      if (!error.path) continue;
      for (let length = 1; length <= error.path.length; length++) run.explained.add(error.path.slice(0, length).join('\u0000'));
    }
  }
  const key = path.join('\u0000');
  if (run.explained.has(key)) return true;
  return path.length > 1 && run.explained.has(path.slice(0, -1).join('\u0000'));
}
