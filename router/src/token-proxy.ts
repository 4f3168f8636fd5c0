import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';
import { clientAddressHeaders, type Logger } from '@commerce/kit';

/** Partners ask the router's host for tokens; identity answers (`POST /oauth/token`, client credentials). */
export const TOKEN_PATH = '/oauth/token';
/** RFC 7009 token revocation, answered by identity too. */
export const REVOKE_PATH = '/oauth/revoke';
/** RFC 8414 metadata; identity writes the endpoints' URLs on the host the partner asked (sent as x-forwarded-host). */
export const METADATA_PATH = '/.well-known/oauth-authorization-server';
/** Identity refuses bodies over 8 KiB itself; this only bounds what the router buffers. */
const MAX_BODY = '16kb';
const TIMEOUT_MS = 5_000;
/** The answer headers RFC 6749 (§5.1, §5.2) and the throttle use; nothing else of identity's answer goes out. */
const ANSWER_HEADERS = ['content-type', 'cache-control', 'pragma', 'www-authenticate', 'retry-after'];

/**
 * `POST /oauth/token` (and `POST /oauth/revoke`, `GET /.well-known/oauth-authorization-server`: `path`), forwarded to identity's token endpoint as it came (body, content type, Authorization), so
 * that partners need no route to identity. Identity's own URL comes from the supergraph (or its override). When
 * identity cannot be reached the answer is 503 `temporarily_unavailable`, in the endpoint's error format.
 * The client's address goes along, signed like a principal: identity throttles failed authentications per
 * client id and address.
 */
export function tokenProxy(options: {
  /** Identity's path answering this route; the token endpoint by default. */
  path?: string;
  identityUrl: () => string | undefined;
  routerSecret: string;
  /** The client's address as TRUST_PROXY says (client-address.ts), as for every other request. */
  clientAddress: (request: IncomingMessage) => string;
  logger: Logger;
}): RequestHandler[] {
  return [
    express.raw({ type: () => true, limit: MAX_BODY }),
    async (req, res) => {
      const graphqlUrl = options.identityUrl();
      try {
        if (!graphqlUrl) throw new Error('identity has no URL yet (the supergraph has not loaded)');
        const headers: Record<string, string> = {};
        if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
        if (req.headers.authorization) headers.authorization = req.headers.authorization;
        Object.assign(headers, clientAddressHeaders(options.clientAddress(req), options.routerSecret));
        if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
        headers['x-forwarded-proto'] = req.protocol;
        const post = req.method === 'POST';
        const answer = await fetch(new URL(options.path ?? TOKEN_PATH, graphqlUrl), {
          method: post ? 'POST' : 'GET',
          headers,
          ...(post ? { body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0) } : {}),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        res.status(answer.status);
        for (const name of ANSWER_HEADERS) {
          const value = answer.headers.get(name);
          if (value !== null) res.set(name, value);
        }
        res.send(Buffer.from(await answer.arrayBuffer()));
      } catch (error) {
        options.logger.warn({ err: error }, 'token request: identity did not answer');
        res
          .status(503)
          .set({ 'cache-control': 'no-store', pragma: 'no-cache' })
          .json({ error: 'temporarily_unavailable', error_description: 'The token service is unavailable; try again shortly' });
      }
    },
  ];
}
