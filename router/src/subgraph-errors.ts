import { GraphQLError } from 'graphql';
import { defined } from '@commerce/kit';

/**
 * What a client gets when a subgraph fetch fails, instead of a masked INTERNAL_SERVER_ERROR: a code saying what
 * happened (Apollo Router's where it has one), the subgraph (`extensions.service`), and whether sending the
 * whole operation again is safe (`extensions.retrySafe`).
 */
export const SUBGRAPH_ERROR_CODES = {
  /** The subgraph could not be reached: connection refused, reset, or its name does not resolve. */
  unavailable: 'SUBGRAPH_UNAVAILABLE',
  /** The subgraph answered with a non-2xx HTTP status. */
  http: 'SUBREQUEST_HTTP_ERROR',
  /** No complete answer within the subgraph's timeout. */
  timeout: 'SUBREQUEST_TIMEOUT',
  /** A 2xx answer that is not a GraphQL JSON response. */
  malformed: 'SUBREQUEST_MALFORMED_RESPONSE',
} as const;

export interface FetchFailure {
  code: (typeof SUBGRAPH_ERROR_CODES)[keyof typeof SUBGRAPH_ERROR_CODES];
  /** For the message and the log: never the subgraph's body. */
  reason: string;
  /** Whether the subgraph may have received the request (and, for a mutation, acted on it). */
  mayHaveReached: boolean;
}

/** A non-2xx answer (see SubgraphSource.errorFromResponse). */
export class SubgraphHttpError extends GraphQLError {
  constructor(
    readonly status: number,
    readonly statusText: string,
  ) {
    super(`${status}: ${statusText}`);
  }
}

// Failures before any byte of the request left: the subgraph cannot have seen it.
const NEVER_SENT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};
// The connection went away with the request possibly sent.
const CONNECTION_LOST: Record<string, string> = {
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connection timed out',
};

/**
 * How a fetch failed, from what the fetch layer threw (make-fetch-happen's FetchError, an AbortError when the
 * timeout's signal fired); undefined for anything else, which stays an internal error.
 */
export function classifyFetchFailure(error: unknown, timeoutMs: number): FetchFailure | undefined {
  if (error instanceof SubgraphHttpError) {
    return { code: SUBGRAPH_ERROR_CODES.http, reason: `${error.status}: ${error.statusText}`, mayHaveReached: true };
  }
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, code, type, message } = error as { name?: unknown; code?: unknown; type?: unknown; message?: unknown };
  // Only the timeout's signal aborts a subgraph fetch.
  if (name === 'AbortError' || type === 'aborted') {
    return { code: SUBGRAPH_ERROR_CODES.timeout, reason: `no answer within ${timeoutMs} ms`, mayHaveReached: true };
  }
  if (typeof code === 'string' && Object.hasOwn(NEVER_SENT, code))
    return { code: SUBGRAPH_ERROR_CODES.unavailable, reason: defined(NEVER_SENT[code], 'the reason'), mayHaveReached: false };
  if (typeof code === 'string' && Object.hasOwn(CONNECTION_LOST, code)) {
    return { code: SUBGRAPH_ERROR_CODES.unavailable, reason: defined(CONNECTION_LOST[code], 'the reason'), mayHaveReached: true };
  }
  if (type === 'invalid-json' || (typeof message === 'string' && message.startsWith('Expected JSON response body'))) {
    return { code: SUBGRAPH_ERROR_CODES.malformed, reason: 'the answer is not a GraphQL JSON response', mayHaveReached: true };
  }
  if (name === 'FetchError') return { code: SUBGRAPH_ERROR_CODES.http, reason: 'the request failed', mayHaveReached: true };
  return undefined;
}

/**
 * Whether the client may send the whole operation again: always for a query or subscription (they change
 * nothing); for a mutation only when no mutation fetch of it can have reached a subgraph.
 */
export function retrySafe(
  operation: 'query' | 'mutation' | 'subscription' | undefined,
  failure: FetchFailure,
  mutationMayHaveRun: boolean,
): boolean {
  if (operation !== 'mutation') return true;
  return !failure.mayHaveReached && !mutationMayHaveRun;
}

export function subgraphFetchError(service: string, failure: FetchFailure, safe: boolean): GraphQLError {
  const message =
    failure.code === SUBGRAPH_ERROR_CODES.timeout
      ? `Subgraph '${service}' did not answer in time (${failure.reason})`
      : failure.code === SUBGRAPH_ERROR_CODES.unavailable
        ? `Subgraph '${service}' is unavailable (${failure.reason})`
        : `HTTP fetch failed from '${service}': ${failure.reason}`;
  return new GraphQLError(message, { extensions: { code: failure.code, service, reason: failure.reason, retrySafe: safe } });
}
