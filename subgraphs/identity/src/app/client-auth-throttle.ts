import type { LimiterStore, Logger } from '@commerce/kit';
import { FailureThrottle } from '../data/failure-throttle.js';
import type { ClientAuthThrottle } from '../domain/oauth.js';
import { addressKey, clientKey, type ClientAuthThrottleConfig } from '../domain/throttling.js';

/**
 * Partner client authentication throttling: per client id + address, and per address. Nothing counts per client
 * id alone: a secret is 256 random bits, so guessing it is hopeless anyway, and a per-client count would let
 * anyone who knows a client id lock the partner out. The throttle keeps floods of wrong secrets cheap.
 */
export class PartnerAuthThrottle implements ClientAuthThrottle {
  private readonly failures: FailureThrottle<'pair' | 'address'>;

  constructor(
    store: LimiterStore,
    keyPrefix: string,
    config: ClientAuthThrottleConfig,
    private readonly logger: Logger,
  ) {
    this.failures = new FailureThrottle(store, `${keyPrefix}client:`, config);
  }

  retryAfterSeconds(clientId: string, address: string): Promise<number> {
    return this.failures.retryAfterSeconds(keysOf(clientId, address));
  }

  async failed(clientId: string, address: string): Promise<void> {
    const keys = keysOf(clientId, address);
    const retryAfterSeconds = await this.failures.failed(keys);
    // Not the client id: it may be a secret sent in its place (the token endpoint logs only well-formed ids).
    if (retryAfterSeconds > 0) this.logger.info({ address: keys.address, retryAfterSeconds }, 'failed client authentications: back-off');
  }

  async succeeded(clientId: string, address: string): Promise<void> {
    await this.failures.clear('pair', keysOf(clientId, address).pair);
  }
}

function keysOf(clientId: string, address: string) {
  const from = addressKey(address);
  return { pair: `${clientKey(clientId)}@${from}`, address: from };
}
