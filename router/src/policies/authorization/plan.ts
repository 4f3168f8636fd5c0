import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isListType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type InlineFragmentNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Principal } from '@commerce/kit';
import type { AuthorizationRules, Requirement } from './directives.js';
import type { EntityLookups, PolicyRegistry } from './policies.js';
import { defined } from '@commerce/kit';

/**
 * The authorization plan of one operation for one principal: the operation normalized into a tree (fragments
 * inlined, @skip/@include applied), each field decided as allowed, removed, or pending (a per-entity policy
 * answered after the fetch), and the document the gateway should run instead.
 */
export interface FieldPlan {
  responseKey: string;
  node: FieldNode;
  /** The field's declared type; its nullability decides how far a null propagates. */
  type: GraphQLOutputType;
  /** Set on selections made under a type condition narrower than the parent type. */
  typeCondition?: string;
  children: FieldPlan[];
  verdict: 'allowed' | 'removed' | 'pending';
  /** For `pending`: DNFs of policy names (each DNF: one group must fully allow). */
  pending?: string[][][];
  /**
   * Key fields of this object the router adds (see `internalNames`) for per-entity policies below it, by the
   * entity type they are read for (the field's type, or a member of it when the field's type is abstract).
   */
  keyFields?: Map<string, Set<string>>;
  /** True when the subtree holds something to do on the response (a removal, a pending field, an alias). */
  active: boolean;
}

export interface AuthorizationPlan {
  root: FieldPlan[];
  rootType: GraphQLCompositeType;
  /** Paths of removed fields, with `@` for list items (as Apollo Router reports them). */
  removedPaths: (string | number)[][];
  /** The rewritten document, or undefined when the operation runs unchanged. */
  document?: DocumentNode;
  hasPending: boolean;
  /** Fields of the operation that carry any requirement (0: the operation needs no authorization). */
  guardedFields: number;
  principal?: Principal;
  /** The response keys of the fields the router adds to `document` for itself. */
  internal: InternalNames;
}

/**
 * The response keys of the fields the router adds for itself (an entity's key, the concrete `__typename`).
 * They start with `__` and with a prefix that no response key of the client's document starts with, so a
 * client alias can never take their place, nor be mistaken for one and stripped: GraphQL validation
 * accepts a client alias such as `__authz_key_id`, so the prefix is chosen per document.
 */
export interface InternalNames {
  prefix: string;
  typename: string;
  key(field: string): string;
}

const INTERNAL_PREFIX = '__authz';

export function internalNames(document: DocumentNode): InternalNames {
  const used: string[] = [];
  visit(document, {
    Field(node) {
      used.push(node.alias?.value ?? node.name.value);
    },
  });
  let prefix = `${INTERNAL_PREFIX}_`;
  for (let n = 1; used.some((name) => name.startsWith(prefix)); n += 1) prefix = `${INTERNAL_PREFIX}${n}_`;
  return { prefix, typename: `${prefix}typename`, key: (field) => `${prefix}key_${field}` };
}

export interface PlanInput {
  schema: GraphQLSchema;
  rules: AuthorizationRules;
  policies: PolicyRegistry;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
  principal: Principal | undefined;
  lookups: EntityLookups;
}

type Verdict = { verdict: 'allowed' | 'removed' } | { verdict: 'pending'; pending: string[][][] };

export async function planAuthorization(input: PlanInput): Promise<AuthorizationPlan> {
  const { schema, operation, document } = input;
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) throw new Error(`no ${operation.operation} type`);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const plan: AuthorizationPlan = {
    root: [],
    rootType,
    removedPaths: [],
    hasPending: false,
    guardedFields: 0,
    principal: input.principal,
    internal: internalNames(document),
  };
  const context = { ...input, fragments, plan };
  plan.root = await buildSelection(context, rootType, operation.selectionSet, [], [], true);
  const changed = plan.removedPaths.length > 0 || plan.hasPending;
  if (changed) plan.document = rebuildDocument(operation, rootType, plan.root, plan.internal);
  return plan;
}

