import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { createLogger, type Logger } from '@commerce/kit';
import { startRouter, type RouterOptions, type RunningRouter } from '../src/index.js';

/** Shared by the router tests: a token issuer with a JWKS, stub subgraphs that record what they are asked, a router over them. */
export const TEST_SECRET = 'test-router-secret-that-is-long-enough-0123';

export interface Issuer {
  jwksUrl: string;
  /** Signs an access token; `key` signs with another key (a forgery), `expiresAt` (seconds) backdates it. */
  sign(claims: JWTPayload, options?: { key?: CryptoKey; expiresAt?: number }): Promise<string>;
  stop(): Promise<void>;
}

export async function startIssuer(kid = 'test-key'): Promise<Issuer> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  const base = await listenOnAnyPort(server);
  return {
    jwksUrl: `${base}/.well-known/jwks.json`,
    sign: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setIssuer('commerce-identity')
        .setAudience('commerce-supergraph')
        .setIssuedAt(options.expiresAt ? options.expiresAt - 600 : undefined)
        .setExpirationTime(options.expiresAt ?? '5m')
        .sign(options.key ?? privateKey),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function listenOnAnyPort(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export interface StubSubgraph {
  name: string;
  sdl: string;
  url: string;
  /** The query string of every HTTP request the subgraph received, in order. */
  received: string[];
  /** How many HTTP requests it received (a refused operation must never reach it); set 0 to start counting anew. */
  requests: number;
  /** The payload of every subscribe message it received over graphql-ws, in order. */
  subscribed: { query: string; extensions?: Record<string, unknown> | null }[];
  stop(): Promise<void>;
}

type Resolvers = NonNullable<Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>['resolvers']>;

/**
 * A subgraph from SDL and resolvers, over HTTP and graphql-ws (on /graphql, for Subscription fields whose
 * resolvers have `subscribe`). `port` 0 picks a free port; pass the old port to restart it in place.
 */
export async function startStubSubgraph(name: string, sdl: string, resolvers: Resolvers, port = 0): Promise<StubSubgraph> {
  const received: string[] = [];
  const subscribed: StubSubgraph['subscribed'] = [];
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers });
  const server = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  await server.start();
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(server, {
      context: async ({ req }) => {
        received.push((req.body as { query?: string } | undefined)?.query ?? '');
        return {};
      },
    }),
  );
  const httpServer = createServer(app);
  const webSockets = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const subscriptions = useServer(
    {
      schema,
      onSubscribe: (_ctx, _id, payload) => {
        subscribed.push(payload);
      },
    },
    webSockets,
    1000,
  );
  await new Promise<void>((resolve) => httpServer.listen(port, '127.0.0.1', resolve));
  return {
    name,
    sdl,
    url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql`,
    received,
    subscribed,
    get requests() {
      return received.length;
    },
    set requests(count: number) {
      received.length = count;
    },
    stop: async () => {
      for (const socket of webSockets.clients) socket.terminate();
      await subscriptions.dispose();
      await server.stop();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** A logger for the code under test: silent unless TEST_LOG_LEVEL says otherwise. */
export function testLogger(name = 'router-test'): Logger {
  return createLogger(name, process.env.TEST_LOG_LEVEL ?? 'silent');
}

/**
 * The options of a router under test: on loopback at a free port, the supergraph file not watched, no subgraph
 * URL overrides, the test secret, testLogger(). A test gives where its supergraph and JWKS are, and overrides
 * whatever else it needs.
 */
export function routerOptions(options: Pick<RouterOptions, 'supergraphPath' | 'jwksUrl'> & Partial<RouterOptions>): RouterOptions {
  return {
    watchSupergraph: false,
    port: 0,
    host: '127.0.0.1',
    subgraphUrls: {},
    routerSecret: TEST_SECRET,
    logger: testLogger(),
    ...options,
  };
}

export interface TestRouter {
  router: RunningRouter;
  /** The supergraph file the router loaded (rewrite it to test reloads, with `watchSupergraph: true`). */
  supergraphPath: string;
  stop(): Promise<void>;
}

/** Composes the stubs into a supergraph file and starts a router over it. */
export async function startTestRouter(
  subgraphs: StubSubgraph[],
  issuer: Issuer,
  options: Partial<RouterOptions> = {},
): Promise<TestRouter> {
  const dir = await mkdtemp(join(tmpdir(), 'router-test-'));
  const composed = composeServices(
    subgraphs.map((subgraph) => ({ name: subgraph.name, url: subgraph.url, typeDefs: parse(subgraph.sdl) })),
  );
  if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
  await writeFile(join(dir, 'supergraph.graphql'), composed.supergraphSdl);
  const router = await startRouter(
    routerOptions({ supergraphPath: join(dir, 'supergraph.graphql'), jwksUrl: issuer.jwksUrl, rateLimit: { enabled: false }, ...options }),
  );
  return {
    router,
    supergraphPath: join(dir, 'supergraph.graphql'),
    stop: async () => {
      await router.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
    extensions?: Record<string, unknown>;
  };
}

export async function postQuery(
  url: string,
  query: string,
  options: { token?: string; variables?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  return { status: response.status, body: (await response.json()) as Reply['body'] };
}
