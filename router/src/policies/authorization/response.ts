import { GraphQLError, getNullableType, isListType, isNonNullType, type GraphQLOutputType } from 'graphql';
import type { Principal } from '@commerce/kit';
import type { AuthorizationPlan, FieldPlan, InternalNames } from './plan.js';
import type { EntityLookups, PolicyRegistry } from './policies.js';
import { defined } from '@commerce/kit';

export const UNAUTHORIZED_CODE = 'UNAUTHORIZED_FIELD_OR_TYPE';
export const UNAUTHORIZED_MESSAGE = 'Unauthorized field or type';
/** For an anonymous caller, to whom signing in may give access. */
export const SIGN_IN_MESSAGE = `${UNAUTHORIZED_MESSAGE}: sign in to see this field`;

type Path = (string | number)[];
type JsonObject = Record<string, unknown>;

/**
 * The refusal of one field. It tells an anonymous caller to sign in, and anyone else only that it is refused:
 * never which scope, policy or vendor it would take.
 */
export function unauthorizedError(path: Path, principal: Principal | undefined): GraphQLError {
  return new GraphQLError(principal ? UNAUTHORIZED_MESSAGE : SIGN_IN_MESSAGE, { path, extensions: { code: UNAUTHORIZED_CODE } });
}

export interface AppliedPlan {
  data: JsonObject | null | undefined;
  errors: GraphQLError[];
}

/**
 * Puts the plan's decisions into the gateway's result: removed fields come back null, per-entity policies
 * are decided now (keys batched, one lookup per policy), a null in a non-null position propagates to the
 * nearest nullable parent as GraphQL execution would, and the router's added fields are taken out again,
 * so that the answer has the client's shape and field order. An object whose key cannot be read is denied.
 * `data` is changed in place, and the answer is a reshaped copy.
 */
export async function applyPlan(
  plan: AuthorizationPlan,
  data: JsonObject | null | undefined,
  policies: PolicyRegistry,
  lookups: EntityLookups,
): Promise<AppliedPlan> {
  const principal = plan.principal;
  const errors = plan.removedPaths.map((path) => unauthorizedError(path, principal));
  if (!data) return { data, errors };
  const { internal } = plan;

  const keysByPolicy = new Map<string, Set<string>>();
  walkObject(internal, plan.root, data, [], new Map(), (field, _object, entityKeys) => {
    for (const name of new Set(defined(field.pending, 'the policies of a pending field').flat(2))) {
      const key = entityKeys.get(policies[name]?.entity?.type ?? '');
      if (key === undefined) continue;
      const keys = keysByPolicy.get(name) ?? new Set();
      keys.add(key);
      keysByPolicy.set(name, keys);
    }
    return true;
  });

  const allowed = new Map<string, Set<string>>();
  await Promise.all(
    [...keysByPolicy].map(async ([name, keys]) => {
      const policy = policies[name];
      allowed.set(name, principal && policy?.allowedKeys ? await policy.allowedKeys(principal, [...keys], lookups) : new Set());
    }),
  );

  const keep = walkObject(internal, plan.root, data, [], new Map(), (field, _object, entityKeys, path) => {
    const allows = (name: string) => {
      const key = entityKeys.get(policies[name]?.entity?.type ?? '');
      return key !== undefined && (allowed.get(name)?.has(key) ?? false);
    };
    const ok = defined(field.pending, 'the policies of a pending field').every((dnf) => dnf.some((group) => group.every(allows)));
    if (!ok) errors.push(unauthorizedError(path, principal));
    return ok;
  });
  return { data: keep ? shapeObject(internal, plan.root, data) : null, errors };
}

type PendingVisitor = (field: FieldPlan, object: JsonObject, entityKeys: Map<string, string>, path: Path) => boolean;

/**
 * Walks the active parts of the plan over one response object. Returns false when the object must become
 * null (a non-null field of it was nulled). The visitor decides pending fields: false nulls the field.
 */
