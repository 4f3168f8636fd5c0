import { collectDefaultMetrics, Registry } from 'prom-client';

let processMetrics: Registry | undefined;

/**
 * Node's process metrics (`process_*`, `nodejs_*`), collected once per process: collecting them again would start
 * another GC observer and event-loop monitor. Every registry that serves them (each subgraph server's, and the
 * router's when the embedded platform runs it in the same process) registers these same metric objects.
 */
export function processMetricsRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/** A registry for one subgraph server, with the process's metrics in it (see processMetricsRegistry). */
export function createSubgraphRegistry(): Registry {
  const shared = processMetricsRegistry();
  const registry = new Registry();
  for (const { name } of shared.getMetricsAsArray()) {
    const metric = shared.getSingleMetric(name);
    if (metric) registry.registerMetric(metric);
  }
  return registry;
}
