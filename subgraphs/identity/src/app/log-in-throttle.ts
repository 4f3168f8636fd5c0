import type { LimiterStore, Logger } from '@commerce/kit';
import { FailureThrottle, RememberedKeys } from '../data/failure-throttle.js';
import { accountKey, addressKey, type LogInThrottleConfig } from '../domain/throttling.js';

/**
 * Log-in throttling (see the README, "Log-in throttling"). Failed log-ins are counted per account+address,
 * per account and per address. An address the account logged in from lately is known: there only the
 * account+address back-off applies, so no one elsewhere can keep the user out. Elsewhere all three apply.
 */
export class LogInThrottle {
  private readonly failures: FailureThrottle<'pair' | 'account' | 'address'>;
  private readonly known: RememberedKeys;

  constructor(
    store: LimiterStore,
    keyPrefix: string,
    config: LogInThrottleConfig,
    private readonly logger: Logger,
  ) {
    this.failures = new FailureThrottle(store, `${keyPrefix}login:`, {
      pair: config.pair,
      account: config.account,
      address: config.address,
    });
    this.known = new RememberedKeys(store, `${keyPrefix}login:known`, config.knownAddressSeconds);
  }

  /** Seconds before this email may be tried from this address; 0: now. Checked before the password. */
  async retryAfterSeconds(email: string, address: string): Promise<number> {
    const { pair, account, address: from } = keysOf(email, address);
    const known = await this.known.has(pair);
    return this.failures.retryAfterSeconds(known ? { pair } : { pair, account, address: from });
  }

  async failed(email: string, address: string): Promise<void> {
    const keys = keysOf(email, address);
    const retryAfterSeconds = await this.failures.failed(keys);
    // The account as its hash, like the store's keys: no email address in the logs.
    if (retryAfterSeconds > 0)
      this.logger.info({ account: keys.account, address: keys.address, retryAfterSeconds }, 'failed log-ins: back-off');
  }

  async succeeded(email: string, address: string): Promise<void> {
    const { pair } = keysOf(email, address);
    await Promise.all([this.failures.clear('pair', pair), this.known.remember(pair)]);
  }
}

function keysOf(email: string, address: string) {
  const account = accountKey(email);
  const from = addressKey(address);
  return { pair: `${account}@${from}`, account, address: from };
}
