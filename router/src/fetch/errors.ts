import { SUBGRAPH_ERROR_CODES, type FetchFailure } from '../subgraph-errors.js';

/**
 * What the fetch layer throws when a subgraph fetch fails: the failure (code, reason, whether the subgraph may
 * have received the request) for the caller to turn into a GraphQL error (subgraph-errors.ts: subgraphFetchError
 * with `retrySafe`). No stack is captured: a subgraph that is down fails every request, and the failure says all.
 */
export class SubgraphFetchError extends Error {
  override name = 'SubgraphFetchError';
  /** The failure comes from the client request (its deadline cut the fetch short), not from the subgraph: the circuit breaker ignores it. */
  requestsFault = false;

  constructor(
    readonly subgraph: string,
    readonly failure: FetchFailure,
    /** The HTTP status, for SUBREQUEST_HTTP_ERROR. */
    readonly status?: number,
  ) {
    super(`${subgraph}: ${failure.reason}`);
  }

  static {
    // Failures are common and expected: skip building a stack trace for each (see the class comment).
    Object.defineProperty(SubgraphFetchError.prototype, 'stack', { value: undefined, writable: true });
  }
}

export function timeoutFailure(ms: number, mayHaveReached: boolean): FetchFailure {
  return { code: SUBGRAPH_ERROR_CODES.timeout, reason: `no answer within ${ms} ms`, mayHaveReached };
}

export const DEADLINE_PASSED: FetchFailure = {
  code: SUBGRAPH_ERROR_CODES.timeout,
  reason: "the request's deadline passed before the fetch started",
  mayHaveReached: false,
};
export const CIRCUIT_OPEN: FetchFailure = {
  code: SUBGRAPH_ERROR_CODES.unavailable,
  reason: 'circuit open after repeated failures',
  mayHaveReached: false,
};
export const BULKHEAD_FULL: FetchFailure = {
  code: SUBGRAPH_ERROR_CODES.unavailable,
  reason: 'too many fetches in flight',
  mayHaveReached: false,
};