type Context = PlanInput & { fragments: Map<string, FragmentDefinitionNode>; plan: AuthorizationPlan };

/** Fields of a selection set, fragments inlined and merged by response key. */
async function buildSelection(
  context: Context,
  parentType: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  path: (string | number)[],
  ancestors: FieldPlan[],
  isRoot: boolean,
): Promise<FieldPlan[]> {
  const collected: { node: FieldNode; type: GraphQLCompositeType }[] = [];
  collectFields(context, parentType, selectionSet, collected, new Set());
  const byKey = new Map<string, FieldPlan>();
  const result: FieldPlan[] = [];
  for (const { node, type } of collected) {
    const responseKey = node.alias?.value ?? node.name.value;
    const mapKey = `${type.name}.${responseKey}`;
    const existing = byKey.get(mapKey);
    if (existing) {
      // The same response key selected twice (validation made them the same field): merge the sub-selections.
      if (node.selectionSet && existing.verdict !== 'removed') {
        const namedType = getNamedType(existing.type) as GraphQLCompositeType;
        const more = await buildSelection(context, namedType, node.selectionSet, [...path, responseKey], [...ancestors, existing], false);
        existing.children = mergeChildren(existing.children, more);
        existing.active ||= more.some((child) => child.active);
      }
      continue;
    }
    const field = fieldDefinition(context.schema, type, node.name.value);
    if (!field) continue; // not in the schema: validation refused the operation already
    const fieldPlan: FieldPlan = {
      responseKey,
      node,
      type: field.type,
      typeCondition: type === parentType ? undefined : type.name,
      children: [],
      verdict: 'allowed',
      active: false,
    };
    byKey.set(mapKey, fieldPlan);
    result.push(fieldPlan);
    const fieldPath = [...path, responseKey];
    // `__typename`, `__schema` and `__type` are kept as the client wrote them and never guarded.
    const decided: Verdict = field.name.startsWith('__')
      ? { verdict: 'allowed' }
      : await decide(context, type, field, node, isRoot, ancestors);
    if (decided.verdict === 'removed') {
      fieldPlan.verdict = 'removed';
      fieldPlan.active = true;
      context.plan.removedPaths.push(fieldPath);
      continue;
    }
    if (decided.verdict === 'pending') {
      fieldPlan.verdict = 'pending';
      fieldPlan.pending = decided.pending;
      fieldPlan.active = true;
      context.plan.hasPending = true;
    }
    if (node.selectionSet) {
      const namedType = getNamedType(field.type) as GraphQLCompositeType;
      const listPath = isListType(getNullableType(field.type)) ? [...fieldPath, '@'] : fieldPath;
      fieldPlan.children = await buildSelection(context, namedType, node.selectionSet, listPath, [...ancestors, fieldPlan], false);
      fieldPlan.active ||= fieldPlan.children.some((child) => child.active);
    }
  }
  return result;
}

function mergeChildren(a: FieldPlan[], b: FieldPlan[]): FieldPlan[] {
  const merged = [...a];
  for (const child of b) {
    const same = merged.find((candidate) => candidate.responseKey === child.responseKey && candidate.typeCondition === child.typeCondition);
    if (!same) merged.push(child);
    else if (same.verdict !== 'removed') {
      same.children = mergeChildren(same.children, child.children);
      same.active ||= child.active;
    }
  }
  return merged;
}

function collectFields(
  context: Context,
  parentType: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  out: { node: FieldNode; type: GraphQLCompositeType }[],
  visitedFragments: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (!included(selection, context.variables)) continue;
    if (selection.kind === Kind.FIELD) {
      out.push({ node: selection, type: parentType });
      continue;
    }
    let conditionName: string | undefined;
    let fragmentSelection: SelectionSetNode;
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      conditionName = selection.typeCondition?.name.value;
      fragmentSelection = selection.selectionSet;
    } else {
      const name = selection.name.value;
      const fragment = context.fragments.get(name);
      if (!fragment || visitedFragments.has(name)) continue;
      visitedFragments.add(name);
      conditionName = fragment.typeCondition.name.value;
      fragmentSelection = fragment.selectionSet;
    }
    const condition = conditionName ? context.schema.getType(conditionName) : parentType;
    const type = condition && isCompositeType(condition) ? condition : parentType;
    // A fragment on the parent's own type (or a supertype) applies to every object: keep the parent type.
    const narrowed = isAbstractType(type) || type === parentType ? parentType : type;
    collectFields(context, narrowed, fragmentSelection, out, visitedFragments);
  }
}

