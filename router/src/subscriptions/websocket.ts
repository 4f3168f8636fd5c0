import type { IncomingMessage, Server } from 'node:http';
import { parse, type DocumentNode, type ExecutionResult, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { deleteOldest, type Logger } from '@commerce/kit';
import { toGraphQLErrors } from './prepare.js';
import type { Caller, Started, SubscriptionSessions } from './sessions.js';

const CLIENT_NAME = 'apollographql-client-name';

interface Connection {
  caller: Caller;
  active: number;
}

export interface WebSocketTransportOptions {
  httpServer: Server;
  path: string;
  sessions: SubscriptionSessions;
  apiSchema(): GraphQLSchema | undefined;
  /** Ping interval; a client that misses a pong is disconnected (and its upstreams released). */
  keepAliveMs: number;
  /** The client's address (behind the trusted proxies) of an upgrade request. */
  clientAddress(request: IncomingMessage): string;
  logger: Logger;
}

/**
 * The graphql-ws protocol (graphql-transport-ws) on the router's `/graphql`. The access token comes in
 * `connection_init` (`{ "authorization": "Bearer …" }`) or in the upgrade request's Authorization header;
 * a bad token closes the socket with 4403. Subscriptions go through SubscriptionSessions; queries and
 * mutations sent over the socket run through Apollo Server like HTTP requests.
 */
export function webSocketTransport(options: WebSocketTransportOptions): { close(): Promise<void> } {
  const { sessions, logger } = options;
  const connections = new WeakMap<WebSocket, Connection>();
  const server = new WebSocketServer({ server: options.httpServer, path: options.path });
  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      isProd: true,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const fromParams = params.authorization ?? params.Authorization;
        const header = typeof fromParams === 'string' ? fromParams : ctx.extra.request.headers.authorization;
        const auth = await sessions.authenticate(header);
        if (!auth.ok) return false;
        const declared = params[CLIENT_NAME] ?? ctx.extra.request.headers[CLIENT_NAME];
        connections.set(ctx.extra.socket, {
          caller: {
            token: auth.token,
            address: options.clientAddress(ctx.extra.request),
            clientName: typeof declared === 'string' ? declared : undefined,
          },
          active: 0,
        });
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const connection = connections.get(ctx.extra.socket);
        const schema = options.apiSchema();
        if (!connection || !schema) {
          const errors = [{ message: 'Not ready', extensions: { code: 'SERVICE_UNAVAILABLE' } }];
          sessions.refused(connection?.caller ?? {}, payload, errors);
          return toGraphQLErrors(errors);
        }
        const started = await sessions.start(connection.caller, payload, connection.active, () => {
          connection.active -= 1;
        });
        if (started.kind === 'refused') return toGraphQLErrors(started.errors);
        if (started.kind === 'stream') connection.active += 1;
        // The operation already runs; graphql-ws picks execute or subscribe by the document, and both hand it back.
        return {
          schema,
          document: parsedOnce(started.query),
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: started,
        };
      },
      execute: (args) => resultOf(args.contextValue as Started),
      subscribe: (args) => resultOf(args.contextValue as Started),
    },
    server,
    options.keepAliveMs,
  );
  server.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  return {
    close: async () => {
      for (const socket of server.clients) socket.close(1001, 'Going away');
      await disposable.dispose();
    },
  };
}

/**
 * graphql-ws keeps each subscription's document for its lifetime: subscribers of the same query share one
 * (location-free) parse instead of holding ~10 KiB each.
 */
const documents = new Map<string, DocumentNode>();
const DOCUMENT_CACHE_SIZE = 1000;

function parsedOnce(query: string): DocumentNode {
  let document = documents.get(query);
  if (!document) {
    document = parse(query, { noLocation: true });
    if (documents.size >= DOCUMENT_CACHE_SIZE) deleteOldest(documents);
    documents.set(query, document);
  }
  return document;
}

function resultOf(started: Started): AsyncIterableIterator<ExecutionResult> | ExecutionResult {
  if (started.kind === 'stream') return mapStream(started.stream, withGraphQLErrors);
  if (started.kind === 'result') return withGraphQLErrors(started.result);
  return { errors: toGraphQLErrors(started.errors) };
}

/** graphql-ws serializes errors with their toJSON(): formatted errors become GraphQLErrors again. */
function withGraphQLErrors(result: FormattedExecutionResult): ExecutionResult {
  const { errors, ...rest } = result;
  return errors ? { ...rest, errors: toGraphQLErrors(errors) } : (rest as ExecutionResult);
}

function mapStream<A, B>(inner: AsyncIterableIterator<A>, map: (value: A) => B): AsyncIterableIterator<B> {
  const iterator: AsyncIterableIterator<B> = {
    next: async () => {
      const result = await inner.next();
      return result.done ? { value: undefined, done: true } : { value: map(result.value), done: false };
    },
    return: async () => {
      await inner.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
