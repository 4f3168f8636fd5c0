import { createServer } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import {
  hideInternalErrors,
  jsonErrors,
  listen,
  principalHeaders,
  readBoolean,
  serveMetrics,
  traceRequests,
  type Logger,
  deleteOldest,
} from '@commerce/kit';
import { clientAddressResolver, type TrustProxy } from './client-address.js';
import type { RouterContext } from './context.js';
import { explorerRoutes } from './explorer/routes.js';
import { ROUTER_PRINCIPAL } from './router-principal.js';
import { METADATA_PATH, REVOKE_PATH, TOKEN_PATH, tokenProxy } from './token-proxy.js';
import { RouterMetrics } from './metrics.js';
import { instrumentGateway } from './metrics/gateway.js';
import { CLIENT_NAME_HEADER, operationMetrics, refusedRequestMetrics } from './metrics/operations.js';
import { authentication, principalOf, tokenVerifier, type VerifiedToken } from './policies/authentication.js';
import { prepareSupergraph, type AuthorizationRules } from './policies/authorization/directives.js';
import { subgraphLookups } from './policies/authorization/lookups.js';
import { routerTracer, tracingPlugin } from './tracing.js';
import { authorization, withAuthorizedResults, type AuthorizationMode } from './policies/authorization/plugin.js';
import { POLICIES } from './policies/authorization/policies.js';
import { trackCostSchema } from './policies/demand-control/cost-schema.js';
import { DEFAULT_DEMAND_CONTROL, demandControl, type DemandControlOptions } from './policies/demand-control/plugin.js';
import { introspection, introspectionAllowed, type IntrospectionMode } from './policies/introspection.js';
import { OPERATION_LIMIT_DEFAULTS, operationLimits, requestLimits, type OperationLimits } from './policies/operation-limits.js';
import { persistedQueries as persistedQueriesPolicy, type PersistedQueryOptions } from './policies/persisted-queries/policy.js';
import { subscriptionsOverHttp } from './policies/subscriptions-over-http.js';
import { rateLimiter, type RateLimitOptions } from './policies/rate-limit.js';
import { revocationFeedUrlOf, SESSION_REVOCATION_DEFAULTS, SessionRevocations } from './policies/session-revocations.js';
import { SubgraphSource } from './subgraph-source.js';
import { startSubscriptions, type SessionLimits, type UpstreamOptions } from './subscriptions/index.js';
import { supergraphFromFile } from './supergraph.js';

export type { RouterContext } from './context.js';

export interface RouterOptions {
  supergraphPath: string;
  watchSupergraph: boolean;
  port: number;
  host: string;
  /** Subgraph name (as in the supergraph's join__Graph name) -> URL overriding the supergraph's URL. */
  subgraphUrls: Record<string, string>;
  /**
   * How long a subgraph fetch may take (answer and body) before it fails with SUBREQUEST_TIMEOUT: `defaultMs`
   * (DEFAULT_SUBGRAPH_TIMEOUT_MS, 30 s, when unset) and per subgraph name.
   */
  subgraphTimeouts?: { defaultMs?: number; bySubgraph?: Record<string, number> };
  jwksUrl: string;
  routerSecret: string;
  logger: Logger;
  /** Operation limits and introspection; defaults: OPERATION_LIMIT_DEFAULTS and introspection 'on'. */
  limits?: Partial<RouterLimits>;
  /** `filter` (default): unauthorized fields come back null with errors; `reject`: the whole operation is refused. */
  authorizationMode?: AuthorizationMode;
  /** Subscriptions (graphql-ws on /graphql, graphql-sse on /graphql/stream): limits and upstream behaviour. */
  subscriptions?: { limits?: Partial<SessionLimits>; upstream?: Partial<UpstreamOptions>; keepAliveMs?: number };
  /** Query cost (IBM cost directives): enforce, measure or off; see DEFAULT_DEMAND_CONTROL. */
  demandControl?: Partial<DemandControlOptions>;
  /** METRICS_PORT: /metrics on this port only, not on `port` (default: on `port`, as in embedded mode). */
  metricsPort?: number;
  /** Per-caller and per-tenant rate limits weighted by estimated cost; see RATE_LIMIT_DEFAULTS. */
  rateLimit?: RateLimitOptions;
  /** APQ and the persisted-query safelist; default: free-form allowed, committed manifests, APQ in memory (PERSISTED_QUERY_DEFAULTS). */
  persistedQueries?: PersistedQueryOptions;
  /**
   * `GET /schema.graphql` open to anyone (`true`), or only to whom introspection is allowed (`false`: with
   * introspection `scope`, tokens with schema:read). Default: SCHEMA_SDL_PUBLIC, else false.
   */
  schemaSdlPublic?: boolean;
  /** identity's feed of signed-out sessions (default: beside the JWKS) and how often it is polled (0: never). */
  sessionRevocation?: { url?: string; intervalMs?: number };
  /** Which proxies may tell the client's address in X-Forwarded-For (rate-limit keys); default false: none. */
  trustProxy?: TrustProxy;
}

