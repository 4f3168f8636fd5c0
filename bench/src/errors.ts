/** A failure that ends a benchmark with a one-line message (no stack). */
export class BenchError extends Error {}

/** Rethrows a failed wait (kit's `waitFor`) as a BenchError: the bench reports it in one line. */
export function benchError(error: unknown): never {
  if (error instanceof BenchError) throw error;
  throw new BenchError(error instanceof Error ? error.message : String(error));
}
