import { GraphQLError, getNullableType, isListType, isNonNullType, type GraphQLOutputType } from 'graphql';
import type { AuthorizationPlan, FieldPlan } from './plan.js';
import { KEY_ALIAS_PREFIX, TYPENAME_ALIAS } from './plan.js';
import type { EntityLookups, PolicyRegistry } from './policies.js';

export const UNAUTHORIZED_CODE = 'UNAUTHORIZED_FIELD_OR_TYPE';

type Path = (string | number)[];
type JsonObject = Record<string, unknown>;

export function unauthorizedError(path: Path): GraphQLError {
  return new GraphQLError('Unauthorized field or type', { path, extensions: { code: UNAUTHORIZED_CODE } });
}

export interface AppliedPlan {
  data: JsonObject | null | undefined;
  errors: GraphQLError[];
}

/**
 * Puts the plan's decisions into the gateway's result: removed fields come back null, per-entity policies
 * are decided now (keys batched, one lookup per policy), a null in a non-null position propagates to the
 * nearest nullable parent as GraphQL execution would, and the router's added fields are taken out again.
 * `data` is changed in place.
 */
export async function applyPlan(
  plan: AuthorizationPlan,
  data: JsonObject | null | undefined,
  policies: PolicyRegistry,
  lookups: EntityLookups,
): Promise<AppliedPlan> {
  const errors = plan.removedPaths.map(unauthorizedError);
  if (!data) return { data, errors };

  const keysByPolicy = new Map<string, Set<string>>();
  walkObject(plan.root, data, [], new Map(), (field, _object, entityKeys) => {
    for (const name of new Set(field.pending!.flat(2))) {
      const key = entityKeys.get(policies[name]?.entity?.type ?? '');
      if (key === undefined) continue;
      const keys = keysByPolicy.get(name) ?? new Set();
      keys.add(key);
      keysByPolicy.set(name, keys);
    }
    return true;
  });

  const allowed = new Map<string, Set<string>>();
  const principal = plan.principal;
  await Promise.all(
    [...keysByPolicy].map(async ([name, keys]) => {
      const policy = policies[name];
      allowed.set(name, principal && policy?.allowedKeys ? await policy.allowedKeys(principal, [...keys], lookups) : new Set());
    }),
  );

  const keep = walkObject(plan.root, data, [], new Map(), (field, _object, entityKeys, path) => {
    const allows = (name: string) => {
      const key = entityKeys.get(policies[name]?.entity?.type ?? '');
      return key !== undefined && (allowed.get(name)?.has(key) ?? false);
    };
    const ok = field.pending!.every((dnf) => dnf.some((group) => group.every(allows)));
    if (!ok) errors.push(unauthorizedError(path));
    return ok;
  });
  return { data: keep ? data : null, errors };
}

type PendingVisitor = (field: FieldPlan, object: JsonObject, entityKeys: Map<string, string>, path: Path) => boolean;

/**
 * Walks the active parts of the plan over one response object. Returns false when the object must become
 * null (a non-null field of it was nulled). The visitor decides pending fields: false nulls the field.
 */
function walkObject(fields: FieldPlan[], object: JsonObject, path: Path, entityKeys: Map<string, string>, visit: PendingVisitor): boolean {
  const typename = typeof object[TYPENAME_ALIAS] === 'string' ? (object[TYPENAME_ALIAS] as string) : undefined;
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
      nulled = !walkValue(field, field.type, object[key], fieldPath, entityKeys, visit);
    }
    if (nulled) {
      object[key] = null;
      if (isNonNullType(field.type)) keep = false;
    }
  }
  return keep;
}

function walkValue(
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
      if (!walkValue(field, itemType, item, [...path, index], entityKeys, visit)) {
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
    const entityType = namedTypeName(field.type);
    for (const keyField of field.keyFields) {
      const key = object[`${KEY_ALIAS_PREFIX}${keyField}`];
      if (typeof key === 'string') keys.set(entityType, key);
    }
  }
  return walkObject(field.children, object, path, keys, visit);
}

function namedTypeName(type: GraphQLOutputType): string {
  let current: GraphQLOutputType = type;
  while ('ofType' in current) current = current.ofType as GraphQLOutputType;
  return current.name;
}

/** Takes the router's own aliases (`authz__*`) out of the response, wherever the plan added them. */
export function stripAddedFields(fields: FieldPlan[], value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) stripAddedFields(fields, item);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const object = value as JsonObject;
  for (const name of Object.keys(object)) if (name.startsWith(KEY_ALIAS_PREFIX)) delete object[name];
  for (const field of fields) {
    if (field.children.length) stripAddedFields(field.children, object[field.responseKey]);
  }
}
