import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import type { Database } from '../db/database.js';
import { hideInternalErrors } from '../errors.js';
import type { Logger } from '../log.js';
import { serveMetrics } from '../metrics/endpoint.js';
import { createSubgraphMetrics } from '../metrics/subgraph-metrics.js';
import { ClientAddressHeaderError, requestClientAddress } from '../client-address.js';
import { PrincipalHeaderError, readPrincipal } from '../principal.js';
import { InProcessPubSub } from '../pubsub/in-process.js';
import type { PubSub } from '../pubsub/pubsub.js';
import type { RequestContext, SubgraphDefinition, SubgraphInstance } from '../service.js';
import { SharedResources } from '../shared.js';
import { currentRequest, requestScope, requestScopePlugin } from './request-scope.js';
import type { StartingServer } from './starting-server.js';
import { serveSubscriptions } from './subscription-server.js';
import { traceRequests } from './trace-requests.js';
import { tracerFor } from '../tracing.js';

export interface RunningSubgraph {
  name: string;
  url: string;
  /** Where /metrics is served when `metricsPort` is set (http://host:port); else beside `url`. */
  metricsUrl?: string;
  instance: SubgraphInstance;
  /** The pub/sub behind this subgraph's subscriptions. */
  pubsub: PubSub;
  close(): Promise<void>;
}

export interface SubgraphServerOptions {
  db: Database;
  logger: Logger;
  /** The secret the router signs principals with; requests with a bad signature are refused. */
  routerSecret: string;
  port: number;
  host?: string;
  /** Pub/sub for live updates, owned by the caller; default: one in this process, owned (and closed) by the server. */
  pubsub?: PubSub;
  /** Resources shared with the other services of this process (owned by the caller); default: the server's own. */
  shared?: SharedResources;
  /** Default: process.env. */
  env?: Record<string, string | undefined>;
  /** A server already listening (it answered health checks while the service waited for its database); default: a new one on port/host. */
  server?: StartingServer;
  /** METRICS_PORT: serve /metrics on this port only, not beside /graphql (see serveMetrics). */
  metricsPort?: number;
}

/**
 * Serves one subgraph: POST/GET /graphql, /health/live, /health/ready, GET /metrics (Prometheus, a registry per
 * server) and the subgraph's own routes, plus graphql-ws on /graphql when the schema has a Subscription type.
 */
export async function startSubgraphServer(definition: SubgraphDefinition, options: SubgraphServerOptions): Promise<RunningSubgraph> {
  const { db, logger } = options;
  const schema = await definition.buildSchema();
  const pubsub = options.pubsub ?? new InProcessPubSub({ logger });
  const shared = options.shared ?? new SharedResources();
  const clientAddress = (req: IncomingMessage) => requestClientAddress(req, options.routerSecret);
  const instance = await definition.create({ db, logger, schema, pubsub, shared, env: options.env ?? process.env, clientAddress });
  const metrics = createSubgraphMetrics({ db, events: instance.events, logger });
  const app = express();
  app.use(metrics.http);
  const httpServer = options.server?.httpServer ?? createServer(app);
  const subscriptions = schema.getSubscriptionType()
    ? serveSubscriptions({
        httpServer,
        path: '/graphql',
        schema,
        instance,
        routerSecret: options.routerSecret,
        logger,
        tracer: tracerFor(definition.name),
      })
    : undefined;
  const apollo = new ApolloServer<RequestContext>({
    schema,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // the process entry point owns the signals; embedded mode runs several servers
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      requestScopePlugin(),
      metrics.requests.plugin(),
    ],
    // Logged with the request's operation name; never with its variables.
    formatError: (formatted, error) => hideInternalErrors(formatted, error, currentRequest()?.logger ?? logger),
  });
  await apollo.start();

  app.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/health/ready', async (_req, res) => {
    try {
      await db.query('select 1');
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });
  const metricsEndpoint = await serveMetrics({
    app,
    registry: metrics.registry,
    port: options.metricsPort,
    host: options.host ?? '127.0.0.1',
    logger,
  });
  const extra = express.Router();
  instance.routes?.(extra);
  app.use(extra);
  app.use(
    '/graphql',
    requestScope({
      logger,
      parseBody: express.json({ limit: '1mb' }),
      onEnd: (scope, status, seconds) =>
        metrics.requests.observe(scope.operationType, scope.outcome ?? (status >= 500 ? 'error' : 'rejected'), seconds),
    }),
    traceRequests(tracerFor(definition.name)),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          return instance.createContext(readPrincipal(req.headers, options.routerSecret), { clientAddress: clientAddress(req) });
        } catch (error) {
          if (error instanceof PrincipalHeaderError || error instanceof ClientAddressHeaderError) {
            throw new GraphQLError('The request did not come from the router', {
              extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
            });
          }
          throw error;
        }
      },
    }),
  );

  app.use(jsonErrors(logger));

  await instance.ready?.();
  let url: string;
  if (options.server) {
    options.server.serve(app);
    url = options.server.url;
  } else {
    url = await listen(httpServer, options.port, options.host ?? '127.0.0.1').catch(async (error: unknown) => {
      await metricsEndpoint.close();
      throw error;
    });
  }
  logger.info({ url: `${url}/graphql` }, `${definition.name} subgraph listening`);
  return {
    name: definition.name,
    url: `${url}/graphql`,
    metricsUrl: metricsEndpoint.url,
    instance,
    pubsub,
    close: async () => {
      await metricsEndpoint.close();
      await subscriptions?.close(); // upgraded sockets are not the HTTP server's to drain
      await apollo.stop();
      await instance.close();
      if (!options.pubsub) await pubsub.close();
      if (!options.shared) await shared.close();
    },
  };
}

export function listen(server: Server, port: number, host: string): Promise<string> {
  // Idle keep-alive connections stay open longer than any client keeps them (Node's 5 s default lets the server
  // close a connection just as the router's fetcher reuses it: ECONNRESET, "socket hang up"). The client side
  // decides when an idle connection goes.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolve(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`);
    });
  });
}

/** Malformed or oversized bodies get a JSON GraphQL error instead of Express's HTML page with a stack trace. */
export function jsonErrors(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return void res.status(status).json({ errors: [{ message: (error as Error).message, extensions: { code: 'BAD_REQUEST' } }] });
    }
    logger.error({ err: error }, 'unexpected error in HTTP pipeline');
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  };
}
