import type { LimiterStore } from '@commerce/kit';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { backoffSeconds, type BackoffPolicy } from '../domain/throttling.js';
import { defined } from '@commerce/kit';

/**
 * Failed-authentication counts and back-off blocks in rate-limiter-flexible (Redis in production, else memory),
 * for a few dimensions at once (e.g. account+address, account, address). Per dimension, one limiter counts
 * failures in the policy's window and another holds the current block.
 */
export class FailureThrottle<Dimension extends string> {
  private readonly failures = new Map<Dimension, RateLimiterAbstract>();
  private readonly blocks = new Map<Dimension, RateLimiterAbstract>();

  constructor(
    store: LimiterStore,
    keyPrefix: string,
    private readonly policies: Record<Dimension, BackoffPolicy>,
  ) {
    for (const [dimension, policy] of Object.entries(policies) as [Dimension, BackoffPolicy][]) {
      // `points` is never reached: failures are counted with penalty(), which does not refuse.
      this.failures.set(
        dimension,
        store.limiter({ points: 1_000_000, duration: policy.windowSeconds, keyPrefix: `${keyPrefix}${dimension}:n` }),
      );
      this.blocks.set(dimension, store.limiter({ points: 1, duration: policy.maxSeconds, keyPrefix: `${keyPrefix}${dimension}:b` }));
    }
  }

  /** Seconds until all the given keys may try again (the longest block among them); 0: now. */
  async retryAfterSeconds(keys: Partial<Record<Dimension, string>>): Promise<number> {
    const waits = await Promise.all(
      this.entries(keys).map(async ([dimension, key]) => {
        const block = await defined(this.blocks.get(dimension), `the block limiter of ${dimension}`).get(key);
        return block && block.consumedPoints > 1 ? Math.ceil(block.msBeforeNext / 1000) : 0;
      }),
    );
    return Math.max(0, ...waits);
  }

  /** Counts a failure for each given key and starts its back-off once past the free ones; returns the longest. */
  async failed(keys: Partial<Record<Dimension, string>>): Promise<number> {
    const waits = await Promise.all(
      this.entries(keys).map(async ([dimension, key]) => {
        const count = await defined(this.failures.get(dimension), `the failure limiter of ${dimension}`).penalty(key, 1);
        const seconds = backoffSeconds(count.consumedPoints, this.policies[dimension]);
        if (seconds > 0) await defined(this.blocks.get(dimension), `the block limiter of ${dimension}`).block(key, seconds);
        return seconds;
      }),
    );
    return Math.max(0, ...waits);
  }

  /** Forgets a key's failures and block (a successful authentication). */
  async clear(dimension: Dimension, key: string): Promise<void> {
    await Promise.all([
      defined(this.failures.get(dimension), `the failure limiter of ${dimension}`).delete(key),
      defined(this.blocks.get(dimension), `the block limiter of ${dimension}`).delete(key),
    ]);
  }

  private entries(keys: Partial<Record<Dimension, string>>): [Dimension, string][] {
    return (Object.entries(keys) as [Dimension, string | undefined][]).filter(
      (entry): entry is [Dimension, string] => entry[1] !== undefined,
    );
  }
}

/** Keys remembered for a while (an address a user logged in from), in the same store. */
export class RememberedKeys {
  private readonly limiter: RateLimiterAbstract;

  constructor(
    store: LimiterStore,
    keyPrefix: string,
    private readonly seconds: number,
  ) {
    this.limiter = store.limiter({ points: 1, duration: seconds, keyPrefix });
  }

  async remember(key: string): Promise<void> {
    await this.limiter.set(key, 1, this.seconds);
  }

  async has(key: string): Promise<boolean> {
    return (await this.limiter.get(key)) !== null;
  }
}
