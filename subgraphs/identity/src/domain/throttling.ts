import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { readInteger } from '@commerce/kit';

/**
 * Back-off after failed authentications (log-in passwords, partner client secrets): rules only, no store.
 *
 * Failures are counted per key in a window (`windowSeconds`, from the key's first failure). From the
 * `maxFailures`-th on, each failure blocks the key for `baseSeconds`, doubling, at most `maxSeconds`. While a key is blocked its attempts are refused without checking the secret, and are not
 * counted: waiting out the back-off is all a caller has to do, and no one can push a block past `maxSeconds`.
 */
export interface BackoffPolicy {
  maxFailures: number;
  baseSeconds: number;
  maxSeconds: number;
  windowSeconds: number;
}

/** How long the `failures`-th failure in a window blocks its key, in whole seconds (0: not at all). */
export function backoffSeconds(failures: number, policy: BackoffPolicy): number {
  const over = failures - policy.maxFailures;
  if (over < 0) return 0;
  return Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.min(over, 30));
}

/**
 * The address as a throttling key: IPv4 as is (an IPv4-mapped IPv6 address too), IPv6 by its /64, which is what
 * one subscriber gets; counting single IPv6 addresses would give an attacker 2^64 fresh keys.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped && isIPv4(mapped)) return mapped;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = (address.split('%')[0] ?? '').split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** Accounts are keyed by a hash of the normalized email: no email address lands in the limiter's store. */
export function accountKey(normalizedEmail: string): string {
  return createHash('sha256').update(`login:${normalizedEmail}`).digest('base64url').slice(0, 22);
}

/** Client ids too: a caller who swapped id and secret would otherwise put the secret in the store. */
export function clientKey(clientId: string): string {
  return createHash('sha256').update(`client:${clientId}`).digest('base64url').slice(0, 22);
}

export interface LogInThrottleConfig {
  /** One account from one address: the strictest, the rightful user's own typos included; cleared by a log-in from there. */
  pair: BackoffPolicy;
  /** One account from addresses it has not logged in from lately (a guessing attack spread over many addresses). */
  account: BackoffPolicy;
  /** One address, all accounts (one password tried against many accounts). */
  address: BackoffPolicy;
  /** How long a successful log-in makes its address known to the account (exempt from the account-wide back-off). */
  knownAddressSeconds: number;
}

export interface ClientAuthThrottleConfig {
  /** One partner client id from one address. */
  pair: BackoffPolicy;
  /** One address, all client ids. */
  address: BackoffPolicy;
}

type Env = Record<string, string | undefined>;

function backoff(env: Env): Pick<BackoffPolicy, 'baseSeconds' | 'maxSeconds'> {
  const baseSeconds = readInteger(env, 'AUTH_BACKOFF_BASE_SECONDS', 1, 1, 3600);
  return { baseSeconds, maxSeconds: readInteger(env, 'AUTH_BACKOFF_MAX_SECONDS', 300, baseSeconds, 3600) };
}

export function logInThrottleConfigFromEnv(env: Env): LogInThrottleConfig {
  const windowSeconds = readInteger(env, 'LOGIN_FAILURE_WINDOW_SECONDS', 3600, 60, 86_400);
  const policy = (variable: string, fallback: number): BackoffPolicy => ({
    ...backoff(env),
    windowSeconds,
    maxFailures: readInteger(env, variable, fallback, 1, 100_000),
  });
  return {
    pair: policy('LOGIN_MAX_FAILURES', 5),
    account: policy('LOGIN_ACCOUNT_MAX_FAILURES', 20),
    address: policy('LOGIN_ADDRESS_MAX_FAILURES', 100),
    // In-memory limiters time out with setTimeout, which cannot wait longer than 24.8 days.
    knownAddressSeconds: readInteger(env, 'LOGIN_KNOWN_ADDRESS_DAYS', 14, 1, 24) * 86_400,
  };
}

export function clientAuthThrottleConfigFromEnv(env: Env): ClientAuthThrottleConfig {
  const windowSeconds = readInteger(env, 'PARTNER_AUTH_WINDOW_SECONDS', 3600, 60, 86_400);
  return {
    pair: { ...backoff(env), windowSeconds, maxFailures: readInteger(env, 'PARTNER_AUTH_MAX_FAILURES', 10, 1, 10_000) },
    address: { ...backoff(env), windowSeconds, maxFailures: readInteger(env, 'PARTNER_AUTH_ADDRESS_MAX_FAILURES', 100, 1, 100_000) },
  };
}
