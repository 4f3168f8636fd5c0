import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../log.js';

/** How long a scrape waits for a gauge that needs a database or Redis query. */
export const COLLECT_TIMEOUT_MS = 2_000;

const TIMEOUT = Symbol('timeout');

export interface ScrapeSourceOptions {
  registry: Registry;
  /** The `source` label of `subgraph_metrics_collect_failures_total`. */
  source: string;
  logger: Logger;
  timeoutMs?: number;
}

/**
 * Loads what several gauges show once per scrape: every gauge's `collect()` awaits the same read. The value is
 * undefined when the load failed or took longer than the timeout: the scrape goes on without those series. A load
 * still running is awaited again rather than started again, so a hanging database never piles up queries.
 */
export function scrapeSource<T>(load: () => Promise<T>, options: ScrapeSourceOptions): () => Promise<T | undefined> {
  const failures = failureCounter(options.registry);
  const timeoutMs = options.timeoutMs ?? COLLECT_TIMEOUT_MS;
  let loading: Promise<T> | undefined;
  let reading: Promise<T | undefined> | undefined;
  let failing = false;
  failures.inc({ source: options.source }, 0); // the series exists from the start, so increase() works on the first failure
  const failed = (reason: string) => {
    failures.inc({ source: options.source });
    if (!failing) options.logger.warn({ source: options.source, reason }, 'metrics: collecting failed; the scrape leaves these series out');
    failing = true;
    return undefined;
  };
  const read = async (): Promise<T | undefined> => {
    loading ??= load().finally(() => {
      loading = undefined;
    });
    const pending = loading;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMEOUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMEOUT), timeoutMs);
    });
    try {
      const result = await Promise.race([pending, timeout]);
      if (result === TIMEOUT) return failed(`no answer within ${timeoutMs} ms`);
      failing = false;
      return result;
    } catch (error) {
      return failed(error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
    }
  };
  const shared = () => (reading ??= read().finally(() => (reading = undefined)));
  readersOf.get(options.registry)?.push(shared);
  return shared;
}

/** The scrape-time reads of each registry: its failure counter waits for them, so it counts this scrape's failures. */
const readersOf = new WeakMap<Registry, (() => Promise<unknown>)[]>();

function failureCounter(registry: Registry): Counter<'source'> {
  const name = 'subgraph_metrics_collect_failures_total';
  const existing = registry.getSingleMetric(name) as Counter<'source'> | undefined;
  if (existing) return existing;
  const readers: (() => Promise<unknown>)[] = [];
  readersOf.set(registry, readers);
  return new Counter({
    name,
    help: 'Scrapes that left out gauges because their query failed or timed out',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      await Promise.all(readers.map((read) => read()));
    },
  });
}
