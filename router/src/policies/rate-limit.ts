import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { openLimiterStore, type Logger, type Principal } from '@commerce/kit';
import type { RouterContext } from '../context.js';

/**
 * Rate limiting: every operation that runs consumes `operationWeight(...)` points from two buckets, one per
 * caller (the signed-in user's id, which a partner's client id will also be, else the client's address, see
 * client-address.ts) and one per tenant (the principal's vendorId, when there is one), so a vendor's staff
 * share one budget between them. Subscriptions are charged their estimated cost when they start (over
 * graphql-ws and SSE, see subscriptions/sessions.ts); queries and mutations sent over those transports run
 * through Apollo Server and this plugin, keyed by the socket's client.
 *
 * It is enforced at `didResolveOperation`: after parsing and validation, before the gateway plans or
 * calls any subgraph. An operation refused (by this or any other policy) spends nothing. Over the limit the request gets HTTP 429, `Retry-After` (seconds) and the error
 * code `REQUEST_RATE_LIMITED` (Apollo Router's code for the same rejection). Every limited response, the
 * accepted ones too, carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds until
 * the window resets; IETF draft-ietf-httpapi-ratelimit-headers) for the bucket closest to its limit.
 *
 * Buckets are fixed windows counted by rate-limiter-flexible: in Redis when `redisUrl` is set (one atomic
 * Lua INCR + TTL per bucket, so every router instance sharing the Redis shares the budget), else in the
 * process's memory (each instance counts on its own).
 *
 * In a batched HTTP request each operation is counted and refused on its own; the batch shares one HTTP
 * head, so one refused operation makes the whole response a 429 (the other operations still have data).
 *
 * **Redis down fails open**: the request is served without a limit (and without RateLimit-* headers for
 * that bucket) and a warning is logged (at most one per `WARN_INTERVAL_MS`); the client keeps reconnecting
 * in the background. A limiter outage must never take the API down with it.
 */
export interface RateLimitOptions {
  /** Default true. */
  enabled?: boolean;
  /** Cost points per caller (user id or client IP) per window. Default 30000. */
  points?: number;
  /** Cost points per tenant (vendor) per window, shared by all of its users. Default 150000. */
  tenantPoints?: number;
  /** Window length in seconds. Default 60. */
  windowSeconds?: number;
  /** `redis://` URL: count in Redis, shared by every router using the same Redis and prefix. Default: in memory. */
  redisUrl?: string;
  /** Prefix of every Redis key, one per deployment (tests use a unique one). Default `rl:`. */
  keyPrefix?: string;
  /** A Redis call slower than this fails open. Default 500 ms. */
  redisTimeoutMs?: number;
  /** Points an operation costs; default `operationWeight` (its estimated cost, at least 1). */
  weight?: OperationWeight;
}

type ResolvedOptions = Required<Omit<RateLimitOptions, 'redisUrl' | 'weight'>> & Pick<RateLimitOptions, 'redisUrl'>;

export const RATE_LIMIT_DEFAULTS: Readonly<Omit<ResolvedOptions, 'redisUrl'>> = {
  enabled: true,
  points: 30_000,
  tenantPoints: 150_000,
  windowSeconds: 60,
  keyPrefix: 'rl:',
  redisTimeoutMs: 500,
};

export const RATE_LIMITED_CODE = 'REQUEST_RATE_LIMITED';
const WARN_INTERVAL_MS = 30_000;

export type OperationWeight = (requestContext: GraphQLRequestContextDidResolveOperation<RouterContext>) => number | Promise<number>;

/**
 * How many points an operation consumes: its estimated cost (set by the demand-control policy, which is
 * listed before this plugin and sets it synchronously in its didResolveOperation hook), at least 1.
 */
export const operationWeight: OperationWeight = ({ contextValue }) => Math.max(1, contextValue.estimatedCost ?? 1);

interface Bucket {
  name: 'caller' | 'tenant';
  limit: number;
  limiter: RateLimiterAbstract;
}

interface Outcome {
  bucket: Bucket;
  key: string;
  points: number;
  res: RateLimiterRes;
  rejected: boolean;
}

/** Who is charged: the signed-in principal, else the client's address. */
export interface RateLimitCaller {
  principal?: Principal;
  clientAddress?: string;
}