function included(selection: SelectionNode, variables: Record<string, unknown>): boolean {
  for (const directive of selection.directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const argument = directive.arguments?.find((candidate) => candidate.name.value === 'if')?.value;
    const value =
      argument?.kind === Kind.VARIABLE ? variables[argument.name.value] : argument?.kind === Kind.BOOLEAN ? argument.value : undefined;
    if (name === 'skip' && value === true) return false;
    if (name === 'include' && value === false) return false;
  }
  return true;
}

function fieldDefinition(schema: GraphQLSchema, type: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (type === schema.getQueryType() && name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
  if (type === schema.getQueryType() && name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  if (!('getFields' in type)) return undefined;
  return type.getFields()[name];
}

/** Combines the field's and its return type's requirements for this principal. */
async function decide(
  context: Context,
  parentType: GraphQLCompositeType,
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  isRoot: boolean,
  ancestors: FieldPlan[],
): Promise<Verdict> {
  const requirements = [
    context.rules.fields.get(`${parentType.name}.${field.name}`),
    context.rules.types.get(getNamedType(field.type).name),
  ].filter((requirement): requirement is Requirement => requirement !== undefined);
  if (requirements.length === 0) return { verdict: 'allowed' };
  context.plan.guardedFields += 1;
  const { principal, policies } = context;
  const pending: string[][][] = [];
  for (const requirement of requirements) {
    if (requirement.authenticated && !principal) return { verdict: 'removed' };
    for (const dnf of requirement.scopes) {
      if (!dnf.some((group) => group.every((scope) => principal?.scopes.includes(scope)))) return { verdict: 'removed' };
    }
    for (const dnf of requirement.policies) {
      const open: string[][] = [];
      let satisfied = false;
      for (const group of dnf) {
        const decisions = group.map((name) => [name, policies[name]?.decide(principal) ?? false] as const);
        if (decisions.some(([, decision]) => decision === false)) continue;
        const perEntity = decisions.filter(([, decision]) => decision === 'per-entity').map(([name]) => name);
        if (perEntity.length === 0) {
          satisfied = true;
          break;
        }
        open.push(perEntity);
      }
      if (satisfied) continue;
      if (open.length === 0) return { verdict: 'removed' };
      pending.push(open);
    }
  }
  if (pending.length === 0) return { verdict: 'allowed' };
  if (isRoot) return (await decideFromArguments(context, field, node, pending)) ? { verdict: 'allowed' } : { verdict: 'removed' };
  // Below the root: each policy's key comes from the object itself, when it is of the entity type, else from
  // the nearest ancestor of that type. The router adds the key field there and decides once it has the data.
  for (const name of new Set(pending.flat(2))) {
    const entity = policies[name]?.entity;
    if (!entity) return { verdict: 'removed' };
    const holder = entityHolder(ancestors, parentType.name, entity.type);
    if (!holder) return { verdict: 'removed' }; // no entity of that type above this field: nothing to check against
    holder.keyFields ??= new Map();
    const keyFields = holder.keyFields.get(entity.type) ?? new Set();
    holder.keyFields.set(entity.type, keyFields.add(entity.keyField));
    for (const plan of ancestors) plan.active = true;
  }
  return { verdict: 'pending', pending };
}

/**
 * The nearest ancestor whose value is an object of `entityType`, `objectType` being the type of the object
 * holding the field decided. An object is of its field's type, or narrower under a type condition (a union's
 * member): then the key is read under that condition.
 */
function entityHolder(ancestors: FieldPlan[], objectType: string, entityType: string): FieldPlan | undefined {
  let type = objectType;
  for (let index = ancestors.length - 1; index >= 0; index -= 1) {
    if (type === entityType) return ancestors[index];
    // The object holding ancestors[index]: its parent field's value, narrowed by its type condition.
    type =
      defined(ancestors[index], 'the ancestor').typeCondition ??
      (index > 0 ? getNamedType(defined(ancestors[index - 1], 'the parent ancestor').type).name : '');
  }
  return undefined;
}

/** A per-entity policy on a root field is decided now, from the key in the field's arguments. */
async function decideFromArguments(
  context: Context,
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  pending: string[][][],
): Promise<boolean> {
  const { principal, policies } = context;
  if (!principal) return false;
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(field, node, context.variables);
  } catch {
    return false; // invalid arguments: validation of variables reports them
  }
  const allows = async (name: string): Promise<boolean> => {
    const policy = policies[name];
    const argumentPath = policy?.entity?.argument;
    if (!policy?.allowedKeys || !argumentPath) return false;
    const key = argumentPath.reduce<unknown>(
      (value, part) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined),
      args,
    );
    if (typeof key !== 'string') return false;
    return (await policy.allowedKeys(principal, [key], context.lookups)).has(key);
  };
  for (const dnf of pending) {
    let satisfied = false;
    for (const group of dnf) {
      if ((await Promise.all(group.map(allows))).every(Boolean)) {
        satisfied = true;
        break;
      }
    }
    if (!satisfied) return false;
  }
  return true;
}

