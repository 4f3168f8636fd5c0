import { deleteOldest } from '@commerce/kit';

/**
 * Lets a repeated log line through once per interval per key: the first time, then at most once per `intervalMs`,
 * telling how many were held back meanwhile. Keys beyond `maxKeys` push out the least recently logged one, so
 * memory stays bounded whatever clients send.
 */
export class LogThrottle {
  private readonly keys = new Map<string, { until: number; held: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Undefined: do not log this one. A number: log it, saying how many were held back since the last line. */
  take(key: string): number | undefined {
    const now = this.now();
    const entry = this.keys.get(key);
    if (entry && entry.until > now) {
      entry.held += 1;
      return undefined;
    }
    this.keys.delete(key); // re-inserted last: the Map's order is the order of the last lines
    if (this.keys.size >= this.maxKeys) deleteOldest(this.keys);
    this.keys.set(key, { until: now + this.intervalMs, held: 0 });
    return entry?.held ?? 0;
  }
}
