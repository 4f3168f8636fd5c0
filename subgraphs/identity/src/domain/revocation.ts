import { ACCESS_TOKEN_TTL_SECONDS } from './tokens.js';

/**
 * Session revocation, as the router needs to know it. A session (a refresh-token family; its id is the `sid`
 * claim of every access token issued in it) is revoked when one of its refresh tokens is reused, or by an
 * operator (all sessions of a user). Its access tokens stay cryptographically valid until they expire, so the
 * router keeps a deny-list of revoked session ids, fed by identity; an entry matters only until the last access
 * token issued before the revocation expires.
 */
export const ACCESS_TOKEN_TTL_MS = ACCESS_TOKEN_TTL_SECONDS * 1000;

export interface Revocation {
  sessionId: string;
  revokedAt: Date;
  /** When the last token of it expires, if not one access-token lifetime after the revocation (partner tokens). */
  until?: Date;
}

/** What the router's deny-list gets: the session id, and until when a token of it may still be presented. */
export interface DeniedSession {
  sid: string;
  /** ms since the epoch. */
  until: number;
}

/** The earliest revocation still worth reporting: older ones have no access token left alive. */
export function relevantSince(since: Date | undefined, now: Date): Date {
  const oldest = new Date(now.getTime() - ACCESS_TOKEN_TTL_MS);
  return since && since > oldest ? since : oldest;
}

export function deniedSession(revocation: Revocation): DeniedSession {
  return { sid: revocation.sessionId, until: revocation.until?.getTime() ?? revocation.revokedAt.getTime() + ACCESS_TOKEN_TTL_MS };
}