export interface RouterLimits extends OperationLimits {
  /** `on`: anyone may introspect; `scope`: only principals with the schema:read scope; `off`: nobody. */
  introspection: IntrospectionMode;
}

export interface RunningRouter {
  /** The full GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  baseUrl: string;
  /** Where /metrics is served when `metricsPort` is set (http://host:port); else at `baseUrl`. */
  metricsUrl?: string;
  close(): Promise<void>;
  /** Increments on each successful (re)load of the supergraph. */
  supergraphVersion(): number;
  /** Active client subscriptions and upstream subgraph subscriptions. */
  subscriptionStats(): { subscribers: number; upstreams: number };
}

export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const { logger } = options;
  const limits: RouterLimits = { ...OPERATION_LIMIT_DEFAULTS, introspection: 'on', ...options.limits };
  // Without this the gateway reports usage to Apollo and probes cloud metadata endpoints.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const schemaSdlPublic = options.schemaSdlPublic ?? readBoolean(process.env, 'SCHEMA_SDL_PUBLIC', false);
  const metrics = new RouterMetrics();

  // The gateway refuses the authorization directives: they are taken out of the SDL and enforced here.
  const rulesBySdl = new Map<string, AuthorizationRules>();
  const prepare = (sdl: string) => {
    const prepared = prepareSupergraph(sdl);
    rulesBySdl.set(prepared.gatewaySdl, prepared.rules);
    if (rulesBySdl.size > 4) deleteOldest(rulesBySdl); // keep the few latest reloads
    return prepared.gatewaySdl;
  };
  const serviceUrls = new Map<string, string>();
  const lookups = subgraphLookups((name) => serviceUrls.get(name), logger.child({ policy: 'authorization' }), options.routerSecret);
  const apolloGateway = new ApolloGateway({
    logger: logger.child({ component: 'gateway' }),
    supergraphSdl: supergraphFromFile({ path: options.supergraphPath, watch: options.watchSupergraph, logger, prepare }),
    buildService: ({ name, url }) => {
      const target = options.subgraphUrls[name] ?? url;
      if (!target) throw new Error(`subgraph ${name} has no URL in the supergraph and no override`);
      serviceUrls.set(name, target);
      return new SubgraphSource({
        url: target,
        name,
        routerSecret: options.routerSecret,
        timeoutMs: options.subgraphTimeouts?.bySubgraph?.[name] ?? options.subgraphTimeouts?.defaultMs,
        observe: metrics.subgraphTimer(name),
        logger: logger.child({ component: 'subgraph-fetch' }),
      });
    },
  });
  instrumentGateway(apolloGateway, metrics, logger); // query-plan cache hits and misses, planning time
  const gateway = withAuthorizedResults(apolloGateway, { policies: POLICIES, lookups });
  const costSchema = trackCostSchema(apolloGateway); // built once per load, for HTTP and subscriptions alike
  let version = 0;
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate((loaded) => {
    version += 1;
    apiSchema = loaded.apiSchema;
    logger.info({ version }, 'supergraph loaded');
  });

  const clientAddress = clientAddressResolver(options.trustProxy);
  const limiter = rateLimiter(options.rateLimit ?? {}, logger);
  const persistedQueries = persistedQueriesPolicy(options.persistedQueries ?? {}, logger);
  const app = express();
  app.disable('x-powered-by');
  // Policy modules record into "the current" metrics (metrics.ts): each request runs in this router's.
  app.use(metrics.http, (_req, _res, next) => metrics.run(next)); // http: OpenTelemetry's http_server_request_duration_seconds
  const httpServer = createServer(app);
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    logger: logger.child({ component: 'apollo' }),
    includeStacktraceInErrorResponses: false,
    introspection: true, // the introspection policy decides (Apollo Server would turn it off under NODE_ENV=production)
    persistedQueries: persistedQueries.apq, // APQ; the safelist is persistedQueries.middleware below
    allowBatchedHttpRequests: true, // JSON array bodies, at most limits.maxBatch operations (requestLimits below)
    stopOnTerminationSignals: false, // main.ts owns the signals; tests run several routers in one process
    plugins: [
      tracingPlugin(),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      operationMetrics(metrics), // operations, their duration, rejections, APQ and document cache lookups
      persistedQueries.plugin, // manifest reloads, APQ store lifecycle, logs unknown operations
      // Policies, in the order they run; each refuses before the gateway plans or calls a subgraph.
      subscriptionsOverHttp(logger),
      introspection(limits.introspection, logger),
      operationLimits(limits, logger),
      authorization({
        mode: options.authorizationMode ?? 'filter',
        policies: POLICIES,
        lookups,
        rulesFor: (sdl) => rulesBySdl.get(sdl),
        logger: logger.child({ policy: 'authorization' }),
      }), // after operationLimits: both answer in responseForOperation, the limits first
      demandControl({ ...DEFAULT_DEMAND_CONTROL, ...options.demandControl }, costSchema, logger), // before rateLimit: it sets the cost the limiter weighs by
      limiter.plugin,
    ],
    formatError: (formatted, error) => hideInternalErrors(formatted, error, logger, { hasDatabase: false }),
  });
  // Before apollo.start(): it listens for the first supergraph load, and mounts /graphql/stream ahead of /graphql.
  const revocations = new SessionRevocations({
    url: options.sessionRevocation?.url ?? revocationFeedUrlOf(options.jwksUrl),
    intervalMs: options.sessionRevocation?.intervalMs ?? SESSION_REVOCATION_DEFAULTS.intervalMs,
    logger,
  });
  const isRevoked = (token: VerifiedToken) => revocations.isRevoked(token.sessionId);
  const verifyToken = tokenVerifier({ jwksUrl: options.jwksUrl, logger, isRevoked });
  // The WebSocket transport calls these from socket events, outside any HTTP request: enter the router's
  // metrics there, for the rest of that flow (and that socket).
  const subscriptions = startSubscriptions({
    httpServer,
    app,
    gateway: apolloGateway,
    urlOf: (name) => serviceUrls.get(name),
    verify: (header) => {
      metrics.enter();
      return verifyToken(header);
    },
    isRevoked,
    rulesFor: (sdl) => rulesBySdl.get(sdl),
    costSchema,
    limits,
    introspection: limits.introspection,
    demandControl: { ...DEFAULT_DEMAND_CONTROL, ...options.demandControl },
    authorizationMode: options.authorizationMode ?? 'filter',
    policies: POLICIES,
    lookups,
    clientAddress,
    rateLimit: limiter.charge,
    executeOperation: async ({ query, variables, operationName }, { principal, address, clientName }) => {
      metrics.enter();
      // The client's name as its header, for the plugins that read it (metrics, persisted-query logs).
      const headers = new HeaderMap(clientName ? [[CLIENT_NAME_HEADER, clientName]] : []);
      const response = await apollo.executeOperation(
        {
          query,
          variables: variables ?? undefined,
          operationName: operationName ?? undefined,
          http: { method: 'POST', headers, search: '', body: undefined },
        },
        { contextValue: { principal, clientAddress: address } },
      );
      return response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
    },
    resolveQuery: (incoming, clientName) => {
      metrics.enter();
      return persistedQueries.resolve(incoming, clientName);
    },
    sessionLimits: options.subscriptions?.limits,
    // Signed anew on every (re)connection, so the principal is never stale when a subgraph checks it.
    upstream: {
      connectionParams: () => ({ headers: principalHeaders(ROUTER_PRINCIPAL, options.routerSecret) }),
      ...options.subscriptions?.upstream,
    },
    keepAliveMs: options.subscriptions?.keepAliveMs,
    metrics,
    logger,
  });
  const untrackSubscriptions = metrics.trackSubscriptions(() => subscriptions.stats().subscribers);
  revocations.onRevoked((sessionIds) => subscriptions.endSessions(sessionIds));
  await apollo.start();
  await revocations.start(); // the sessions signed out so far, before the first request

  let closing = false;
  app.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const metricsEndpoint = await serveMetrics({ app, registry: metrics.registry, port: options.metricsPort, host: options.host, logger });
  app.get('/health/ready', (_req, res) => {
    if (version > 0 && !closing) res.json({ status: 'ok' });
    else res.status(503).json({ status: 'unavailable' });
  });
  const proxied = (path: string) =>
    tokenProxy({
      path,
      identityUrl: () => serviceUrls.get('identity'),
      routerSecret: options.routerSecret,
      clientAddress,
      logger: logger.child({ component: 'token' }),
    });
  app.post(TOKEN_PATH, ...proxied(TOKEN_PATH));
  app.post(REVOKE_PATH, ...proxied(REVOKE_PATH));
  app.get(METADATA_PATH, ...proxied(METADATA_PATH));
  const refused = refusedRequestMetrics(metrics);
  app.use(
    '/graphql',
    refused.start, // counts what the middleware below refuses before Apollo Server sees it
    express.json({ limit: '1mb' }),
    traceRequests(routerTracer()), // a span per request, continuing the client's traceparent
    requestLimits(limits),
    persistedQueries.middleware, // resolves manifest ids, refuses what the client's mode forbids, before anything else runs
    authentication({ jwksUrl: options.jwksUrl, logger, isRevoked }),
    refused.reached,
    expressMiddleware(apollo, { context: async ({ req, res }) => ({ principal: principalOf(res), clientAddress: clientAddress(req) }) }),
  );
  app.use(
    explorerRoutes({
      apiSchema: () => apiSchema,
      schemaSdlPublic,
      mayIntrospect: (principal) => introspectionAllowed(limits.introspection, principal),
      verify: verifyToken,
      logger: logger.child({ component: 'explorer' }),
    }),
  );
  app.use(jsonErrors(logger));

  let baseUrl: string;
  try {
    baseUrl = await listen(httpServer, options.port, options.host);
  } catch (error) {
    await revocations.close();
    await apollo.stop().catch((stopError: unknown) => logger.warn({ err: stopError }, 'stop after failed listen'));
    await metricsEndpoint.close();
    throw error;
  }
  logger.info({ url: `${baseUrl}/graphql`, supergraph: options.supergraphPath }, 'router listening');
  return {
    url: `${baseUrl}/graphql`,
    baseUrl,
    metricsUrl: metricsEndpoint.url,
    supergraphVersion: () => version,
    subscriptionStats: () => subscriptions.stats(),
    close: async () => {
      closing = true;
      await revocations.close();
      untrackSubscriptions();
      metrics.close();
      await metricsEndpoint.close();
      await subscriptions.close();
      await apollo.stop(); // drains and closes the HTTP server, stops the gateway (and its file watch)
    },
  };
}
