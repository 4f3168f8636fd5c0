import { isDatabaseUnavailable, type Logger } from '@commerce/kit';
import type { IdentityDb } from '../data/client.js';
import { revokedSince } from '../data/session-revocation.js';
import { deniedSession, type DeniedSession } from '../domain/revocation.js';

export const REVOCATIONS_PATH = '/sessions/revoked';

export interface RevocationFeed {
  /** identity's clock (ms since the epoch): the router asks again with `since` a little before it. */
  now: number;
  revoked: DeniedSession[];
}

export type RevocationsAnswer = { status: 200; body: RevocationFeed } | { status: 400 | 500 | 503; body: { error: string } };

/**
 * `GET /sessions/revoked?since=<ms>`: the sessions revoked since then (at most one access-token lifetime back;
 * without `since`, that whole lifetime: what a starting router needs). Session ids are random and say nothing
 * about whom they belong to; the router polls this (identity is not public: only the router reaches it).
 */
export function revocationsEndpoint(db: IdentityDb, logger: Logger): (query: Record<string, unknown>) => Promise<RevocationsAnswer> {
  return async (query) => {
    const raw = query.since;
    if (raw !== undefined && (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw))) {
      return { status: 400, body: { error: 'since must be a time in ms since the epoch' } };
    }
    try {
      const now = new Date();
      const revoked = await revokedSince(db, raw === undefined ? undefined : new Date(Number(raw)), now);
      return { status: 200, body: { now: now.getTime(), revoked: revoked.map(deniedSession) } };
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        // a restart of the database: the router keeps its list and asks again at its next poll
        logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'revocation feed: database not reachable');
        return { status: 503, body: { error: 'revocations unavailable; try again shortly' } };
      }
      logger.error({ err: error }, 'revocation feed failed');
      return { status: 500, body: { error: 'revocations unavailable' } };
    }
  };
}
