/** A failure that ends a benchmark with a one-line message (no stack). */
export class BenchError extends Error {}
