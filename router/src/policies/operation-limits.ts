import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import type { RequestHandler } from 'express';
import {
  Kind,
  Lexer,
  Source,
  TokenKind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Logger } from '@commerce/kit';
import type { RouterContext } from '../context.js';
import { recordRejection } from '../metrics.js';

/**
 * Operation limits: rejects operations that are too deep, too wide, alias-heavy, have too many root
 * fields or too many lexer tokens, and HTTP batches with too many operations. Everything is checked
 * before the gateway plans or executes, so no subgraph is ever called for a rejected request.
 *
 * Semantics and error codes follow Apollo Router (`limits` in router.yaml):
 * - max_depth / max_height / max_aliases / max_root_fields: HTTP 400, one error per exceeded limit with
 *   `MAX_DEPTH_LIMIT`, `MAX_HEIGHT_LIMIT`, `MAX_ALIASES_LIMIT`, `MAX_ROOT_FIELDS_LIMIT`.
 * - parser_max_tokens: a parse error, HTTP 400 with `PARSING_ERROR` ("token limit reached, aborting lexing").
 *   Tokens include ignored ones (whitespace runs, commas, comments) and the end of input, as apollo-parser counts.
 * - batching.maximum_size: the whole batch fails with HTTP 422 and `BATCH_LIMIT_EXCEEDED`.
 *
 * Depth uses graphql-depth-limit's algorithm but not the package at run time: it re-walks a fragment at
 * every spread (exponential in nested spreads), recurses forever on a fragment cycle when run as a
 * validation rule (rules run before NoFragmentCycles reports), skips `__` fields and counts a root field
 * as depth 0. The tests check that both agree (ours = its depth + 1).
 */
export interface OperationLimits {
  /** Deepest nesting of fields; a root field is depth 1, fragments are transparent. */
  maxDepth: number;
  /** Field selections: each response key counts once per selection set, fields of fragments included. */
  maxHeight: number;
  /** Aliased fields anywhere in the operation, fields of fragments included. */
  maxAliases: number;
  /** Distinct response keys on the root type, fields of root-level fragments included. */
  maxRootFields: number;
  /** Lexer tokens of the query string, ignored tokens and the end of input included. */
  maxTokens: number;
  /** Operations in one HTTP batch (a JSON array body). */
  maxBatch: number;
}

export interface OperationMeasurements {
  depth: number;
  height: number;
  aliases: number;
  rootFields: number;
}

const LIMITS = [
  ['depth', 'maxDepth', 'MAX_DEPTH_LIMIT', 'Maximum depth limit exceeded in this operation'],
  ['height', 'maxHeight', 'MAX_HEIGHT_LIMIT', 'Maximum height (field count) limit exceeded in this operation'],
  ['rootFields', 'maxRootFields', 'MAX_ROOT_FIELDS_LIMIT', 'Maximum root fields limit exceeded in this operation'],
  ['aliases', 'maxAliases', 'MAX_ALIASES_LIMIT', 'Maximum aliases limit exceeded in this operation'],
] as const satisfies readonly (readonly [keyof OperationMeasurements, keyof OperationLimits, string, string])[];

interface Counts {
  depth: number;
  height: number;
  aliases: number;
}

/**
 * Measures one operation the way Apollo Router does (apollo-router/src/spec/operation_limits.rs): a single
 * walk in which every fragment is measured once and cached, so the cost is linear in the document even
 * when fragments spread each other many times. Call it on a validated document (no fragment cycles, no
 * unknown fragments); it still terminates on an invalid one.
 *
 * Depth is graphql-depth-limit's algorithm (fields nest, fragments and inline fragments are transparent)
 * plus one, because Apollo counts a root field as depth 1 where graphql-depth-limit counts it as 0.
 */
export function measureOperation(document: DocumentNode, operation: OperationDefinitionNode): OperationMeasurements {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const cache = new Map<string, Counts | 'in progress'>();

  const count = (selectionSet: SelectionSetNode | undefined): Counts => {
    const counts: Counts = { depth: 0, height: 0, aliases: 0 };
    if (!selectionSet) return counts;
    const seen = new Set<string>();
    for (const selection of selectionSet.selections) {
      let nested: Counts;
      if (selection.kind === Kind.FIELD) {
        nested = count(selection.selectionSet);
        counts.depth = Math.max(counts.depth, 1 + nested.depth);
        if (selection.alias) counts.aliases += 1;
        // Aliases of one field may take different arguments: count each response key (an upper bound).
        const key = selection.alias?.value ?? selection.name.value;
        if (!seen.has(key)) {
          seen.add(key);
          counts.height += 1;
        }
      } else {
        let fragmentCounts: Counts | undefined;
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          fragmentCounts = count(selection.selectionSet);
        } else {
          const name = selection.name.value;
          const cached = cache.get(name);
          if (cached === 'in progress') continue; // a fragment cycle: invalid, validation reports it
          if (cached) {
            fragmentCounts = cached;
          } else {
            const definition = fragments.get(name);
            if (!definition) continue; // unknown fragment: invalid, validation reports it
            cache.set(name, 'in progress');
            fragmentCounts = count(definition.selectionSet);
            cache.set(name, fragmentCounts);
          }
        }
        nested = fragmentCounts;
        counts.depth = Math.max(counts.depth, nested.depth);
      }
      counts.height += nested.height;
      counts.aliases += nested.aliases;
    }
    return counts;
  };

  const { depth, height, aliases } = count(operation.selectionSet);
  return { depth, height, aliases, rootFields: rootResponseKeys(operation.selectionSet, fragments).size };
}

