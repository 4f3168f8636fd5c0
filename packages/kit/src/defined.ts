/**
 * `value`, or a clear error naming `what` when it is null or undefined: for values the code knows are there (an index
 * within bounds, a key set a line above) where TypeScript cannot see it. Used instead of the `!` assertion (Biome's
 * noNonNullAssertion), which would let an undefined travel on and fail later, far from the cause.
 */
export function defined<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`${what} is missing`);
  return value;
}

/** Forgets the oldest entry of a Map or Set (insertion order): the eviction of the small bounded caches. */
export function deleteOldest<K>(entries: Map<K, unknown> | Set<K>): void {
  const oldest = entries.keys().next();
  if (!oldest.done) entries.delete(oldest.value);
}
