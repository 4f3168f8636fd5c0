/** One request to a subgraph, as the engine sends it. */
export interface SubgraphRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
}

/** A GraphQL error as it comes over the wire (only what the engine reads). */
export interface WireError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
  locations?: readonly { line: number; column: number }[];
}

/** A subgraph's answer: plain JSON, as decoded from its HTTP response. */
export interface SubgraphResponse {
  data?: Record<string, unknown> | null;
  errors?: readonly WireError[];
}

/**
 * The transport the engine calls for every fetch of a plan. Tests plug in in-process fetchers, the router its
 * resilient HTTP layer. A fetcher that fails (unreachable, timeout) throws or answers with `errors`: the engine
 * turns either into errors on the paths the fetch would have filled and keeps what the other fetches returned.
 */
export interface SubgraphFetcher {
  fetch(subgraphName: string, request: SubgraphRequest): Promise<SubgraphResponse>;
}

/** A plain fetcher over Node's fetch: one POST per subgraph request, to the URL given for the subgraph's name. */
export class HttpSubgraphFetcher implements SubgraphFetcher {
  constructor(
    private readonly urls: Readonly<Record<string, string>>,
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  async fetch(subgraphName: string, request: SubgraphRequest): Promise<SubgraphResponse> {
    const url = this.urls[subgraphName];
    if (url === undefined) throw new Error(`No URL for subgraph "${subgraphName}"`);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...this.headers },
      body: JSON.stringify(request),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`Subgraph "${subgraphName}" answered HTTP ${response.status} without a GraphQL body`);
    }
    if (body === null || typeof body !== 'object' || !('data' in body || 'errors' in body)) {
      throw new Error(`Subgraph "${subgraphName}" answered HTTP ${response.status} without a GraphQL body`);
    }
    return body as SubgraphResponse;
  }
}
