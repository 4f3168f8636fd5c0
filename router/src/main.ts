import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import {
  ConfigError,
  createLogger,
  DEFAULT_PORTS,
  readBoolean,
  readChoice,
  readInteger,
  readOptional,
  readPort,
  readSecret,
  readString,
  readUrl,
  metricsPortFromEnv,
  REPO_ROOT,
  runMain,
  setupTracing,
  shutdownTracing,
  SUBGRAPH_NAMES,
} from '@commerce/kit';
import { parseTrustProxy, type TrustProxy } from './client-address.js';
import { startRouter, type RouterLimits } from './index.js';
import { SESSION_LIMIT_DEFAULTS } from './subscriptions/index.js';
import { DEFAULT_DEMAND_CONTROL, DEMAND_CONTROL_MODES, type DemandControlOptions } from './policies/demand-control/plugin.js';
import { AUTHORIZATION_MODES } from './policies/authorization/plugin.js';
import { INTROSPECTION_MODES } from './policies/introspection.js';
import { OPERATION_LIMIT_DEFAULTS } from './policies/operation-limits.js';
import {
  DEFAULT_MANIFESTS,
  PERSISTED_QUERY_DEFAULTS,
  PERSISTED_QUERY_MODES,
  type PersistedQueryMode,
  type PersistedQueryOptions,
} from './policies/persisted-queries/policy.js';
import { RATE_LIMIT_DEFAULTS, type RateLimitOptions } from './policies/rate-limit.js';
import { DEFAULT_SUBGRAPH_TIMEOUT_MS } from './subgraph-source.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, fetchConfigFromEnv } from './fetch/config.js';
import { SESSION_REVOCATION_DEFAULTS } from './policies/session-revocations.js';

