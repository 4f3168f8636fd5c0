import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import { registerDbPoolMetrics } from './db-pool.js';
import { registerEventMetrics, type EventMetricsSource } from './events.js';
import { httpServerMetrics } from './http-server.js';
import { createSubgraphRegistry } from './registry.js';
import { RequestMetrics } from './requests.js';

export interface SubgraphMetrics {
  /** What GET /metrics serves. */
  registry: Registry;
  requests: RequestMetrics;
  /** Times every HTTP request (OpenTelemetry's http_server_request_duration_seconds): mount it first. */
  http: RequestHandler;
}

/** The subgraph server's own routes, as `http_route` values; a subgraph's extra routes have none. */
export const SUBGRAPH_ROUTES = ['/graphql', '/health/live', '/health/ready', '/metrics'] as const;

/** Every series one subgraph server exports (see the README's "Subgraph metrics"). */
export function createSubgraphMetrics(options: { db: Database; events?: EventMetricsSource; logger: Logger }): SubgraphMetrics {
  const registry = createSubgraphRegistry();
  const requests = new RequestMetrics(registry);
  registerDbPoolMetrics(registry, options.db);
  if (options.events) registerEventMetrics({ registry, events: options.events, logger: options.logger });
  const http = httpServerMetrics([registry], SUBGRAPH_ROUTES);
  return { registry, requests, http };
}
