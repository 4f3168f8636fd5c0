import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnavailable } from './db/unavailable.js';
import type { Logger } from './log.js';
import type { Principal } from './principal.js';

export const DATABASE_UNAVAILABLE_MESSAGE = 'Service unavailable: its database is not reachable; try again shortly';

/** Errors with Apollo's standard codes; business-rule failures use `userErrors` instead. */
export function unauthenticated(message = 'You must be signed in'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 200 } } });
}

export function forbidden(message = 'You are not allowed to do this'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

export function badUserInput(message: string, field?: string[]): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field } });
}

export function requirePrincipal(principal: Principal | undefined): Principal {
  if (!principal) throw unauthenticated();
  return principal;
}

export function requireRole(principal: Principal | undefined, ...roles: Principal['role'][]): Principal {
  const signedIn = requirePrincipal(principal);
  if (!roles.includes(signedIn.role)) throw forbidden(`This needs one of the roles: ${roles.join(', ')}`);
  return signedIn;
}

/**
 * Errors a client caused keep their message; a database that is not reachable is SERVICE_UNAVAILABLE (try again);
 * anything else unexpected is logged and reported without details. Apollo Server refuses some malformed requests
 * with an HTTP 4xx status but no code (an unsupported persisted query version, a hash that does not match): those
 * are the client's too, reported as BAD_REQUEST.
 */
export function hideInternalErrors(
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
  /** false where there is no database (the router): a refused connection there is not the database's. */
  options: { hasDatabase: boolean } = { hasDatabase: true },
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (code && code !== 'INTERNAL_SERVER_ERROR') return formatted;
  if (isClientRefusal(error)) return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
  if (options.hasDatabase && isDatabaseUnavailable(error)) {
    logger.warn({ err: error }, 'database not reachable');
    return { message: DATABASE_UNAVAILABLE_MESSAGE, path: formatted.path, extensions: { code: 'SERVICE_UNAVAILABLE' } };
  }
  logger.error({ err: error }, 'unexpected error in resolver');
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** A GraphQLError without a code of its own that Apollo Server answers with a 4xx status. */
function isClientRefusal(error: unknown): boolean {
  // By shape: Apollo Server may load another copy of graphql-js than this package.
  const extensions = (error as { extensions?: { code?: unknown; http?: { status?: unknown } } } | null)?.extensions;
  if (!extensions || extensions.code !== undefined) return false;
  const status = extensions.http?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
