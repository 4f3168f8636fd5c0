import type { RequestHandler, Response } from 'express';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { ROLES, type Logger, type Principal, type Role, deleteOldest } from '@commerce/kit';
import { recordCacheLookup, recordRejection } from '../metrics.js';

/**
 * Authentication: verifies the `Authorization: Bearer <jwt>` access token issued by identity and turns
 * it into a Principal. No header means anonymous; a bad token is refused with 401 before any subgraph
 * is called, so a client never silently gets anonymous results for a token it believes is valid.
 */
export const TOKEN_ISSUER = 'commerce-identity';
export const TOKEN_AUDIENCE = 'commerce-supergraph';

export interface AuthenticationOptions {
  jwksUrl: string;
  logger: Logger;
  /** Whether the token's session was signed out (session-revocations.ts); checked on every use, cached or not. */
  isRevoked?: (token: VerifiedToken) => boolean;
}

class InvalidToken extends Error {
  code = 'ERR_INVALID_CLAIMS';
}

/** Verified tokens kept (oldest evicted first); each only until it expires. */
const VERIFIED_CACHE_SIZE = 10_000;

/** jose errors that mean "we could not get the keys", not "the token is bad". */
const KEY_SET_UNAVAILABLE = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

/** A verified access token: who it is, and when it stops being valid (ms since the epoch). */
export interface VerifiedToken {
  principal: Principal;
  expiresAt: number;
  /** The `sid` claim: the identity session the token was issued in (partner tokens have none). */
  sessionId?: string;
}

export type TokenCheck =
  | { ok: true; token: VerifiedToken }
  | { ok: false; status: 401 | 503; code: 'UNAUTHENTICATED' | 'SERVICE_UNAVAILABLE'; message: string };

/**
 * Verifies an `Authorization` header value against identity's key set. Shared by HTTP requests and
 * subscription connections (WebSocket `connection_init`, SSE requests).
 */
export function tokenVerifier(options: AuthenticationOptions): (header: string) => Promise<TokenCheck> {
  const { logger } = options;
  // jose caches the key set and refetches it (rate limited) when a token names an unknown kid.
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
  // A signature check costs ~0.5 ms of CPU; a client sends the same token for up to 15 minutes.
  const verified = new Map<string, VerifiedToken>();
  const revokedOr = (token: VerifiedToken): TokenCheck => {
    if (!options.isRevoked?.(token)) return { ok: true, token };
    logger.info({ reason: 'SESSION_REVOKED', userId: token.principal.userId }, 'access token refused');
    recordRejection('UNAUTHENTICATED');
    return { ok: false, status: 401, code: 'UNAUTHENTICATED', message: 'The session was signed out; sign in again' };
  };
  return async (header) => {
    try {
      const token = /^Bearer (\S+)$/.exec(header)?.[1];
      if (!token) throw new InvalidToken('expected "Bearer <token>"');
      const cached = verified.get(token);
      const hit = cached !== undefined && cached.expiresAt > Date.now();
      recordCacheLookup('token', hit);
      if (hit) return revokedOr(cached);
      const { payload } = await jwtVerify(token, jwks, {
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        algorithms: ['EdDSA'],
      });
      const result: VerifiedToken = { principal: toPrincipal(payload), expiresAt: (payload.exp ?? Infinity) * 1000, ...sessionOf(payload) };
      if (verified.size >= VERIFIED_CACHE_SIZE) deleteOldest(verified);
      if (Number.isFinite(result.expiresAt)) verified.set(token, result);
      return revokedOr(result);
    } catch (error) {
      if (error instanceof InvalidToken || (error instanceof errors.JOSEError && !KEY_SET_UNAVAILABLE.has(error.code))) {
        // Never log the token; the error code (ERR_JWT_EXPIRED, ...) is enough to diagnose.
        logger.info({ reason: error.code, detail: error.message }, 'access token refused');
        recordRejection('UNAUTHENTICATED');
        return { ok: false, status: 401, code: 'UNAUTHENTICATED', message: 'The access token is invalid or expired' };
      }
      // Identity's key set is unreachable: fail closed, but do not tell the client its token is bad.
      logger.error({ err: error }, 'cannot verify access tokens: key set unavailable');
      recordRejection('SERVICE_UNAVAILABLE');
      return { ok: false, status: 503, code: 'SERVICE_UNAVAILABLE', message: 'Authentication is temporarily unavailable' };
    }
  };
}

export function authentication(options: AuthenticationOptions): RequestHandler {
  const verify = tokenVerifier(options);
  return async (req, res, next) => {
    const header = req.headers.authorization;
    if (header === undefined) return next();
    const check = await verify(header);
    if (!check.ok) {
      res.status(check.status);
      if (check.status === 401) res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      return void res.json(failure(check.message, check.code));
    }
    res.locals.principal = check.token.principal;
    next();
  };
}

/** The principal the authentication middleware attached to this request, if any. */
export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

function toPrincipal(payload: JWTPayload): Principal {
  const { sub, role, vendor, scope } = payload;
  if (typeof sub !== 'string' || sub === '') throw new InvalidToken('missing sub');
  if (typeof role !== 'string' || !ROLES.includes(role as Role)) throw new InvalidToken('unknown role');
  if (vendor !== undefined && typeof vendor !== 'string') throw new InvalidToken('vendor must be a string');
  if (scope !== undefined && typeof scope !== 'string') throw new InvalidToken('scope must be a string');
  return {
    userId: sub,
    role: role as Role,
    ...(vendor ? { vendorId: vendor } : {}),
    scopes: scope ? scope.split(' ').filter(Boolean) : [],
  };
}

function sessionOf(payload: JWTPayload): { sessionId?: string } {
  const { sid } = payload;
  if (sid !== undefined && (typeof sid !== 'string' || sid === '')) throw new InvalidToken('sid must be a string');
  return sid ? { sessionId: sid } : {};
}

function failure(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}
