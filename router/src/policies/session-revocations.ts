import type { Logger } from '@commerce/kit';

/**
 * Revoked sessions: identity signs a session out (a reused refresh token, or every session of a user) and
 * lists it in its revocation feed (`GET /sessions/revoked?since=<ms>`, identity's
 * http/revocations-endpoint.ts); the router polls the feed every `intervalMs` and keeps the revoked session
 * ids until the last access token of each has expired. Authentication refuses a token whose `sid` is listed
 * (401 UNAUTHENTICATED, the verified-token cache notwithstanding), and the subscriptions of that session end.
 *
 * Polling rather than pub/sub: nothing is lost while the router is away or a connection drops (each poll
 * asks from a little before the last answer's time), a router that starts fetches the whole current list
 * before serving, and embedded and production modes use the same path. Identity unreachable: the list
 * keeps what it has, the router keeps serving, and a warning is logged (at most every WARN_INTERVAL_MS).
 */
export interface SessionRevocationOptions {
  /** The feed's URL (see revocationFeedUrlOf). */
  url: string;
  /** Poll interval; 0 turns the feed off. */
  intervalMs: number;
  /** How long a request to the feed may take. */
  timeoutMs?: number;
  logger: Logger;
}

export const SESSION_REVOCATION_DEFAULTS = { intervalMs: 2000, timeoutMs: 2000 } as const;

/** Each poll asks from this long before identity's previous answer: clock skew between identity replicas. */
const OVERLAP_MS = 30_000;
const WARN_INTERVAL_MS = 30_000;
/** Entries are kept a little past their `until`: the router's clock may be behind identity's. */
const EXPIRY_MARGIN_MS = 60_000;

interface FeedAnswer {
  now: number;
  revoked: { sid: string; until: number }[];
}

export class SessionRevocations {
  /** sid -> until when one of its tokens may be presented (ms since the epoch). */
  private readonly denied = new Map<string, number>();
  private readonly listeners = new Set<(sessionIds: string[]) => void>();
  private readonly log: Logger;
  private since: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;
  private lastWarning = 0;

  constructor(private readonly options: SessionRevocationOptions) {
    this.log = options.logger.child({ component: 'session-revocations' });
  }

  isRevoked(sessionId: string | undefined): boolean {
    return sessionId !== undefined && this.denied.has(sessionId);
  }

  /** Called with the session ids newly revoked, after they are in the list. */
  onRevoked(listener: (sessionIds: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fetches the current list (waiting at most one request's timeout), then polls in the background. */
  async start(): Promise<void> {
    if (this.options.intervalMs <= 0) return;
    await this.poll();
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private poll(): Promise<void> {
    this.polling = this.fetchOnce().catch((error: unknown) => this.warn(error));
    return this.polling;
  }

  private async fetchOnce(): Promise<void> {
    const url = new URL(this.options.url);
    if (this.since !== undefined) url.searchParams.set('since', String(Math.max(0, this.since - OVERLAP_MS)));
    const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? SESSION_REVOCATION_DEFAULTS.timeoutMs) });
    if (!response.ok) throw new Error(`revocation feed answered ${response.status}`);
    const answer = parseAnswer(await response.json());
    const now = Date.now();
    const added: string[] = [];
    for (const { sid, until } of answer.revoked) {
      if (!this.denied.has(sid)) added.push(sid);
      this.denied.set(sid, Math.max(until, this.denied.get(sid) ?? 0));
    }
    for (const [sid, until] of this.denied) if (until + EXPIRY_MARGIN_MS < now) this.denied.delete(sid);
    this.since = answer.now;
    if (added.length === 0) return;
    this.log.info({ sessions: added.length }, 'sessions revoked');
    for (const listener of this.listeners) {
      try {
        listener(added);
      } catch (error) {
        this.log.error({ err: error }, 'revocation listener failed');
      }
    }
  }

  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = now;
    this.log.warn({ err: error }, 'cannot fetch revoked sessions; tokens of sessions revoked since are still accepted');
  }
}

function parseAnswer(body: unknown): FeedAnswer {
  const answer = body as Partial<FeedAnswer> | null;
  if (
    typeof answer?.now !== 'number' ||
    !Array.isArray(answer.revoked) ||
    !answer.revoked.every((entry) => typeof entry?.sid === 'string' && typeof entry.until === 'number')
  ) {
    throw new Error('revocation feed answered an unexpected shape');
  }
  return answer as FeedAnswer;
}

/** identity serves its revocation feed beside its key set: `…/.well-known/jwks.json` -> `…/sessions/revoked`. */
export function revocationFeedUrlOf(jwksUrl: string): string {
  const url = new URL(jwksUrl);
  url.pathname = url.pathname.endsWith('/.well-known/jwks.json')
    ? url.pathname.replace(/\/\.well-known\/jwks\.json$/, '/sessions/revoked')
    : '/sessions/revoked';
  url.search = '';
  return url.toString();
}
