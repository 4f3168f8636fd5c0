import { performance } from 'node:perf_hooks';
import type { ApolloGateway } from '@apollo/gateway';
import { tracingEnabled, type Logger } from '@commerce/kit';
import { gatewayInternals } from '../apollo-gateway-internals.js';
import type { RouterMetrics } from '../metrics.js';
import { routerTracer } from '../tracing.js';

/**
 * Query-plan cache and planning metrics for @apollo/gateway 2.x. Its executor looks each operation up in
 * `queryPlanStore` (a size-bounded LRU keyed by query hash and operation name) and, on a miss, calls
 * `queryPlanner.buildQueryPlan` synchronously and stores the plan. Both are private, so this wraps them
 * from outside, in this one place:
 * - the store, once: `get` counts hits and misses (cache="query_plan"), everything else passes through.
 *   The public alternative, `queryPlannerConfig.cache`, would replace the gateway's LRU with our own;
 *   wrapping keeps its sizing.
 * - the planner, after every supergraph (re)load, since the gateway builds a new one each time:
 *   `buildQueryPlan` is timed (router_query_planning_duration_seconds). Timing the call itself, rather than
 *   the store's miss-to-set interval, keeps other requests' work out of the figure. Subscriptions, which the
 *   router plans with the same planner, are timed too.
 * A gateway upgrade that renames the fields fails at start (the store) or leaves planning untimed (with a
 * warning), never a request.
 */
export function instrumentGateway(gateway: ApolloGateway, metrics: RouterMetrics, logger: Logger): void {
  const internals = gatewayInternals(gateway);
  const store = internals.queryPlanStore;
  if (!store) throw new Error('@apollo/gateway has no queryPlanStore any more: update router/src/metrics/gateway.ts');
  internals.queryPlanStore = {
    get: async (key) => {
      const plan = await store.get(key);
      metrics.cacheLookup('query_plan', plan !== undefined);
      return plan;
    },
    set: (key, value, options) => store.set(key, value, options),
    delete: (key) => store.delete(key),
    clear: () => store.clear(),
  };
  // Registered before the gateway loads; the gateway assigns its new planner before notifying listeners.
  gateway.onSchemaLoadOrUpdate(() => {
    const planner = internals.queryPlanner;
    if (!planner) return logger.warn('@apollo/gateway has no queryPlanner where expected: query planning is not timed');
    const build = planner.buildQueryPlan.bind(planner);
    planner.buildQueryPlan = (operation, options) => {
      const started = performance.now();
      const span = tracingEnabled() ? routerTracer().startSpan('graphql.plan') : undefined; // the request span is active
      try {
        return build(operation, options);
      } finally {
        span?.end();
        metrics.queryPlanning((performance.now() - started) / 1000);
      }
    };
  });
}
