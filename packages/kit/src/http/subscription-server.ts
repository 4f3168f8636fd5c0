import type { Server } from 'node:http';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { hideInternalErrors } from '../errors.js';
import { subscribeWithFreshContexts } from '../graphql/subscribe.js';
import type { Logger } from '../log.js';
import { PrincipalHeaderError, type Principal } from '../principal.js';
import type { RequestContext, SubgraphInstance } from '../service.js';
import { contextFrom, inSpan, SpanKind, type OtelContext, type Tracer } from '../tracing.js';
import { connectionPrincipal } from './connection-principal.js';

export interface SubscriptionServerOptions {
  httpServer: Server;
  path: string;
  schema: GraphQLSchema;
  instance: SubgraphInstance;
  routerSecret: string;
  /** Traces each subscription's start (`graphql.subscribe`), continuing the router's traceparent. */
  tracer: Tracer;
  logger: Logger;
}

export interface SubscriptionServer {
  /** Closes every socket (1001 Going away) and stops accepting connections. */
  close(): Promise<void>;
}

/** The largest graphql-ws message accepted, as for HTTP bodies. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Sockets that have not finished the close handshake by then are cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * graphql-ws (graphql-transport-ws protocol) on the subgraph's HTTP server: the router runs subscription
 * operations here. The principal comes from the router's signed headers in connection_init (or on the
 * upgrade request); a forged one closes the socket with 4403, none is anonymous. Queries and mutations
 * stay on HTTP.
 */
export function serveSubscriptions(options: SubscriptionServerOptions): SubscriptionServer {
  const { instance, logger } = options;
  // The trace context each subscription's subscribe message carried (`extensions.traceparent`), by its context value.
  const traceParents = new WeakMap<object, OtelContext>();
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: MAX_PAYLOAD_BYTES });
  // graphql-ws handles only the first server error; without a listener of our own a second one would throw
  wss.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  const server = useServer<Record<string, unknown> | undefined, { principal: Principal | undefined }>(
    {
      schema: options.schema,
      isProd: true, // close reasons never carry internal error messages
      onConnect: (ctx) => {
        try {
          ctx.extra.principal = connectionPrincipal(ctx.connectionParams, ctx.extra.request.headers, options.routerSecret);
          return true;
        } catch (error) {
          if (!(error instanceof PrincipalHeaderError)) throw error;
          logger.warn({ reason: error.message }, 'WebSocket connection refused: the principal did not come from the router');
          return false; // 4403 Forbidden
        }
      },
      context: (ctx, _id, payload) => {
        const value = instance.createContext(ctx.extra.principal);
        traceParents.set(value, contextFrom(payload.extensions ?? {}));
        return value;
      },
      subscribe: (args) => {
        const contextValue = args.contextValue as RequestContext; // made by `context` above
        return inSpan(
          options.tracer,
          'graphql.subscribe',
          {
            parent: traceParents.get(contextValue),
            kind: SpanKind.SERVER,
            attributes: { 'graphql.operation.name': args.operationName ?? '', 'graphql.operation.type': 'subscription' },
          },
          async () => subscribeWithFreshContexts(args, () => instance.createContext(contextValue.principal)),
        );
      },
      execute: () => ({
        errors: [
          new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', {
            extensions: { code: 'BAD_REQUEST' },
          }),
        ],
      }),
      onNext: (_ctx, _id, _payload, _args, result) => formatResult(result, logger),
    },
    wss,
  );
  return {
    close: async () => {
      const cut = setTimeout(() => {
        for (const socket of wss.clients) socket.terminate();
      }, CLOSE_GRACE_MS);
      try {
        await server.dispose();
      } finally {
        clearTimeout(cut);
      }
    },
  };
}

/** Errors of a pushed event, masked as over HTTP: unexpected ones lose their message and are logged. */
function formatResult(result: ExecutionResult, logger: Logger): FormattedExecutionResult {
  const { errors, ...rest } = result;
  if (!errors) return rest;
  return { ...rest, errors: errors.map((error) => hideInternalErrors(error.toJSON(), error, logger)) };
}