/** Production entry point of the router (`npm start -w router`); configuration from the environment. */
runMain(async () => {
  const env = process.env;
  setupTracing(env);
  const subgraphUrls: Record<string, string> = {};
  for (const name of SUBGRAPH_NAMES) {
    const key = `SUBGRAPH_${name.toUpperCase()}_URL`;
    if (readOptional(env, key) !== undefined) subgraphUrls[name] = readUrl(env, key);
  }
  const identityUrl = subgraphUrls.identity ?? `http://127.0.0.1:${DEFAULT_PORTS.identity}/graphql`;
  const options = {
    port: readPort(env, 'PORT', DEFAULT_PORTS.router),
    metricsPort: metricsPortFromEnv(env, readPort(env, 'PORT', DEFAULT_PORTS.router)),
    host: readString(env, 'HOST', '0.0.0.0'),
    supergraphPath: readString(env, 'SUPERGRAPH_PATH', join(REPO_ROOT, 'schema', 'supergraph.graphql')),
    watchSupergraph: readBoolean(env, 'WATCH_SUPERGRAPH', false),
    routerSecret: readSecret(env, 'ROUTER_SHARED_SECRET'),
    subgraphUrls,
    subgraphTimeouts: subgraphTimeoutsFromEnv(env),
    requestTimeoutMs: readInteger(env, 'ROUTER_REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS, 1, 600_000),
    fetch: fetchConfigFromEnv(env), // pools, retries, breakers, bulkheads (router/src/fetch/)
    jwksUrl: readUrl(env, 'IDENTITY_JWKS_URL', jwksUrlOf(identityUrl)),
    logger: createLogger('router'),
    limits: limitsFromEnv(env),
    demandControl: demandControlFromEnv(env),
    authorizationMode: readChoice(env, 'ROUTER_AUTHORIZATION_MODE', AUTHORIZATION_MODES, 'filter'),
    subscriptions: {
      limits: {
        perConnection: readInteger(env, 'SUBSCRIPTIONS_MAX_PER_CONNECTION', SESSION_LIMIT_DEFAULTS.perConnection, 1, 100_000),
        perPrincipal: readInteger(env, 'SUBSCRIPTIONS_MAX_PER_PRINCIPAL', SESSION_LIMIT_DEFAULTS.perPrincipal, 1, 1_000_000),
      },
    },
    rateLimit: rateLimitFromEnv(env),
    persistedQueries: persistedQueriesFromEnv(env),
    trustProxy: trustProxyFromEnv(env),
    sessionRevocation: {
      url: readOptional(env, 'IDENTITY_REVOCATIONS_URL') === undefined ? undefined : readUrl(env, 'IDENTITY_REVOCATIONS_URL'),
      intervalMs: readInteger(env, 'SESSION_REVOCATION_POLL_MS', SESSION_REVOCATION_DEFAULTS.intervalMs, 0, 60_000),
    },
  };
  if (!existsSync(options.supergraphPath)) {
    throw new ConfigError(`SUPERGRAPH_PATH: no supergraph at ${options.supergraphPath} (compose it first: npm run compose)`);
  }
  const router = await startRouter(options);
  const stop = (signal: NodeJS.Signals) => {
    options.logger.info({ signal }, 'shutting down');
    router
      .close()
      .then(shutdownTracing)
      .then(
        () => process.exit(0),
        (error: unknown) => {
          options.logger.error({ err: error }, 'unclean shutdown');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});

/**
 * Persisted queries (router/src/policies/persisted-queries/): free-form GraphQL is served and logged when
 * unknown (`log`), except for clients naming themselves `mobile`, which must send manifest ids. The
 * manifests reload when their directory changes and on SIGHUP; APQ shares REDIS_URL with the rate limits.
 */
function persistedQueriesFromEnv(env: NodeJS.ProcessEnv): PersistedQueryOptions {
  const manifests = (readOptional(env, 'PERSISTED_QUERIES_MANIFEST')?.split(',') ?? DEFAULT_MANIFESTS)
    .map((path) => path.trim())
    .filter((path) => path !== '')
    .map((path) => (isAbsolute(path) ? path : join(REPO_ROOT, path)));
  if (manifests.length === 0) throw new ConfigError('PERSISTED_QUERIES_MANIFEST must name at least one manifest file');
  for (const path of manifests) {
    if (!existsSync(path)) throw new ConfigError(`PERSISTED_QUERIES_MANIFEST: no manifest at ${path} (generate it: npm run codegen)`);
  }
  return {
    modes: {
      default: readChoice(env, 'PERSISTED_QUERIES_MODE', PERSISTED_QUERY_MODES, 'log'),
      clients: clientModesFromEnv(readString(env, 'PERSISTED_QUERIES_CLIENT_MODES', 'mobile=id-only')),
    },
    manifests,
    watch: readBoolean(env, 'PERSISTED_QUERIES_WATCH', true),
    logIntervalSeconds: readInteger(env, 'PERSISTED_QUERIES_LOG_INTERVAL_SECONDS', PERSISTED_QUERY_DEFAULTS.logIntervalSeconds, 0, 86_400),
    reloadSignal: 'SIGHUP',
    apq: readBoolean(env, 'APQ_ENABLED', PERSISTED_QUERY_DEFAULTS.apq),
    apqTtlSeconds: readInteger(env, 'APQ_TTL_SECONDS', PERSISTED_QUERY_DEFAULTS.apqTtlSeconds, 0, 31_536_000),
    keyPrefix: readString(env, 'APQ_KEY_PREFIX', PERSISTED_QUERY_DEFAULTS.keyPrefix),
    redisUrl: rateLimitFromEnv(env).redisUrl, // REDIS_URL, read and validated in one place
  };
}

/** `mobile=id-only,web-tooling=off` (or `none`) -> { mobile: 'id-only', 'web-tooling': 'off' }. */
function clientModesFromEnv(raw: string): Record<string, PersistedQueryMode> {
  const modes: Record<string, PersistedQueryMode> = {};
  if (raw.trim() === 'none') return modes;
  for (const pair of raw.split(',')) {
    const [client, mode, ...rest] = pair.split('=').map((part) => part.trim());
    if (!client || rest.length || !PERSISTED_QUERY_MODES.includes(mode as PersistedQueryMode)) {
      throw new ConfigError(
        `PERSISTED_QUERIES_CLIENT_MODES must be client=mode pairs separated by commas (mode one of ${PERSISTED_QUERY_MODES.join(', ')}) or none, got "${raw}"`,
      );
    }
    modes[client] = mode as PersistedQueryMode;
  }
  return modes;
}

/** Rate limits (router/src/policies/rate-limit.ts); REDIS_URL shares the buckets between router instances. */
function rateLimitFromEnv(env: NodeJS.ProcessEnv): RateLimitOptions {
  const redisUrl = readOptional(env, 'REDIS_URL') === undefined ? undefined : readUrl(env, 'REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:$/.test(new URL(redisUrl).protocol)) {
    throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
  }
  return {
    enabled: readBoolean(env, 'RATE_LIMIT_ENABLED', RATE_LIMIT_DEFAULTS.enabled),
    points: readInteger(env, 'RATE_LIMIT_POINTS', RATE_LIMIT_DEFAULTS.points, 1, 1_000_000_000),
    tenantPoints: readInteger(env, 'RATE_LIMIT_TENANT_POINTS', RATE_LIMIT_DEFAULTS.tenantPoints, 1, 1_000_000_000),
    windowSeconds: readInteger(env, 'RATE_LIMIT_WINDOW_SECONDS', RATE_LIMIT_DEFAULTS.windowSeconds, 1, 86_400),
    keyPrefix: readString(env, 'RATE_LIMIT_KEY_PREFIX', RATE_LIMIT_DEFAULTS.keyPrefix),
    redisUrl,
  };
}

/** TRUST_PROXY (router/src/client-address.ts): whose X-Forwarded-For tells the client's address. */
function trustProxyFromEnv(env: NodeJS.ProcessEnv): TrustProxy {
  try {
    return parseTrustProxy(readOptional(env, 'TRUST_PROXY'));
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** Query cost (router/src/policies/demand-control/). */
function demandControlFromEnv(env: NodeJS.ProcessEnv): DemandControlOptions {
  const d = DEFAULT_DEMAND_CONTROL;
  return {
    mode: readChoice(env, 'ROUTER_COST_MODE', DEMAND_CONTROL_MODES, d.mode),
    maxCost: readInteger(env, 'ROUTER_MAX_COST', d.maxCost, 1, 1_000_000_000),
    defaultListSize: readInteger(env, 'ROUTER_COST_LIST_SIZE', d.defaultListSize, 0, 1_000_000),
    exposeInExtensions: readBoolean(env, 'ROUTER_COST_IN_EXTENSIONS', d.exposeInExtensions),
  };
}

/** Operation limits (router/src/policies/operation-limits.ts) and introspection (introspection.ts). */
function limitsFromEnv(env: NodeJS.ProcessEnv): RouterLimits {
  const d = OPERATION_LIMIT_DEFAULTS;
  return {
    maxDepth: readInteger(env, 'ROUTER_MAX_DEPTH', d.maxDepth, 1, 1000),
    maxHeight: readInteger(env, 'ROUTER_MAX_HEIGHT', d.maxHeight, 1, 100_000),
    maxAliases: readInteger(env, 'ROUTER_MAX_ALIASES', d.maxAliases, 0, 100_000),
    maxRootFields: readInteger(env, 'ROUTER_MAX_ROOT_FIELDS', d.maxRootFields, 1, 100_000),
    maxTokens: readInteger(env, 'ROUTER_MAX_TOKENS', d.maxTokens, 10, 1_000_000),
    maxBatch: readInteger(env, 'ROUTER_MAX_BATCH', d.maxBatch, 1, 1000),
    introspection: readChoice(env, 'ROUTER_INTROSPECTION', INTROSPECTION_MODES, 'scope'),
  };
}

/** How long a subgraph fetch may take: ROUTER_SUBGRAPH_TIMEOUT_MS for all, SUBGRAPH_<NAME>_TIMEOUT_MS for one. */
function subgraphTimeoutsFromEnv(env: NodeJS.ProcessEnv): { defaultMs: number; bySubgraph: Record<string, number> } {
  const bySubgraph: Record<string, number> = {};
  for (const name of SUBGRAPH_NAMES) {
    const key = `SUBGRAPH_${name.toUpperCase()}_TIMEOUT_MS`;
    if (readOptional(env, key) !== undefined) bySubgraph[name] = readInteger(env, key, DEFAULT_SUBGRAPH_TIMEOUT_MS, 1, 600_000);
  }
  return { defaultMs: readInteger(env, 'ROUTER_SUBGRAPH_TIMEOUT_MS', DEFAULT_SUBGRAPH_TIMEOUT_MS, 1, 600_000), bySubgraph };
}

/** identity serves its key set beside its GraphQL endpoint. */
function jwksUrlOf(identityGraphqlUrl: string): string {
  const url = new URL(identityGraphqlUrl);
  if (!url.pathname.endsWith('/graphql')) {
    throw new ConfigError('IDENTITY_JWKS_URL is required when SUBGRAPH_IDENTITY_URL does not end in /graphql');
  }
  url.pathname = url.pathname.replace(/\/graphql$/, '/.well-known/jwks.json');
  return url.toString();
}
