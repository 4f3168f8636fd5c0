// The metrics the services really export: the registries that the built router and kit create, read by path
// (k8s lists them as devDependencies so that turbo builds them first and re-runs k8s's tests when they change).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './manifests.js';

export interface ExportedMetric {
  type: string;
  labelNames: string[];
}

// prom-client's registry, as far as read here (its metric objects carry their label names).
interface RegistryLike {
  getMetricsAsArray(): { name: string; type?: string; labelNames?: string[] }[];
}

const load = (path: string) => import(pathToFileURL(join(REPO_ROOT, path)).href);

/** Metric name -> type and label names, for one router and one subgraph server (with a pool and an event bus). */
export async function exportedMetrics(): Promise<Map<string, ExportedMetric>> {
  const kit = await load('packages/kit/dist/src/index.js');
  const { RouterMetrics } = await load('router/dist/src/metrics.js');
  const router = new RouterMetrics();
  const subgraph = kit.createSubgraphMetrics({
    db: { poolStats: () => ({ total: 0, idle: 0, waiting: 0, max: 10 }) },
    events: {
      stats: () => ({ relay: { published: 0, failedRounds: 0 }, consumers: [] }),
      gauges: async () => ({ outbox: { unpublished: 0, oldestAgeMs: null }, streams: [] }),
    },
    logger: kit.createLogger('k8s-test', 'silent'),
  });
  try {
    const found = new Map<string, ExportedMetric>();
    for (const registry of [router.registry, subgraph.registry] as RegistryLike[]) {
      for (const metric of registry.getMetricsAsArray()) {
        found.set(metric.name, { type: String(metric.type ?? ''), labelNames: [...(metric.labelNames ?? [])].sort() });
      }
    }
    return found;
  } finally {
    router.close();
  }
}
