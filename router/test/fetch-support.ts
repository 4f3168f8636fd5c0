import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { SubgraphFetchError } from '../src/fetch/errors.js';
import type { SubgraphRequest } from '../src/fetch/layer.js';
import { listenOnAnyPort } from './support.js';

/** What a test subgraph received: each request's body and headers, in arrival order. */
export interface Received {
  body: string;
  headers: IncomingMessage['headers'];
}

/** A plain HTTP server standing in for a subgraph: it records every request and answers as `handle` says. */
export interface TestServer {
  url: string;
  received: Received[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Changes how the server answers from now on. */
  answer(handle: Handler): void;
  stop(): Promise<void>;
}

export type Handler = (req: Received, res: ServerResponse, index: number) => void;

/** Answers `{"data": {"ok": true}}` as a GraphQL server would. */
export const ok: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}');
};

export async function testServer(handle: Handler = ok): Promise<TestServer> {
  let handler = handle;
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { body: Buffer.concat(chunks).toString('utf8'), headers: req.headers };
      received.push(request);
      handler(request, res, received.length - 1);
    });
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  const url = `${await listenOnAnyPort(server)}/graphql`;
  return {
    url,
    received,
    connections: () => connections,
    answer: (next) => {
      handler = next;
    },
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function query(text = '{ ok }', extra: Partial<SubgraphRequest> = {}): SubgraphRequest {
  return { body: JSON.stringify({ query: text }), operation: 'query', shareKey: 'anonymous', ...extra };
}

export function mutation(text = 'mutation { pay }', extra: Partial<SubgraphRequest> = {}): SubgraphRequest {
  return { body: JSON.stringify({ query: text }), operation: 'mutation', shareKey: 'anonymous', ...extra };
}

/** The SubgraphFetchError a promise rejects with (fails the test if it resolves or rejects with anything else). */
export async function fetchError(promise: Promise<unknown>): Promise<SubgraphFetchError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SubgraphFetchError, `expected a SubgraphFetchError, got ${String(error)}`);
    return error;
  }
  assert.fail('the fetch succeeded');
}
