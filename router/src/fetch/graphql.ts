import { SUBGRAPH_ERROR_CODES, type FetchFailure } from '../subgraph-errors.js';
import { SubgraphFetchError } from './errors.js';
import type { SubgraphResponse, SubgraphTransport } from './layer.js';

/** A GraphQL request to a subgraph, as an executor builds it. */
export interface GraphQLFetchRequest {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  extensions?: Record<string, unknown>;
}

/** A subgraph's GraphQL answer: an object with `data` and/or `errors` (the rest is the executor's to read). */
export interface GraphQLFetchResponse {
  data?: Record<string, unknown> | null;
  errors?: readonly { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/** What one client request adds to each of its fetches. */
export interface RequestScope {
  /** Signed principal, client address, trace context. */
  headers?: Record<string, string>;
  /** The principal's identity: query fetches are shared only between requests with the same key (fetch/layer.ts). */
  shareKey: string;
  /** performance.now() time by which the client request must be answered. */
  deadline?: number;
}

const MALFORMED: FetchFailure = {
  code: SUBGRAPH_ERROR_CODES.malformed,
  reason: 'the answer is not a GraphQL JSON response',
  mayHaveReached: true,
};

const MUTATION = /^\s*mutation\b/;

/** Whether a subgraph operation's text is a mutation (sent exactly once: never retried, never shared). */
export function isMutation(query: string): boolean {
  return MUTATION.test(query);
}

/**
 * The fetch layer as a GraphQL fetcher for one client request: `fetch(subgraph, { query, variables })` answers the
 * subgraph's parsed response, or throws a SubgraphFetchError (code, reason, whether it may have reached the
 * subgraph). This is the shape an executor's transport takes (subgraph name, request) -> response.
 */
export function graphqlFetcher(transport: SubgraphTransport, scope: RequestScope) {
  return {
    async fetch(subgraph: string, request: GraphQLFetchRequest): Promise<GraphQLFetchResponse> {
      const answer = await transport.fetch(subgraph, {
        body: JSON.stringify(request),
        headers: scope.headers,
        operation: isMutation(request.query) ? 'mutation' : 'query',
        shareKey: scope.shareKey,
        deadline: scope.deadline,
      });
      return parseGraphQLResponse(subgraph, answer);
    },
  };
}

/**
 * A 2xx answer as a GraphQL response: JSON (by content type) holding an object with `data` or `errors`, else a
 * SubgraphFetchError with SUBREQUEST_MALFORMED_RESPONSE. Each caller parses its own copy (shared fetches included).
 */
export function parseGraphQLResponse(subgraph: string, answer: SubgraphResponse): GraphQLFetchResponse {
  if (!answer.contentType || !/\bjson\b/i.test(answer.contentType)) throw new SubgraphFetchError(subgraph, MALFORMED);
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    throw new SubgraphFetchError(subgraph, MALFORMED);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('data' in parsed || 'errors' in parsed)) {
    throw new SubgraphFetchError(subgraph, MALFORMED);
  }
  return parsed as GraphQLFetchResponse; // checked above: an object with data or errors; the executor reads the rest
}
