import { ConfigError, readBoolean, readInteger } from '@commerce/kit';

/**
 * How the router fetches from subgraphs (router/src/fetch/): connection pools, de-duplication, retries, circuit
 * breakers and bulkheads, one of each per subgraph. Timeouts per subgraph stay in RouterOptions.subgraphTimeouts
 * (ROUTER_SUBGRAPH_TIMEOUT_MS, SUBGRAPH_<NAME>_TIMEOUT_MS).
 */
export interface FetchLayerConfig {
  /** Keep-alive connections per subgraph (undici Pool). */
  connections: number;
  /** How long an idle connection is kept (capped by the subgraph's own `keep-alive: timeout=` hint). */
  keepAliveMs: number;
  /** Ask subgraphs for gzip or br answers (`accept-encoding`), decompressed here. */
  compression: boolean;
  /** Concurrent identical query fetches (same subgraph, query, variables and principal) share one request. */
  dedup: boolean;
  /** Retries of a failed query fetch (never of a mutation); 0: none. */
  retries: number;
  /** Backoff before retry n: a random delay in [0, min(retryMaxDelayMs, retryBaseDelayMs * 2^n)] ("full jitter"). */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Retry budget per subgraph: retries may add at most this percentage of the fetches of the last 10 s ... */
  retryBudgetPercent: number;
  /** ... plus this many retries per second, so that a quiet router still retries a lost connection. */
  retryMinPerSecond: number;
  /** Consecutive failures (unreachable, timed out, 5xx) that open a subgraph's circuit; 0: no breaker. */
  breakerFailures: number;
  /** How long an open circuit fails fast before one probe fetch is let through (half-open). */
  breakerHalfOpenAfterMs: number;
  /** Bulkhead: fetches in flight per subgraph ... */
  maxConcurrent: number;
  /** ... and fetches waiting for a slot; beyond that a fetch fails at once with SUBGRAPH_UNAVAILABLE. */
  maxQueued: number;
}

export const FETCH_DEFAULTS: FetchLayerConfig = {
  connections: 64,
  keepAliveMs: 4_000,
  compression: true,
  dedup: true,
  retries: 2,
  retryBaseDelayMs: 20,
  retryMaxDelayMs: 500,
  retryBudgetPercent: 10,
  retryMinPerSecond: 5,
  breakerFailures: 5,
  breakerHalfOpenAfterMs: 5_000,
  maxConcurrent: 256,
  maxQueued: 1_024,
};

/** The whole client request's budget when ROUTER_REQUEST_TIMEOUT_MS is unset: no subgraph fetch starts or runs past it. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** FetchLayerConfig from ROUTER_SUBGRAPH_* variables (README, "Subgraph fetches"); a bad value is a ConfigError naming it. */
export function fetchConfigFromEnv(env: NodeJS.ProcessEnv): FetchLayerConfig {
  const d = FETCH_DEFAULTS;
  const config: FetchLayerConfig = {
    connections: readInteger(env, 'ROUTER_SUBGRAPH_CONNECTIONS', d.connections, 1, 10_000),
    keepAliveMs: readInteger(env, 'ROUTER_SUBGRAPH_KEEPALIVE_MS', d.keepAliveMs, 1, 600_000),
    compression: readBoolean(env, 'ROUTER_SUBGRAPH_COMPRESSION', d.compression),
    dedup: readBoolean(env, 'ROUTER_SUBGRAPH_DEDUP', d.dedup),
    retries: readInteger(env, 'ROUTER_SUBGRAPH_RETRIES', d.retries, 0, 10),
    retryBaseDelayMs: readInteger(env, 'ROUTER_SUBGRAPH_RETRY_BASE_MS', d.retryBaseDelayMs, 1, 60_000),
    retryMaxDelayMs: readInteger(env, 'ROUTER_SUBGRAPH_RETRY_MAX_MS', d.retryMaxDelayMs, 1, 60_000),
    retryBudgetPercent: readInteger(env, 'ROUTER_SUBGRAPH_RETRY_BUDGET_PERCENT', d.retryBudgetPercent, 0, 100),
    retryMinPerSecond: readInteger(env, 'ROUTER_SUBGRAPH_RETRY_MIN_PER_SECOND', d.retryMinPerSecond, 0, 10_000),
    breakerFailures: readInteger(env, 'ROUTER_SUBGRAPH_BREAKER_FAILURES', d.breakerFailures, 0, 10_000),
    breakerHalfOpenAfterMs: readInteger(env, 'ROUTER_SUBGRAPH_BREAKER_HALF_OPEN_MS', d.breakerHalfOpenAfterMs, 1, 3_600_000),
    maxConcurrent: readInteger(env, 'ROUTER_SUBGRAPH_MAX_CONCURRENT', d.maxConcurrent, 1, 100_000),
    maxQueued: readInteger(env, 'ROUTER_SUBGRAPH_MAX_QUEUED', d.maxQueued, 0, 1_000_000),
  };
  if (config.retryMaxDelayMs < config.retryBaseDelayMs) {
    throw new ConfigError(
      `ROUTER_SUBGRAPH_RETRY_MAX_MS (${config.retryMaxDelayMs}) must not be below ROUTER_SUBGRAPH_RETRY_BASE_MS (${config.retryBaseDelayMs})`,
    );
  }
  return config;
}