/** The outcome of charging an operation; `refund()` gives the points back (once). */
export type Charge =
  | { ok: true; headers?: HeaderMap; refund(): Promise<void> }
  | { ok: false; retryAfter: number; headers: HeaderMap; error: GraphQLFormattedError };

export interface RateLimiter {
  /** Charges `points` to the caller's buckets; over the limit nothing is spent and the charge is refused. */
  charge(caller: RateLimitCaller, points: number): Promise<Charge>;
  /** The HTTP side (and queries and mutations over a subscription transport, which run through Apollo Server). */
  plugin: ApolloServerPlugin<RouterContext>;
}

/**
 * The rate limiter; it owns its Redis client, opened at server start and closed at stop (by its plugin).
 *
 * Only operations that run are charged: an operation refused by another policy (introspection, operation
 * limits, cost, authorization in reject mode) spends nothing, and neither does a refused one. Over HTTP the
 * points are taken in `didResolveOperation`, so a caller over its limit is refused before any other policy
 * does work (authorization may call subgraphs), and given back unless execution starts (so an operation of
 * the same caller at that very moment may see them as spent, for the few ms until the refund).
 */
export function rateLimiter(options: RateLimitOptions, logger: Logger): RateLimiter {
  const config: ResolvedOptions = { ...RATE_LIMIT_DEFAULTS, ...withoutUndefined(options) };
  const weightOf = options.weight ?? operationWeight;
  const log = logger.child({ policy: 'rate-limit' });
  if (!config.enabled) return { charge: async () => ({ ok: true, refund: async () => {} }), plugin: {} };
  for (const key of ['points', 'tenantPoints', 'windowSeconds'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new Error(`rateLimit.${key} must be a positive integer`);
  }

  let buckets: Bucket[] = [];
  let closeStore = async () => {};
  let lastWarning = 0;
  let suppressed = 0;
  const warnFailOpen = (error: unknown, bucket: string) => {
    const now = Date.now();
    if (now - lastWarning < WARN_INTERVAL_MS) {
      suppressed += 1;
      return;
    }
    log.warn({ err: error, bucket, suppressed }, 'rate limit store unavailable: serving without a limit (fail open)');
    lastWarning = now;
    suppressed = 0;
  };

  const consume = async (bucket: Bucket, key: string, points: number): Promise<Outcome | undefined> => {
    try {
      const res = await withTimeout(bucket.limiter.consume(key, points), config.redisUrl ? config.redisTimeoutMs : undefined);
      return { bucket, key, points, res, rejected: false };
    } catch (error) {
      // A refused consume still counted its points: they are given back below.
      if (error instanceof RateLimiterRes) return { bucket, key, points, res: error, rejected: true };
      warnFailOpen(error, bucket.name);
      return undefined;
    }
  };

  const giveBack = async (outcomes: readonly Outcome[]): Promise<void> => {
    await Promise.all(
      outcomes.map(async ({ bucket, key, points }) => {
        if (points === 0) return;
        try {
          await withTimeout(bucket.limiter.reward(key, points), config.redisUrl ? config.redisTimeoutMs : undefined);
        } catch (error) {
          warnFailOpen(error, bucket.name);
        }
      }),
    );
  };

  const charge = async ({ principal, clientAddress }: RateLimitCaller, points: number): Promise<Charge> => {
    const [caller, tenant] = buckets;
    if (!caller || !tenant) return { ok: true, refund: async () => {} }; // not started (or stopping)
    const callerKey = principal ? `user:${principal.userId}` : `ip:${clientAddress ?? 'unknown'}`;
    const outcomes = (
      await Promise.all([
        consume(caller, callerKey, points),
        principal?.vendorId ? consume(tenant, `vendor:${principal.vendorId}`, points) : undefined,
      ])
    ).filter((outcome): outcome is Outcome => outcome !== undefined);
    let refunded = false;
    const refund = async () => {
      if (refunded) return;
      refunded = true;
      await giveBack(outcomes);
    };
    if (outcomes.length === 0) return { ok: true, refund };

    const rejected = outcomes.filter((outcome) => outcome.rejected);
    // Report the bucket that refused (the one that frees up last), else the one closest to its limit.
    const shown = rejected.length
      ? rejected.reduce((a, b) => (b.res.msBeforeNext > a.res.msBeforeNext ? b : a))
      : outcomes.reduce((a, b) => (b.res.remainingPoints / b.bucket.limit < a.res.remainingPoints / a.bucket.limit ? b : a));
    if (rejected.length === 0) return { ok: true, headers: rateLimitHeaders(shown), refund };

    await refund(); // a refused operation spends nothing, in either bucket
    const headers = rateLimitHeaders(shown, shown.bucket.limit - (shown.res.consumedPoints - points)); // as it is after the refund
    const retryAfter = secondsUntil(shown.res.msBeforeNext);
    headers.set('retry-after', String(retryAfter));
    log.info(
      { bucket: shown.bucket.name, key: shown.bucket.name === 'tenant' ? principal?.vendorId : callerKey, points, retryAfter },
      'request rate limited',
    );
    const error = { message: `Your request has been rate limited; retry after ${retryAfter} s`, extensions: { code: RATE_LIMITED_CODE } };
    return { ok: false, retryAfter, headers, error };
  };

  const pointsFor = async (requestContext: GraphQLRequestContextDidResolveOperation<RouterContext>): Promise<number> => {
    try {
      const weight = await weightOf(requestContext);
      if (Number.isFinite(weight)) return Math.max(0, Math.ceil(weight));
      throw new Error(`operation weight is ${weight}`);
    } catch (error) {
      log.error({ err: error }, 'cannot weigh the operation; charging 1 point');
      return 1;
    }
  };

  const plugin: ApolloServerPlugin<RouterContext> = {
    async serverWillStart() {
      // While Redis is away the limiter fails at once and the request goes through (fail open; see below).
      const store = await openLimiterStore({
        redisUrl: config.redisUrl,
        logger: log,
        connectTimeoutMs: config.redisTimeoutMs * 4,
        whileRedisDown: 'fail',
        purpose: 'rate limit',
      });
      closeStore = store.close;
      const limiter = (name: Bucket['name'], points: number): Bucket => ({
        name,
        limit: points,
        limiter: store.limiter({ points, duration: config.windowSeconds, keyPrefix: `${config.keyPrefix}${name}` }),
      });
      buckets = [limiter('caller', config.points), limiter('tenant', config.tenantPoints)];
      log.info(
        {
          store: config.redisUrl ? 'redis' : 'memory',
          points: config.points,
          tenantPoints: config.tenantPoints,
          windowSeconds: config.windowSeconds,
        },
        'rate limits on',
      );
      return {
        serverWillStop: () => {
          buckets = [];
          return closeStore();
        },
      };
    },

    async requestDidStart() {
      // Set once this operation's points are taken (a promise: another policy's refusal can end the
      // request while the store is still answering).
      let charged: Promise<Charge> | undefined;
      let executing = false;
      return {
        async didResolveOperation(requestContext) {
          const { principal, clientAddress } = requestContext.contextValue;
          charged = pointsFor(requestContext).then((points) => charge({ principal, clientAddress }, points));
          const outcome = await charged;
          if (outcome.ok) {
            for (const [name, value] of outcome.headers ?? []) requestContext.response.http.headers.set(name, value);
            return;
          }
          throw new GraphQLError(outcome.error.message, {
            extensions: { ...outcome.error.extensions, http: { status: 429, headers: outcome.headers } },
          });
        },
        async executionDidStart() {
          executing = true;
        },
        async willSendResponse() {
          if (executing || !charged) return;
          const outcome = await charged.catch(() => undefined);
          if (outcome?.ok) await outcome.refund(); // refused by another policy: it spends nothing
        },
      };
    },
  };
  return { charge, plugin };
}

function rateLimitHeaders({ bucket, res }: Outcome, remaining = res.remainingPoints): HeaderMap {
  return new HeaderMap([
    ['ratelimit-limit', String(bucket.limit)],
    ['ratelimit-remaining', String(Math.max(0, Math.min(bucket.limit, remaining)))],
    ['ratelimit-reset', String(secondsUntil(res.msBeforeNext))],
  ]);
}

function secondsUntil(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

async function withTimeout<T>(promise: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`rate limit store did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
