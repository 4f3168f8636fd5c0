import type { IncomingMessage, Server } from 'node:http';
import type { ApolloGateway } from '@apollo/gateway';
import type { Express } from 'express';
import type { FormattedExecutionResult, GraphQLSchema } from 'graphql';
import { continueClientTrace, type Logger } from '@commerce/kit';
import type { RouterMetrics } from '../metrics.js';
import type { TokenCheck, VerifiedToken } from '../policies/authentication.js';
import type { AuthorizationRules } from '../policies/authorization/directives.js';
import { emptyRules } from '../policies/authorization/directives.js';
import type { AuthorizationMode } from '../policies/authorization/plugin.js';
import type { EntityLookups, PolicyRegistry } from '../policies/authorization/policies.js';
import type { DemandControlOptions } from '../policies/demand-control/plugin.js';
import type { IntrospectionMode } from '../policies/introspection.js';
import type { ResolvedOperation } from '../policies/persisted-queries/policy.js';
import type { OperationLimits } from '../policies/operation-limits.js';
import type { RateLimiter } from '../policies/rate-limit.js';
import { FederatedSubscriptions } from './executor.js';
import { gatewayState } from './gateway-state.js';
import type { IncomingOperation, PolicySchemas } from './prepare.js';
import type { OperationCaller } from './sessions.js';
import { SESSION_LIMIT_DEFAULTS, SubscriptionSessions, type SessionLimits } from './sessions.js';
import { sseTransport } from './sse.js';
import { UPSTREAM_DEFAULTS, UpstreamSubscriptions, type UpstreamOptions } from './upstreams.js';
import { webSocketTransport } from './websocket.js';

export { SESSION_LIMIT_DEFAULTS, type SessionLimits } from './sessions.js';
export { UPSTREAM_DEFAULTS, type UpstreamOptions } from './upstreams.js';

export interface SubscriptionOptions {
  httpServer: Server;
  app: Express;
  gateway: ApolloGateway;
  /** Where a subgraph is, with the router's URL overrides applied. */
  urlOf(subgraph: string): string | undefined;
  verify(header: string): Promise<TokenCheck>;
  /** Whether a token's session was signed out; `endSessions` on the result ends such sessions' subscriptions. */
  isRevoked(token: VerifiedToken): boolean;
  rulesFor(gatewaySdl: string): AuthorizationRules | undefined;
  /** The loaded supergraph's cost schema, shared with the HTTP policy (see cost-schema.ts). */
  costSchema(): GraphQLSchema | undefined;
  limits: OperationLimits;
  /** Who may introspect (and so see field suggestions in errors). */
  introspection: IntrospectionMode;
  demandControl: DemandControlOptions;
  authorizationMode: AuthorizationMode;
  policies: PolicyRegistry;
  lookups: EntityLookups;
  /** The client's address behind the trusted proxies (client-address.ts), for WebSocket upgrades and SSE requests. */
  clientAddress(request: IncomingMessage): string;
  /** Charges a subscription its estimated cost when it starts. */
  rateLimit: RateLimiter['charge'];
  executeOperation(incoming: IncomingOperation, caller: OperationCaller): Promise<FormattedExecutionResult>;
  resolveQuery(incoming: IncomingOperation, clientName: string | undefined): ResolvedOperation;
  sessionLimits?: Partial<SessionLimits>;
  upstream?: Partial<UpstreamOptions>;
  /** Ping interval towards clients. */
  keepAliveMs?: number;
  /** The router's metrics: subscriptions count there when they end (see observed.ts). */
  metrics: RouterMetrics;
  logger: Logger;
}

export interface RunningSubscriptions {
  stats(): { subscribers: number; upstreams: number };
  /** Ends the active subscriptions of signed-out sessions. */
  endSessions(sessionIds: readonly string[]): void;
  close(): Promise<void>;
}

/** Federated subscriptions on the router: graphql-ws on `/graphql`, graphql-sse on `/graphql/stream`. */
export function startSubscriptions(options: SubscriptionOptions): RunningSubscriptions {
  const logger = options.logger.child({ component: 'subscriptions' });
  let loaded: Omit<PolicySchemas, 'costSchema'> | undefined;
  options.gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    loaded = { apiSchema, rules: options.rulesFor(coreSupergraphSdl) ?? emptyRules() };
  });
  // The gateway notifies every listener of a load in one go: no operation sees the two from different loads.
  const schemas = (): PolicySchemas | undefined => {
    const costSchema = options.costSchema();
    return loaded && costSchema ? { ...loaded, costSchema } : undefined;
  };
  const upstreams = new UpstreamSubscriptions(logger, { ...UPSTREAM_DEFAULTS, ...options.upstream });
  const subscriptions = new FederatedSubscriptions({
    state: () => gatewayState(options.gateway),
    urlOf: options.urlOf,
    upstreams,
    policies: options.policies,
    lookups: options.lookups,
    logger,
    queueCapacity: 100,
  });
  const sessions = new SubscriptionSessions({
    verify: options.verify,
    isRevoked: options.isRevoked,
    prepare: {
      schemas,
      limits: options.limits,
      demandControl: options.demandControl,
      authorizationMode: options.authorizationMode,
      policies: options.policies,
      lookups: options.lookups,
    },
    subscriptions,
    executeOperation: options.executeOperation,
    rateLimit: options.rateLimit,
    resolveQuery: options.resolveQuery,
    limits: { ...SESSION_LIMIT_DEFAULTS, ...options.sessionLimits },
    introspection: options.introspection,
    metrics: options.metrics,
    logger,
  });
  const apiSchema = () => loaded?.apiSchema;
  const webSocket = webSocketTransport({
    httpServer: options.httpServer,
    path: '/graphql',
    sessions,
    apiSchema,
    keepAliveMs: options.keepAliveMs ?? 12_000,
    clientAddress: options.clientAddress,
    logger,
  });
  options.app.use('/graphql/stream', continueClientTrace(), sseTransport(sessions, apiSchema, options.clientAddress)); // the client's traceparent, for graphql.subscribe
  return {
    stats: () => ({ subscribers: subscriptions.subscribers, upstreams: upstreams.active }),
    endSessions: (sessionIds) => sessions.endSessions(sessionIds),
    close: async () => {
      await webSocket.close();
      await upstreams.close();
    },
  };
}
