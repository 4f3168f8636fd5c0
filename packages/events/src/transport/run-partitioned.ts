/**
 * Runs `fn` on every item, at most `limit` at once. Items of one partition (same `partitionOf`) run one after
 * another, in list order: the next starts only once the previous one settled. Free slots go to the earliest item
 * whose partition is idle, so with `limit` 1 the items run in list order. An item whose partition is undefined is a
 * partition of its own.
 *
 * Once a run rejects, no further item starts; the promise settles when every started run has settled, rejecting
 * with the first error (the items never started are left to the caller's recovery, as a serial loop would).
 */
export function runPartitioned<T>(
  items: readonly T[],
  partitionOf: (item: T) => string | undefined,
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const waiting = items.map((item) => ({ item, partition: partitionOf(item) }));
  const busy = new Set<string>();
  const slots = Math.max(1, Math.floor(limit));
  let running = 0;
  let failure: { error: unknown } | undefined;
  return new Promise<void>((resolve, reject) => {
    const fill = (): void => {
      while (failure === undefined && running < slots) {
        const index = waiting.findIndex(({ partition }) => partition === undefined || !busy.has(partition));
        if (index < 0) break;
        const [next] = waiting.splice(index, 1);
        if (!next) break;
        const { item, partition } = next;
        running += 1;
        if (partition !== undefined) busy.add(partition);
        Promise.resolve()
          .then(() => fn(item))
          .catch((error: unknown) => {
            failure ??= { error };
          })
          .finally(() => {
            running -= 1;
            if (partition !== undefined) busy.delete(partition);
            fill();
          });
      }
      if (running > 0) return;
      if (failure === undefined) resolve();
      else reject(failure.error);
    };
    fill();
  });
}
