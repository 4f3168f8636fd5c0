import type { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import { registerDbPoolMetrics } from './db-pool.js';
import { registerEventMetrics, type EventMetricsSource } from './events.js';
import { createSubgraphRegistry } from './registry.js';
import { RequestMetrics } from './requests.js';

export interface SubgraphMetrics {
  /** What GET /metrics serves. */
  registry: Registry;
  requests: RequestMetrics;
}

/** Every series one subgraph server exports (see the README's "Subgraph metrics"). */
export function createSubgraphMetrics(options: { db: Database; events?: EventMetricsSource; logger: Logger }): SubgraphMetrics {
  const registry = createSubgraphRegistry();
  const requests = new RequestMetrics(registry);
  registerDbPoolMetrics(registry, options.db);
  if (options.events) registerEventMetrics({ registry, events: options.events, logger: options.logger });
  return { registry, requests };
}
