// The metrics the services export, and a small PromQL reader that finds the metric and label names an
// expression uses, so that a dashboard panel or an alert with a typo fails a test instead of staying empty.

interface Metric {
  histogram?: boolean;
  labels: string[];
}

/**
 * What the router and the subgraphs export (the README's metrics list). The test checks it against the
 * registries the built router and kit create (exported.ts), so it cannot drift from the code.
 */
export const METRICS: Record<string, Metric> = {
  router_operations_total: { labels: ['operation_name', 'operation_type', 'client_name', 'outcome'] },
  router_operation_duration_seconds: { histogram: true, labels: ['operation_type', 'outcome'] },
  router_subgraph_request_duration_seconds: { histogram: true, labels: ['subgraph', 'outcome'] },
  router_query_planning_duration_seconds: { histogram: true, labels: [] },
  router_cache_hits_total: { labels: ['cache'] },
  router_cache_misses_total: { labels: ['cache'] },
  router_operation_cost: { histogram: true, labels: ['kind'] },
  router_rejections_total: { labels: ['code'] },
  router_subscriptions_active: { labels: [] },
  router_subgraph_fetch_attempts_total: { labels: ['subgraph', 'outcome'] },
  router_subgraph_retries_total: { labels: ['subgraph', 'granted'] },
  router_subgraph_fetches_deduplicated_total: { labels: ['subgraph'] },
  router_subgraph_circuit_state: { labels: ['subgraph', 'state'] },
  process_resident_memory_bytes: { labels: [] },
  nodejs_eventloop_lag_seconds: { labels: [] },
  events_dead_letters: { labels: ['stream'] },
  events_consumer_lag: { labels: ['stream', 'group'] },
  events_outbox_oldest_age_seconds: { labels: [] },
  events_outbox_unpublished: { labels: [] },
  events_published_total: { labels: [] },
  subgraph_requests_total: { labels: ['operation_type', 'outcome'] },
  subgraph_request_duration_seconds: { histogram: true, labels: ['operation_type', 'outcome'] },
  subgraph_resolver_errors_total: { labels: ['code'] },
  subgraph_metrics_collect_failures_total: { labels: ['source'] },
  events_relay_failed_rounds_total: { labels: [] },
  events_handled_total: { labels: ['streams'] },
  events_failed_total: { labels: ['streams'] },
  db_pool_clients: { labels: [] },
  db_pool_idle_clients: { labels: [] },
  db_pool_waiting_requests: { labels: [] },
  db_pool_max_clients: { labels: [] },
  router_operations_filtered_total: { labels: [] },
  // OpenTelemetry semantic conventions in their Prometheus form (router and subgraphs; GraphQL: the router).
  http_server_request_duration_seconds: { histogram: true, labels: ['http_request_method', 'http_response_status_code', 'http_route'] },
  graphql_server_request_duration_seconds: { histogram: true, labels: ['graphql_operation_type', 'graphql_operation_name', 'error_type'] },
  graphql_server_request_plan_duration_seconds: { histogram: true, labels: [] },
  // Prometheus' own per target.
  up: { labels: [] },
};

/** Labels Prometheus adds to every series it scrapes through a ServiceMonitor. */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'service', 'endpoint', 'container'];

const KEYWORDS = new Set([
  ...'and or unless bool offset on ignoring group_left group_right by without inf nan'.split(' '),
  ...'sum min max avg count stddev stdvar topk bottomk quantile count_values group limitk limit_ratio'.split(' '),
]);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** The series a name refers to: a metric, or one of a histogram's _bucket/_sum/_count series. */
function lookup(name: string): { metric: Metric; labels: string[] } | undefined {
  const plain = METRICS[name];
  if (plain && !plain.histogram) return { metric: plain, labels: plain.labels };
  const match = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = match ? METRICS[match[1] ?? ''] : undefined;
  if (!match || !base?.histogram) return undefined;
  return { metric: base, labels: match[2] === 'bucket' ? [...base.labels, 'le'] : base.labels };
}

/** Problems with one expression ([] when every metric and label exists); `where` names the panel or rule. */
export function promqlProblems(expr: string, where: string): string[] {
  const { metrics, selectorLabels, groupingLabels } = scan(expr);
  const problems: string[] = [];
  if (metrics.length === 0) problems.push(`${where}: no metric in "${expr}"`);
  const known = new Set([...TARGET_LABELS]);
  for (const { name, labels } of metrics) {
    const series = lookup(name);
    if (!series) {
      problems.push(`${where}: unknown metric "${name}" (known: ${Object.keys(METRICS).join(', ')})`);
      continue;
    }
    for (const label of series.labels) known.add(label);
    for (const label of labels) {
      if (!series.labels.includes(label) && !TARGET_LABELS.includes(label)) problems.push(`${where}: ${name} has no label "${label}"`);
    }
  }
  for (const label of [...groupingLabels, ...selectorLabels]) {
    if (!known.has(label)) problems.push(`${where}: no metric in the expression has the label "${label}"`);
  }
  return problems;
}

/** The metric names an expression reads (for coverage checks). */
export function metricsOf(expr: string): string[] {
  return scan(expr).metrics.map(({ name }) => name);
}

function scan(expr: string) {
  const source = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals (Grafana variables live there)
    .replace(/\[[^\]]*\]/g, '') // range and subquery durations
    .replace(/\$\{?\w+\}?/g, ''); // any Grafana variable left outside a string
  const metrics: { name: string; labels: string[] }[] = [];
  const groupingLabels: string[] = [];
  const selectorLabels: string[] = [];
  const token = /([A-Za-z_:][\w:]*)\s*(\(|\{)?|\{|\d[\w.]*/g;
  for (let match = token.exec(source); match; match = token.exec(source)) {
    const [whole, name, next] = match;
    if (!name) {
      if (whole === '{') selectorLabels.push(...labelsIn(readUntil(source, token, '}')));
      continue;
    }
    if (GROUPING.has(name) && next === '(') {
      groupingLabels.push(
        ...readUntil(source, token, ')')
          .split(',')
          .map((label) => label.trim())
          .filter(Boolean),
      );
    } else if (next !== '(' && !KEYWORDS.has(name)) {
      // not a function call nor an operator
      metrics.push({ name, labels: next === '{' ? labelsIn(readUntil(source, token, '}')) : [] });
    }
  }
  return { metrics, groupingLabels, selectorLabels };
}

/** The text up to `close`, moving the scanner past it. */
function readUntil(source: string, token: RegExp, close: string): string {
  const end = source.indexOf(close, token.lastIndex);
  const text = source.slice(token.lastIndex, end === -1 ? source.length : end);
  token.lastIndex = end === -1 ? source.length : end + 1;
  return text;
}

function labelsIn(selector: string): string[] {
  return [...selector.matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((match) => match[1] ?? '');
}

/** A Grafana template variable's query: `label_values(<selector>, <label>)` or a plain expression. */
export function variableQueryProblems(query: string, where: string): string[] {
  const labelValues = /^\s*label_values\((.*),\s*([A-Za-z_]\w*)\s*\)\s*$/s.exec(query);
  if (!labelValues) return promqlProblems(query, where);
  const selector = labelValues[1] ?? '';
  const label = labelValues[2] ?? '';
  const problems = promqlProblems(selector, where);
  const labels = metricsOf(selector).flatMap((name) => lookup(name)?.labels ?? []);
  if (!labels.includes(label) && !TARGET_LABELS.includes(label)) problems.push(`${where}: "${selector}" has no label "${label}"`);
  return problems;
}
