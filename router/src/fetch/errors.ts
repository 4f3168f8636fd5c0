import { fetchFailureMessage, SUBGRAPH_ERROR_CODES, type FetchFailure } from '../subgraph-errors.js';

/**
 * What the fetch layer throws when a subgraph fetch fails: the failure (code, reason, whether the subgraph may
 * have received the request), with the message and extensions a client gets; the caller adds `retrySafe`
 * (subgraph-errors.ts: subgraphFetchError). No stack is captured: a subgraph that is down fails every request, and
 * the failure says all.
 */
export class SubgraphFetchError extends Error {
  override name = 'SubgraphFetchError';
  /** The failure comes from the client request (its deadline cut the fetch short), not from the subgraph: the circuit breaker ignores it. */
  requestsFault = false;

  readonly subgraph: string;
  readonly failure: FetchFailure;
  /** The HTTP status, for SUBREQUEST_HTTP_ERROR. */
  readonly status?: number;

  constructor(subgraph: string, failure: FetchFailure, status?: number) {
    // Failures are common and expected (a subgraph that is down fails every request): no stack trace to build.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(fetchFailureMessage(subgraph, failure));
    Error.stackTraceLimit = limit;
    this.subgraph = subgraph;
    this.failure = failure;
    this.status = status;
  }

  /**
   * The client-facing code, service and reason, as an executor copies them onto the errors of the fields this fetch
   * would have filled. Whether resending the operation is safe (`retrySafe`) depends on the whole operation: the
   * caller adds it (subgraph-errors.ts, retrySafe).
   */
  get extensions(): Record<string, unknown> {
    return { code: this.failure.code, service: this.subgraph, reason: this.failure.reason };
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
