import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Database } from '../src/db/database.js';
import { startSubgraphServer, type RunningSubgraph } from '../src/http/subgraph-server.js';
import { createLogger } from '../src/log.js';
import { routeOf } from '../src/metrics/http-server.js';
import { principalHeaders } from '../src/principal.js';
import { parseSamples, sampleValue } from './support/prometheus.js';
import { probeSubgraph } from './support/probe-subgraph.js';

// A subgraph in production (METRICS_PORT set): /metrics on its own port, never beside /graphql.
describe('subgraph server: METRICS_PORT and OpenTelemetry http_server_request_duration_seconds', () => {
  const SECRET = 'metrics-port-test-secret-0123456789abcdef';
  const logger = createLogger('metrics-port-test', 'silent');
  let db: Database;
  let running: RunningSubgraph;
  let base: string;

  before(async () => {
    db = await openDatabase('memory://');
    running = await startSubgraphServer(probeSubgraph(), { db, logger, routerSecret: SECRET, port: 0, metricsPort: 0 });
    base = running.url.replace(/\/graphql$/, '');
  });
  after(async () => {
    await running?.close();
    await db?.close();
  });

  it('serves /metrics on the metrics port only, and nothing else there', async () => {
    assert.ok(running.metricsUrl);
    assert.notEqual(new URL(running.metricsUrl).port, new URL(base).port);
    assert.equal((await fetch(`${base}/metrics`)).status, 404, 'not beside /graphql');
    assert.equal((await fetch(`${running.metricsUrl}/graphql`)).status, 404);
    assert.equal((await fetch(`${running.metricsUrl}/health/ready`)).status, 404);
    const response = await fetch(`${running.metricsUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    assert.ok(sampleValue(parseSamples(await response.text()), 'process_resident_memory_bytes')! > 0);
  });

  it('times every HTTP request by method, status code and route template', async () => {
    const headers = { 'content-type': 'application/json', ...principalHeaders({ userId: 'u1', role: 'customer', scopes: [] }, SECRET) };
    assert.equal((await fetch(running.url, { method: 'POST', headers, body: JSON.stringify({ query: '{ hello }' }) })).status, 200);
    assert.equal((await fetch(`${base}/health/live`)).status, 200);
    assert.equal((await fetch(`${base}/nothing-here`)).status, 404);
    const samples = parseSamples(await (await fetch(`${running.metricsUrl}/metrics`)).text());
    const count = (labels: Record<string, string>) => sampleValue(samples, 'http_server_request_duration_seconds_count', labels);
    assert.equal(count({ http_request_method: 'POST', http_response_status_code: '200', http_route: '/graphql' }), 1);
    assert.equal(count({ http_request_method: 'GET', http_response_status_code: '200', http_route: '/health/live' }), 1);
    // This unknown path, and /metrics on the service port (the first test): a 404 has no http_route.
    assert.equal(count({ http_request_method: 'GET', http_response_status_code: '404' }), 2);
    assert.ok(!samples.some((sample) => Object.values(sample.labels).some((value) => value.includes('nothing-here'))));
    assert.equal(
      sampleValue(samples, 'subgraph_requests_total', { operation_type: 'query', outcome: 'success' }),
      1,
      'our own series as before',
    );
  });

  it('route templates: exact paths and prefix/* only', () => {
    const routes = ['/graphql', '/explorer/assets/*'];
    assert.equal(routeOf('/graphql', routes), '/graphql');
    assert.equal(routeOf('/graphql/x', routes), undefined);
    assert.equal(routeOf('/explorer/assets/app.js', routes), '/explorer/assets/*');
    assert.equal(routeOf('/explorer', routes), undefined);
  });
});
