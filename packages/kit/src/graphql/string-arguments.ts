import {
  defaultFieldResolver,
  getNamedType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import { badUserInput } from '../errors.js';
import { userError } from './common-types.js';

/**
 * Text no argument may carry: NUL (PostgreSQL's text types refuse it: error 22021) and unpaired UTF-16 surrogates
 * (they have no UTF-8 form: the driver would store U+FFFD instead, silently changing the text).
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** The path (argument name, then input fields and list positions) of the first string in `value` that cannot be stored. */
export function unstorableStringPath(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = unstorableStringPath(item, [...path, String(index)]);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = unstorableStringPath(item, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Refuses unstorable text in any argument of any field, once for every subgraph, before a resolver sees it. A field
 * whose payload has `userErrors` (a mutation) answers with the userError INVALID_INPUT on the argument's path; any
 * other field fails with BAD_USER_INPUT and `extensions.field` = that path. Changes `schema` in place.
 */
export function refuseUnstorableStrings(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0) continue;
      const refuse = refusal(field);
      field.resolve = guarded(field.resolve ?? defaultFieldResolver, refuse);
      if (field.subscribe) field.subscribe = guarded(field.subscribe, (path) => refuseWithError(path));
    }
  }
}

type Refusal = (path: string[]) => unknown;

function guarded(resolve: GraphQLFieldResolver<unknown, unknown>, refuse: Refusal): GraphQLFieldResolver<unknown, unknown> {
  return (source, args, context, info) => {
    const path = unstorableStringPath(args);
    return path ? refuse(path) : resolve(source, args, context, info);
  };
}

function refuseWithError(path: string[]): never {
  throw badUserInput(`${path.join('.')} ${UNSTORABLE_TEXT_MESSAGE}`, path);
}

/** A payload that can be answered with its userErrors alone (its other fields may be null) gets a userError. */
function refusal(field: GraphQLField<unknown, unknown>): Refusal {
  const payload = getNamedType(field.type);
  if (!isObjectType(payload)) return refuseWithError;
  const fields = Object.values(payload.getFields());
  const userErrors = fields.find((candidate) => candidate.name === 'userErrors');
  if (!userErrors || fields.some((candidate) => candidate !== userErrors && isNonNullType(candidate.type))) return refuseWithError;
  return (path) => ({ userErrors: [userError('INVALID_INPUT', `${path.join('.')} ${UNSTORABLE_TEXT_MESSAGE}`, path)] });
}