/** Response keys selected on the root type, looking through root-level fragments (each fragment once). */
function rootResponseKeys(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): Set<string> {
  const keys = new Set<string>();
  const visited = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) keys.add(selection.alias?.value ?? selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const definition = fragments.get(selection.name.value);
        if (definition) walk(definition.selectionSet);
      }
    }
  };
  walk(selectionSet);
  return keys;
}

/**
 * Counts the lexer tokens of a query string as apollo-parser does: lexical tokens, each run of whitespace,
 * each comma, each comment, and the end of input. Stops counting once `stopAfter` is exceeded, so the
 * cost is bounded by the limit, not by the size of the string. A syntax error ends the count early; the
 * parser reports it afterwards.
 */
export function countTokens(query: string, stopAfter = Infinity): number {
  const lexer = new Lexer(new Source(query));
  const ignored = /#[^\n\r]*|,|[\t \n\r\ufeff]+/g;
  let count = 0;
  let previousEnd = 0;
  try {
    for (;;) {
      const token = lexer.advance();
      const gap = query.slice(previousEnd, token.start);
      count += (gap.match(ignored)?.length ?? 0) + 1;
      previousEnd = token.end;
      if (token.kind === TokenKind.EOF || count > stopAfter) return count;
    }
  } catch {
    return count;
  }
}

/** One error per limit the operation exceeds (none when it is within every limit). */
export function exceededLimits(measured: OperationMeasurements, limits: OperationLimits): GraphQLFormattedError[] {
  return LIMITS.filter(([measure, limit]) => measured[measure] > limits[limit]).map(([, , code, message]) => ({
    message,
    extensions: { code },
  }));
}

/** The Apollo Server plugin enforcing the operation limits, after validation and before planning or execution. */
export function operationLimits(limits: OperationLimits, logger: Logger): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async responseForOperation({ document, operation, operationName }): Promise<GraphQLResponse | null> {
          if (!operation) {
            // No operation of that name in the document (the gateway would answer 500 INVALID_GRAPHQL): the client's mistake.
            const message = operationName
              ? `Unknown operation named "${operationName}".`
              : 'Must provide operation name if query contains multiple operations.';
            const errors = [{ message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }];
            return { http: { status: 400, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { errors } } };
          }
          const measured = measureOperation(document, operation);
          const errors = exceededLimits(measured, limits);
          if (errors.length === 0) return null;
          logger.info({ operationName, measured, codes: errors.map((error) => error.extensions?.code) }, 'operation refused: limits');
          return { http: { status: 400, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { errors } } };
        },
      };
    },
  };
}

/**
 * The limits checked on the HTTP request before Apollo Server parses anything, so an oversized document
 * costs no more than counting up to the limit: a batch (a JSON array body) of more than `maxBatch`
 * operations gets 422 `BATCH_LIMIT_EXCEEDED`; a query (in the body, in any batch entry, or in a GET's
 * query string) of more than `maxTokens` tokens gets 400 `PARSING_ERROR`. Mount it after the JSON body
 * parser and before Apollo Server. (A hook of Apollo Server's cannot do this: an error thrown from
 * `parsingDidStart` becomes a 500.)
 */
export function requestLimits(limits: Pick<OperationLimits, 'maxBatch' | 'maxTokens'>): RequestHandler {
  return (req, res, next) => {
    const body: unknown = req.body;
    if (Array.isArray(body) && body.length > limits.maxBatch) {
      recordRejection('BATCH_LIMIT_EXCEEDED');
      return void res.status(422).json({
        errors: [
          {
            message: 'Invalid GraphQL request',
            extensions: {
              details: `Batch limits exceeded: you provided a batch with ${body.length} entries, but the configured maximum router batch size is ${limits.maxBatch}`,
              code: 'BATCH_LIMIT_EXCEEDED',
            },
          },
        ],
      });
    }
    const queries = [...(Array.isArray(body) ? body : [body]), req.query]
      .map((entry: unknown) => (entry && typeof entry === 'object' ? (entry as { query?: unknown }).query : undefined))
      .filter((query): query is string => typeof query === 'string');
    if (queries.some((query) => countTokens(query, limits.maxTokens) > limits.maxTokens)) {
      recordRejection('PARSING_ERROR');
      return void res.status(400).json({
        errors: [{ message: 'parsing error: token limit reached, aborting lexing', extensions: { code: 'PARSING_ERROR' } }],
      });
    }
    next();
  };
}

/** Apollo Router's documented example values, with a stricter depth; batching as in Apollo Client's default of 10. */
export const OPERATION_LIMIT_DEFAULTS: OperationLimits = {
  maxDepth: 15,
  maxHeight: 300, // room for the standard introspection query (about 220 fields) of tools such as GraphiQL
  maxAliases: 30,
  maxRootFields: 20,
  maxTokens: 15_000,
  maxBatch: 10,
};
