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
