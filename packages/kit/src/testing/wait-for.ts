/**
 * The one way tests wait: resolves once `check` holds, polling every `intervalMs`; fails after `timeoutMs` naming
 * `what` (and `detail()`, e.g. a process's output). Never a fixed sleep before an assertion.
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  detail: () => string = () => '',
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${detail()}`.trimEnd());
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * `promise`'s outcome (a message, a reply, an exit) once it settles; fails after `timeoutMs` naming `what`. The
 * other half of waiting: for a promise rather than a condition.
 */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Lets `ms` pass, for the one case no event can show: a test of a time-based behaviour (a retry backoff, a blocking
 * read, a consumer that must stay idle) that asserts what did not happen within that time. `why` says which
 * behaviour. Anything on the event bus: `drainBus`; anything with an event: `waitFor` on it.
 */
export function letTimePass(ms: number, why: string): Promise<void> {
  if (why.trim() === '') throw new Error('letTimePass needs the time-based behaviour it gives time to');
  return new Promise((resolve) => setTimeout(resolve, ms));
}