function walkObject(
  internal: InternalNames,
  fields: FieldPlan[],
  object: JsonObject,
  path: Path,
  entityKeys: Map<string, string>,
  visit: PendingVisitor,
): boolean {
  const typename = typeof object[internal.typename] === 'string' ? (object[internal.typename] as string) : undefined;
  let keep = true;
  for (const field of fields) {
    if (!field.active) continue;
    if (field.typeCondition && typename && field.typeCondition !== typename) continue;
    const key = field.responseKey;
    const fieldPath = [...path, key];
    let nulled = false;
    if (field.verdict === 'removed') {
      nulled = true;
    } else if (field.verdict === 'pending' && !visit(field, object, entityKeys, fieldPath)) {
      nulled = true;
    } else if (field.children.length && object[key] !== null && object[key] !== undefined) {
      nulled = !walkValue(internal, field, field.type, object[key], fieldPath, entityKeys, visit);
    }
    if (nulled) {
      object[key] = null;
      if (isNonNullType(field.type)) keep = false;
    }
  }
  return keep;
}

function walkValue(
  internal: InternalNames,
  field: FieldPlan,
  type: GraphQLOutputType,
  value: unknown,
  path: Path,
  entityKeys: Map<string, string>,
  visit: PendingVisitor,
): boolean {
  const nullable = getNullableType(type) as GraphQLOutputType;
  if (isListType(nullable)) {
    if (!Array.isArray(value)) return true;
    const itemType = nullable.ofType as GraphQLOutputType;
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      if (item === null || item === undefined) continue;
      if (!walkValue(internal, field, itemType, item, [...path, index], entityKeys, visit)) {
        value[index] = null;
        if (isNonNullType(itemType)) return false;
      }
    }
    return true;
  }
  if (typeof value !== 'object' || value === null) return true;
  const object = value as JsonObject;
  let keys = entityKeys;
  if (field.keyFields) {
    keys = new Map(entityKeys);
    // The router's own __typename is there when the field's type is abstract; else the object is of that type.
    const concrete = typeof object[internal.typename] === 'string' ? (object[internal.typename] as string) : namedTypeName(field.type);
    for (const [entityType, keyFields] of field.keyFields) {
      if (entityType !== concrete) continue;
      for (const keyField of keyFields) {
        const key = object[internal.key(keyField)];
        // Unreadable: this object's policies must not be decided with an outer object's key (they deny).
        if (typeof key === 'string') keys.set(entityType, key);
        else keys.delete(entityType);
      }
    }
  }
  return walkObject(internal, field.children, object, path, keys, visit);
}

function namedTypeName(type: GraphQLOutputType): string {
  let current: GraphQLOutputType = type;
  while ('ofType' in current) current = current.ofType as GraphQLOutputType;
  return current.name;
}

/**
 * A copy of `object` with the fields the client selected, in its order: the router's own fields left out,
 * removed fields (null) in their place. Fields under a type condition appear when the object is of that type.
 */
function shapeObject(internal: InternalNames, fields: FieldPlan[], object: JsonObject): JsonObject {
  const typename = object[internal.typename];
  // One response key may be selected under several type conditions: their sub-selections add up.
  const byKey = new Map<string, FieldPlan[]>();
  for (const field of fields) {
    if (field.typeCondition && typeof typename === 'string' && field.typeCondition !== typename) continue;
    const same = byKey.get(field.responseKey);
    if (same) same.push(field);
    else byKey.set(field.responseKey, [field]);
  }
  const shaped: JsonObject = {};
  for (const [key, plans] of byKey) {
    if (plans.some((field) => field.verdict === 'removed')) shaped[key] = null;
    else if (key in object) {
      const children = plans.flatMap((field) => field.children);
      shaped[key] = children.length ? shapeValue(internal, children, object[key]) : object[key];
    }
  }
  return shaped;
}

function shapeValue(internal: InternalNames, fields: FieldPlan[], value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => shapeValue(internal, fields, item));
  if (typeof value !== 'object' || value === null) return value;
  return shapeObject(internal, fields, value as JsonObject);
}
