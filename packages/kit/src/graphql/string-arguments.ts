import {
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { badUserInput } from '../errors.js';
import { userError } from './common-types.js';

/**
 * Text no argument may carry: NUL (PostgreSQL's text types refuse it: error 22021) and unpaired UTF-16 surrogates
 * (they have no UTF-8 form: the driver would store U+FFFD instead, silently changing the text).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this refuses
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/**
 * The path (argument name, then input fields and list positions) of the first String or ID value in `value` (of
 * GraphQL type `type`) that cannot be stored. Other scalars (such as `_Any`, the router's entity keys) are not text
 * a client typed, and are left to their resolvers.
 */
export function unstorableStringPath(type: GraphQLInputType, value: unknown, path: string[]): string[] | undefined {
  if (value === null || value === undefined) return undefined;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (!Array.isArray(value)) return unstorableStringPath(nullable.ofType, value, path);
    for (const [index, item] of value.entries()) {
      const found = unstorableStringPath(nullable.ofType, item, [...path, String(index)]);
      if (found) return found;
    }
    return undefined;
  }
  if (isInputObjectType(nullable)) {
    for (const field of Object.values(nullable.getFields())) {
      const found = unstorableStringPath(field.type, (value as Record<string, unknown>)[field.name], [...path, field.name]);
      if (found) return found;
    }
    return undefined;
  }
  const text = nullable.name === 'String' || nullable.name === 'ID';
  return text && typeof value === 'string' && UNSTORABLE.test(value) ? path : undefined;
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
      if (!field.args.some((arg) => holdsText(arg.type, new Set()))) continue;
      const check = (args: Record<string, unknown>) => {
        for (const arg of field.args) {
          const path = unstorableStringPath(arg.type, args[arg.name], [arg.name]);
          if (path) return path;
        }
        return undefined;
      };
      field.resolve = guarded(field.resolve ?? defaultFieldResolver, check, refusal(field));
      if (field.subscribe) field.subscribe = guarded(field.subscribe, check, refuseWithError);
    }
  }
}

type Refusal = (path: string[]) => unknown;

function guarded(
  resolve: GraphQLFieldResolver<unknown, unknown>,
  check: (args: Record<string, unknown>) => string[] | undefined,
  refuse: Refusal,
): GraphQLFieldResolver<unknown, unknown> {
  return (source, args: Record<string, unknown>, context, info) => {
    const path = check(args);
    return path ? refuse(path) : resolve(source, args, context, info);
  };
}

/** Whether a value of `type` can hold a String or ID anywhere. */
function holdsText(type: GraphQLInputType, seen: Set<string>): boolean {
  const named = getNamedType(type);
  if (isInputObjectType(named)) {
    if (seen.has(named.name)) return false;
    seen.add(named.name);
    return Object.values(named.getFields()).some((field) => holdsText(field.type, seen));
  }
  return named.name === 'String' || named.name === 'ID';
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
