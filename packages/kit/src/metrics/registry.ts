import { collectDefaultMetrics, Registry } from 'prom-client';

let processMetrics: Registry | undefined;

/**
 * A registry for one subgraph server, with Node's process metrics (`process_*`, `nodejs_*`) in it. The process
 * metrics are created once per process and registered in every server's registry: collecting them per server would
 * start another GC observer and event-loop monitor each time (embedded mode and tests run several servers).
 */
export function createSubgraphRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  const registry = new Registry();
  for (const { name } of processMetrics.getMetricsAsArray()) {
    const metric = processMetrics.getSingleMetric(name);
    if (metric) registry.registerMetric(metric);
  }
  return registry;
}
