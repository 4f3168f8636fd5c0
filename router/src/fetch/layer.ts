import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import {
  BrokenCircuitError,
  type BulkheadPolicy,
  BulkheadRejectedError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  TaskCancelledError,
  bulkhead,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { Pool } from 'undici';
import { classifyFetchFailure, SUBGRAPH_ERROR_CODES, type FetchFailure } from '../subgraph-errors.js';
import { FETCH_DEFAULTS, type FetchLayerConfig } from './config.js';
import { BULKHEAD_FULL, CIRCUIT_OPEN, DEADLINE_PASSED, SubgraphFetchError, timeoutFailure } from './errors.js';
import { RetryBudget } from './retry-budget.js';

/** One fetch from a subgraph, as the caller (a data source, an executor) built it. */
export interface SubgraphRequest {
  /** The JSON body: `{"query": ..., "variables": ..., "operationName": ...}`. */
  body: string;
  /** Extra headers (signed principal, trace context); content-type, accept and accept-encoding are set here. */
  headers?: Record<string, string>;
  /** A mutation is sent exactly once: never retried, never shared. */
  operation: 'query' | 'mutation';
  /**
   * Who is asking, for de-duplication: concurrent query fetches with the same body share one request only when
   * their keys are equal (the principal's identity, not its per-request signature). Undefined: never shared.
   */
  shareKey?: string;
  /** performance.now() time by which the whole client request must be answered: no fetch starts or runs past it. */
  deadline?: number;
}

/** A 2xx answer (any other status is a SubgraphFetchError); the body decompressed, unparsed. */
export interface SubgraphResponse {
  status: number;
  contentType: string | undefined;
  /** Shared by de-duplicated fetches: each caller parses its own copy. */
  body: string;
}

/** The transport-level seam: a subgraph name and a request in, an answer or a SubgraphFetchError out. */
export interface SubgraphTransport {
  fetch(subgraph: string, request: SubgraphRequest): Promise<SubgraphResponse>;
}

export type AttemptOutcome = 'success' | 'http_error' | 'timeout' | 'unavailable' | 'circuit_open' | 'bulkhead_rejected';
export type CircuitStateName = 'closed' | 'open' | 'half_open';

/** Where the layer reports what it does (router/src/fetch/metrics.ts turns it into Prometheus series). */
export interface FetchObserver {
  attempt(subgraph: string, outcome: AttemptOutcome): void;
  /** A failed query fetch that could be retried: `granted` false when the retry budget said no. */
  retry(subgraph: string, granted: boolean): void;
  /** A fetch answered by an identical one already in flight. */
  shared(subgraph: string): void;
}

export interface SubgraphEndpoint {
  url: string;
  /** Longest wait for one attempt's complete answer (headers and body). */
  timeoutMs: number;
}

const decompress: Record<string, (buffer: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  br: promisify(brotliDecompress),
  deflate: promisify(inflate),
};

/** HTTP statuses after which a query is worth sending again (the subgraph or a proxy in front of it is restarting). */
const RETRY_STATUSES = new Set([502, 503, 504]);

class SubgraphClient {
  readonly pool: Pool;
  readonly path: string;
  readonly breaker: CircuitBreakerPolicy | undefined;
  readonly bulkhead: BulkheadPolicy;
  readonly budget: RetryBudget;
  readonly inflight = new Map<string, Promise<SubgraphResponse>>();

  constructor(
    readonly name: string,
    readonly endpoint: SubgraphEndpoint,
    config: FetchLayerConfig,
  ) {
    const url = new URL(endpoint.url);
    this.path = `${url.pathname}${url.search}`;
    this.pool = new Pool(url.origin, {
      connections: config.connections,
      keepAliveTimeout: config.keepAliveMs,
      keepAliveMaxTimeout: config.keepAliveMs,
      // The attempt's own timer bounds headers and body; these only stop undici's 300 s defaults from firing first.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    // Failures that say the subgraph is unwell; a 4xx (our request's fault), a bulkhead rejection (our load)
    // or a fetch cut short by the client request's own deadline do not count.
    this.breaker =
      config.breakerFailures > 0
        ? circuitBreaker(
            handleWhen((error) => error instanceof SubgraphFetchError && countsAgainstSubgraph(error)),
            { halfOpenAfter: config.breakerHalfOpenAfterMs, breaker: new ConsecutiveBreaker(config.breakerFailures) },
          )
        : undefined;
    this.bulkhead = bulkhead(config.maxConcurrent, config.maxQueued);
    this.budget = new RetryBudget(config.retryBudgetPercent, config.retryMinPerSecond);
  }

  circuitState(): CircuitStateName {
    switch (this.breaker?.state) {
      case CircuitState.Open:
      case CircuitState.Isolated:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half_open';
      default:
        return 'closed';
    }
  }
}

function countsAgainstSubgraph(error: SubgraphFetchError): boolean {
  if (error.requestsFault || error.failure === DEADLINE_PASSED || error.failure === BULKHEAD_FULL) return false;
  if (error.failure.code === SUBGRAPH_ERROR_CODES.http) return error.status === undefined || error.status >= 500;
  return true;
}

/**
 * The router's HTTP client for subgraphs, one per router. Per subgraph: a keep-alive connection pool (undici),
 * a circuit breaker with half-open probes and a bulkhead (cockatiel), a retry budget, and the query fetches in
 * flight for de-duplication. Each fetch runs: share an identical one in flight (queries) -> circuit breaker
 * (fails fast while open) -> bulkhead (bounded in flight and queued) -> HTTP with a timeout (the subgraph's, or
 * what is left of the client request's deadline if less) -> retried with jittered backoff if it is a query,
 * the failure is transient and the budget allows.
 */
export class SubgraphFetchLayer implements SubgraphTransport {
  private readonly config: FetchLayerConfig;
  private readonly clients = new Map<string, SubgraphClient>();
  private readonly retired = new Set<Pool>();

  constructor(
    config: Partial<FetchLayerConfig> = {},
    private readonly observer?: FetchObserver,
  ) {
    this.config = { ...FETCH_DEFAULTS, ...config };
  }

  /**
   * Declares (or updates, on a supergraph reload) where a subgraph is. A new URL gets a new pool and breaker; the
   * old pool closes once its fetches are done.
   */
  register(name: string, endpoint: SubgraphEndpoint): void {
    const current = this.clients.get(name);
    if (current && current.endpoint.url === endpoint.url && current.endpoint.timeoutMs === endpoint.timeoutMs) return;
    if (current && current.endpoint.url === endpoint.url) {
      current.endpoint.timeoutMs = endpoint.timeoutMs;
      return;
    }
    if (current) this.retire(current.pool);
    this.clients.set(name, new SubgraphClient(name, { ...endpoint }, this.config));
  }

  /** Each registered subgraph's circuit: closed, open (failing fast) or half_open (a probe is in flight). */
  circuits(): [subgraph: string, state: CircuitStateName][] {
    return [...this.clients.values()].map((client) => [client.name, client.circuitState()]);
  }

  async fetch(subgraph: string, request: SubgraphRequest): Promise<SubgraphResponse> {
    const client = this.clients.get(subgraph);
    if (!client) throw new Error(`no subgraph named ${subgraph} is registered with the fetch layer`);
    if (!this.config.dedup || request.operation !== 'query' || request.shareKey === undefined) return this.withRetries(client, request);
    const key = `${request.shareKey}\n${request.body}`;
    const inflight = client.inflight.get(key);
    if (inflight) {
      this.observer?.shared(subgraph);
      return inflight;
    }
    const fetched = this.withRetries(client, request).finally(() => client.inflight.delete(key));
    client.inflight.set(key, fetched);
    return fetched;
  }

  /** Closes every pool at once (the router calls it after draining its requests: what is left is abandoned). */
  async close(): Promise<void> {
    const pools = [...[...this.clients.values()].map((client) => client.pool), ...this.retired];
    this.clients.clear();
    this.retired.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  }

  private retire(pool: Pool): void {
    this.retired.add(pool);
    void pool
      .close()
      .catch(() => undefined)
      .finally(() => this.retired.delete(pool));
  }

  private async withRetries(client: SubgraphClient, request: SubgraphRequest): Promise<SubgraphResponse> {
    client.budget.fetched();
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.attempt(client, request);
      } catch (error) {
        if (request.operation !== 'query' || attempt >= this.config.retries || !retryable(error)) throw error;
        const cap = Math.min(this.config.retryMaxDelayMs, this.config.retryBaseDelayMs * 2 ** attempt);
        const delay = Math.random() * cap;
        // No retry that could not finish before the deadline (the timeout's share of it is unknown: at least the delay).
        if (request.deadline !== undefined && performance.now() + delay >= request.deadline) throw error;
        const granted = client.budget.withdraw();
        this.observer?.retry(client.name, granted);
        if (!granted) throw error;
        await sleep(delay);
      }
    }
  }

  private async attempt(client: SubgraphClient, request: SubgraphRequest): Promise<SubgraphResponse> {
    let timeoutMs = client.endpoint.timeoutMs;
    if (request.deadline !== undefined) {
      const left = Math.floor(request.deadline - performance.now());
      if (left <= 0) {
        this.observer?.attempt(client.name, 'timeout');
        throw new SubgraphFetchError(client.name, DEADLINE_PASSED);
      }
      timeoutMs = Math.min(timeoutMs, left);
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      // Half-open: one probe is in flight; the others fail fast rather than wait for it (cockatiel would hold them).
      if (client.breaker?.state === CircuitState.HalfOpen) throw new SubgraphFetchError(client.name, CIRCUIT_OPEN);
      const cutShort = timeoutMs < client.endpoint.timeoutMs;
      const send = () =>
        client.bulkhead.execute(() => this.send(client, request, controller.signal, timeoutMs, cutShort), controller.signal);
      const response = await (client.breaker ? client.breaker.execute(send) : send());
      this.observer?.attempt(client.name, 'success');
      return response;
    } catch (error) {
      const failure = this.failureOf(client, error, controller.signal.aborted, timeoutMs);
      this.observer?.attempt(client.name, outcomeOf(failure));
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(
    client: SubgraphClient,
    request: SubgraphRequest,
    signal: AbortSignal,
    timeoutMs: number,
    cutShort: boolean,
  ): Promise<SubgraphResponse> {
    try {
      const response = await client.pool.request({
        path: client.path,
        method: 'POST',
        headers: {
          ...request.headers,
          'content-type': 'application/json',
          accept: 'application/json',
          ...(this.config.compression ? { 'accept-encoding': 'gzip, br' } : {}),
        },
        body: request.body,
        signal,
      });
      const { statusCode: status, headers } = response;
      if (status < 200 || status > 299) {
        // Its status only (the body is the subgraph's business), drained so the connection is reused.
        await response.body.dump().catch(() => undefined);
        const statusText = response.statusText || STATUS_CODES[status] || 'HTTP error';
        throw new SubgraphFetchError(
          client.name,
          { code: SUBGRAPH_ERROR_CODES.http, reason: `${status}: ${statusText}`, mayHaveReached: true },
          status,
        );
      }
      let body: Buffer = Buffer.from(await response.body.arrayBuffer());
      const encoding = headerValue(headers['content-encoding'])?.trim().toLowerCase();
      if (encoding && encoding !== 'identity') {
        const inflate = decompress[encoding];
        if (!inflate) throw new SubgraphFetchError(client.name, { ...MALFORMED, reason: `unsupported content-encoding ${encoding}` });
        body = await inflate(body).catch(() => {
          throw new SubgraphFetchError(client.name, { ...MALFORMED, reason: `the ${encoding} answer does not decompress` });
        });
      }
      return { status, contentType: headerValue(headers['content-type']), body: body.toString('utf8') };
    } catch (error) {
      if (error instanceof SubgraphFetchError) throw error;
      if (signal.aborted) {
        const timedOut = new SubgraphFetchError(client.name, timeoutFailure(timeoutMs, true));
        // Out of the client request's budget before the subgraph's own timeout: not the subgraph's fault.
        timedOut.requestsFault = cutShort;
        throw timedOut;
      }
      const failure = classifyFetchFailure(undiciCode(error), timeoutMs);
      throw new SubgraphFetchError(
        client.name,
        failure ?? { code: SUBGRAPH_ERROR_CODES.unavailable, reason: 'the request failed', mayHaveReached: true },
      );
    }
  }

  private failureOf(client: SubgraphClient, error: unknown, aborted: boolean, timeoutMs: number): SubgraphFetchError {
    if (error instanceof SubgraphFetchError) return error;
    if (error instanceof BrokenCircuitError) return new SubgraphFetchError(client.name, CIRCUIT_OPEN);
    if (error instanceof BulkheadRejectedError) return new SubgraphFetchError(client.name, BULKHEAD_FULL);
    // Timed out while waiting in the bulkhead's queue: never sent.
    if (error instanceof TaskCancelledError || aborted) return new SubgraphFetchError(client.name, timeoutFailure(timeoutMs, false));
    return new SubgraphFetchError(client.name, {
      code: SUBGRAPH_ERROR_CODES.unavailable,
      reason: 'the request failed',
      mayHaveReached: true,
    });
  }
}

const MALFORMED: FetchFailure = { code: SUBGRAPH_ERROR_CODES.malformed, reason: '', mayHaveReached: true };

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * undici's socket errors as classifyFetchFailure knows them: the system codes (ECONNREFUSED, ...) pass through;
 * UND_ERR_SOCKET (the other side closed) is a lost connection, UND_ERR_CONNECT_TIMEOUT one never made.
 */
function undiciCode(error: unknown): unknown {
  if (typeof error !== 'object' || error === null || !('code' in error)) return error;
  switch (error.code) {
    case 'UND_ERR_SOCKET':
      return { code: 'ECONNRESET' };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { code: 'EHOSTUNREACH' };
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return { code: 'ECONNABORTED' };
    default:
      return error;
  }
}

/** Transient failures worth another try of a query: connection problems and 502/503/504 (not timeouts, which spent their time). */
function retryable(error: unknown): boolean {
  if (!(error instanceof SubgraphFetchError)) return false;
  const { failure } = error;
  if (failure === CIRCUIT_OPEN || failure === BULKHEAD_FULL) return false; // protections, not accidents
  if (failure.code === SUBGRAPH_ERROR_CODES.unavailable) return true;
  return failure.code === SUBGRAPH_ERROR_CODES.http && error.status !== undefined && RETRY_STATUSES.has(error.status);
}

function outcomeOf(error: SubgraphFetchError): AttemptOutcome {
  if (error.failure === CIRCUIT_OPEN) return 'circuit_open';
  if (error.failure === BULKHEAD_FULL) return 'bulkhead_rejected';
  switch (error.failure.code) {
    case SUBGRAPH_ERROR_CODES.timeout:
      return 'timeout';
    case SUBGRAPH_ERROR_CODES.unavailable:
      return 'unavailable';
    default:
      return 'http_error';
  }
}
