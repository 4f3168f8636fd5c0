import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { BREAK, GraphQLError, visit, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { Logger, Principal } from '@commerce/kit';
import type { RouterContext } from '../context.js';

/**
 * Introspection: `__schema` and `__type` are answered only when introspection is `on`, or, in `scope`
 * mode (the production default), for a principal holding the `schema:read` scope. `__typename` is always
 * allowed. A refused request gets HTTP 400 with `INTROSPECTION_DISABLED` before any subgraph is called,
 * as Apollo Router answers when introspection is disabled.
 *
 * When introspection is not allowed for a request, "Did you mean ...?" suggestions are also stripped from
 * its error messages: they would otherwise let a client rebuild the schema by guessing field names. The same
 * rule (suggestionsMasker) serves HTTP here and the subscription transports (subscriptions/sessions.ts).
 */
export const INTROSPECTION_MODES = ['on', 'scope', 'off'] as const;
export type IntrospectionMode = (typeof INTROSPECTION_MODES)[number];
export const SCHEMA_READ_SCOPE = 'schema:read';

export function introspectionAllowed(mode: IntrospectionMode, principal: Principal | undefined): boolean {
  if (mode === 'on') return true;
  if (mode === 'off') return false;
  return principal?.scopes.includes(SCHEMA_READ_SCOPE) ?? false;
}

/** Whether the document selects `__schema` or `__type` anywhere (validation keeps them on the root type). */
export function selectsIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

const MENTIONS_INTROSPECTION = /__schema|__type\b/;
const SUGGESTION = / ?Did you mean .*\?$/s;

export function withoutSuggestions<T extends GraphQLFormattedError>(error: T): T {
  return SUGGESTION.test(error.message) ? { ...error, message: error.message.replace(SUGGESTION, '') } : error;
}

/**
 * What a caller's errors go through on any transport: the identity for those who may introspect, else the
 * suggestions stripped.
 */
export function suggestionsMasker(
  mode: IntrospectionMode,
  principal: Principal | undefined,
): (<T extends GraphQLFormattedError>(errors: readonly T[]) => readonly T[]) | undefined {
  if (introspectionAllowed(mode, principal)) return undefined;
  return (errors) => errors.map((error) => withoutSuggestions(error) as typeof error);
}

export function introspection(mode: IntrospectionMode, logger: Logger): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart({ contextValue }) {
      const mask = suggestionsMasker(mode, contextValue.principal);
      if (!mask) return;
      return {
        async didResolveOperation({ document, source }) {
          if (!MENTIONS_INTROSPECTION.test(source)) return; // cheap: most operations never mention them
          if (!selectsIntrospection(document)) return;
          logger.info({ userId: contextValue.principal?.userId }, 'introspection refused');
          throw new GraphQLError('introspection has been disabled', {
            extensions: { code: 'INTROSPECTION_DISABLED', http: { status: 400, headers: new HeaderMap() } },
          });
        },
        // Every error on the way out (validation, variables, execution) loses its suggestions.
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { singleResult } = response.body;
          if (singleResult.errors) singleResult.errors = mask(singleResult.errors);
        },
      };
    },
  };
}
