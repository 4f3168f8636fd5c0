import type { FormattedExecutionResult } from 'graphql';
import { defined } from '@commerce/kit';

export interface Guard {
  /** When the subscriber's access token expires (ms since the epoch); Infinity for anonymous. */
  expiresAt: number;
  /** Aborted when the token's session is signed out: the stream ends like an expired token's. */
  revoked?: AbortSignal;
  /**
   * Called once when the stream ends, however it ends; `failed`: an error ended it (the token expired, or the
   * last event before the end had errors and no data: the upstream failed), not the client nor the subgraph's
   * completion.
   */
  onEnd(failed: boolean): void;
}

const TOKEN_EXPIRED: FormattedExecutionResult = {
  errors: [{ message: 'The access token expired; subscribe again with a new one', extensions: { code: 'UNAUTHENTICATED' } }],
};
const SESSION_REVOKED: FormattedExecutionResult = {
  errors: [{ message: 'The session was signed out; sign in again', extensions: { code: 'UNAUTHENTICATED' } }],
};
// setTimeout's limit; a longer token is re-checked when the timer fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Wraps a subscriber's stream: when its access token expires, or its session is signed out, the stream
 * gets one UNAUTHENTICATED error and ends (and releases its upstream); `onEnd` lets the transports count active subscriptions.
 *
 * The expiry timer wakes the one pending `next()` through a callback: racing every `next()` against a
 * long-lived expiry promise would keep a reaction per event alive until the token expires.
 */
export function guarded(
  inner: AsyncIterableIterator<FormattedExecutionResult>,
  guard: Guard,
): AsyncIterableIterator<FormattedExecutionResult> {
  let finished = false;
  let ending: FormattedExecutionResult | undefined; // set when the token expired or its session was revoked
  let lastFailed = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const finish = async (failed: boolean) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    guard.revoked?.removeEventListener('abort', onRevoked);
    guard.onEnd(failed);
    await inner.return?.();
  };
  if (Number.isFinite(guard.expiresAt)) {
    const arm = () => {
      const left = guard.expiresAt - Date.now();
      if (left > 0) {
        timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
        return;
      }
      ending ??= TOKEN_EXPIRED;
      wake?.();
    };
    arm();
  }
  const onRevoked = () => {
    ending ??= SESSION_REVOKED;
    wake?.();
  };
  if (guard.revoked?.aborted) onRevoked();
  else guard.revoked?.addEventListener('abort', onRevoked, { once: true });
  const endingResult = async (): Promise<IteratorResult<FormattedExecutionResult>> => {
    const value = defined(ending, 'the ending result');
    await finish(true);
    return { value, done: false };
  };

  const iterator: AsyncIterableIterator<FormattedExecutionResult> = {
    async next() {
      if (finished) return { value: undefined, done: true };
      if (ending) return endingResult();
      const result = await new Promise<IteratorResult<FormattedExecutionResult> | 'ending'>((resolve, reject) => {
        wake = () => resolve('ending');
        inner.next().then(resolve, reject);
      });
      wake = undefined;
      if (result === 'ending') return endingResult();
      if (result.done) await finish(lastFailed);
      else lastFailed = Boolean(result.value.errors?.length) && result.value.data == null;
      return result;
    },
    async return() {
      await finish(false);
      return { value: undefined, done: true };
    },
    // Transports tell an async generator by its throw() (graphql-sse only returns() what has one).
    async throw() {
      await finish(false);
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
