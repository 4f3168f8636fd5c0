const WINDOW_SECONDS = 10;

/**
 * How many retries a subgraph may get (Finagle's and Linkerd's retry budget): over the last 10 seconds, at most
 * `percent` % of the fetches, plus `minPerSecond` per second. A subgraph that fails everything thus sees at
 * most that much extra load from retries, however many requests arrive: retries help with a lost connection
 * or a restarting instance, and stop before they turn an outage into an overload.
 */
export class RetryBudget {
  // One bucket per second of the window, reused round-robin.
  private readonly fetches = new Float64Array(WINDOW_SECONDS);
  private readonly retries = new Float64Array(WINDOW_SECONDS);
  private second = 0;

  constructor(
    private readonly percent: number,
    private readonly minPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A first attempt: it earns `percent` % of a retry. */
  fetched(): void {
    const slot = this.advance();
    this.fetches[slot] = (this.fetches[slot] ?? 0) + 1;
  }

  /** Takes one retry out of the budget; false when there is none left (the fetch then fails as it did). */
  withdraw(): boolean {
    const slot = this.advance();
    let fetches = 0;
    let retries = 0;
    for (const count of this.fetches) fetches += count;
    for (const count of this.retries) retries += count;
    if (retries + 1 > (fetches * this.percent) / 100 + this.minPerSecond * WINDOW_SECONDS) return false;
    this.retries[slot] = (this.retries[slot] ?? 0) + 1;
    return true;
  }

  /** The current second's bucket, after clearing those of the seconds that passed since the last call. */
  private advance(): number {
    const second = Math.floor(this.now() / 1000);
    const passed = Math.min(second - this.second, WINDOW_SECONDS);
    for (let i = 1; i <= passed; i += 1) {
      const slot = (this.second + i) % WINDOW_SECONDS;
      this.fetches[slot] = 0;
      this.retries[slot] = 0;
    }
    if (passed > 0) this.second = second;
    return this.second % WINDOW_SECONDS;
  }
}