/**
 * The operation the gateway runs: removed fields left out, key fields added, empty selections kept valid.
 * The client's fields keep their order (consecutive fields under one type condition share an inline
 * fragment), so the gateway's answer has the client's shape apart from what the router adds and removes.
 */
function rebuildDocument(
  operation: OperationDefinitionNode,
  rootType: GraphQLCompositeType,
  root: FieldPlan[],
  internal: InternalNames,
): DocumentNode {
  const selectionSet = (parentType: GraphQLCompositeType, fields: FieldPlan[], keyFields?: Map<string, Set<string>>): SelectionSetNode => {
    const selections: SelectionNode[] = [];
    let fragment: { condition: string; nodes: FieldNode[] } | undefined;
    for (const field of fields) {
      if (field.verdict === 'removed') continue;
      const childType = getNamedType(field.type) as GraphQLCompositeType;
      const node: FieldNode = {
        ...field.node,
        directives: field.node.directives?.filter((directive) => !['skip', 'include'].includes(directive.name.value)),
        selectionSet: field.node.selectionSet ? selectionSet(childType, field.children, field.keyFields) : undefined,
      };
      if (field.typeCondition === undefined) {
        fragment = undefined;
        selections.push(node);
      } else if (fragment?.condition === field.typeCondition) {
        fragment.nodes.push(node);
      } else {
        fragment = { condition: field.typeCondition, nodes: [node] };
        selections.push(inlineFragment(field.typeCondition, fragment.nodes));
      }
    }
    for (const [type, names] of keyFields ?? []) {
      const keys = [...names].map((keyField) => aliasedField(internal.key(keyField), keyField));
      if (type === parentType.name) selections.push(...keys);
      else selections.push(inlineFragment(type, keys));
    }
    if (isAbstractType(parentType) || selections.length === 0) selections.push(aliasedField(internal.typename, '__typename'));
    return { kind: Kind.SELECTION_SET, selections };
  };
  return {
    kind: Kind.DOCUMENT,
    definitions: [{ ...operation, selectionSet: selectionSet(rootType, root) }],
  };
}

function inlineFragment(condition: string, selections: FieldNode[]): InlineFragmentNode {
  return {
    kind: Kind.INLINE_FRAGMENT,
    typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: condition } },
    selectionSet: { kind: Kind.SELECTION_SET, selections },
  };
}

function aliasedField(alias: string, name: string): FieldNode {
  return { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: alias }, name: { kind: Kind.NAME, value: name } };
}
