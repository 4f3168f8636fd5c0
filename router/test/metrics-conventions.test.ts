import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, metricsPortFromEnv } from '@commerce/kit';
import { postQuery, startIssuer, startStubSubgraph, startTestRouter, type Issuer, type StubSubgraph, type TestRouter } from './support.js';

// OpenTelemetry-named series beside ours, the partial answers the error-rate alert leaves out, and METRICS_PORT.
const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated"])
type Query {
  hello: String!
  secret: String @authenticated
  boom: String
}`;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  const samples: Sample[] = [];
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1]!, label[2]!]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels are exactly `labels` (besides `le`): a missing label must be missing. */
function exactly(samples: Sample[], name: string, labels: Record<string, string>): number {
  return samples
    .filter((sample) => sample.name === name)
    .filter((sample) => {
      const own = Object.entries(sample.labels).filter(([key]) => key !== 'le');
      return own.length === Object.keys(labels).length && own.every(([key, value]) => labels[key] === value);
    })
    .reduce((sum, sample) => sum + sample.value, 0);
}

const delta = (before: Sample[], after: Sample[], name: string, labels: Record<string, string>) =>
  exactly(after, name, labels) - exactly(before, name, labels);

describe('router metrics: OpenTelemetry names, partial answers, METRICS_PORT', () => {
  let issuer: Issuer;
  let subgraph: StubSubgraph;
  let router: TestRouter;
  let metricsUrl: string;

  before(async () => {
    issuer = await startIssuer();
    subgraph = await startStubSubgraph('things', SDL, {
      Query: {
        hello: () => 'world',
        secret: () => 'the secret',
        boom: () => {
          throw new Error('the subgraph failed');
        },
      },
    });
    router = await startTestRouter([subgraph], issuer, { metricsPort: 0 });
    metricsUrl = `${router.router.metricsUrl}/metrics`;
  });

  after(async () => {
    await router?.stop();
    await subgraph?.stop();
    await issuer?.stop();
  });

  test('with METRICS_PORT, /metrics is served on that port only, and that port serves nothing else', async () => {
    assert.ok(router.router.metricsUrl, 'the router reports where its metrics are');
    assert.notEqual(new URL(router.router.metricsUrl).port, new URL(router.router.baseUrl).port);
    const samples = await scrape(metricsUrl);
    assert.ok(samples.some((sample) => sample.name === 'router_operations_total' || sample.name === 'router_cache_hits_total'));
    assert.equal((await fetch(`${router.router.baseUrl}/metrics`)).status, 404, 'not on the public port');
    assert.equal((await fetch(`${router.router.metricsUrl}/graphql`)).status, 404, 'the metrics port is no second door to the API');
    assert.equal((await fetch(metricsUrl, { method: 'POST' })).status, 404);
  });

  test('http_server_request_duration_seconds: method, status code and route template, bounded', async () => {
    const before = await scrape(metricsUrl);
    assert.equal((await postQuery(router.router.url, 'query Hello { hello }')).status, 200);
    assert.equal((await fetch(`${router.router.baseUrl}/health/live`)).status, 200);
    assert.equal((await fetch(`${router.router.baseUrl}/no/such/path/12345`)).status, 404);
    const odd = (await fetch(`${router.router.baseUrl}/graphql`, { method: 'PROPFIND' })).status;
    const after = await scrape(metricsUrl);
    const name = 'http_server_request_duration_seconds_count';
    assert.equal(delta(before, after, name, { http_request_method: 'POST', http_response_status_code: '200', http_route: '/graphql' }), 1);
    assert.equal(
      delta(before, after, name, { http_request_method: 'GET', http_response_status_code: '200', http_route: '/health/live' }),
      1,
    );
    // An unknown path is no label value (it would be unbounded): the route is left out, as OpenTelemetry says.
    assert.equal(delta(before, after, name, { http_request_method: 'GET', http_response_status_code: '404' }), 1);
    assert.ok(!after.some((sample) => Object.values(sample.labels).some((value) => value.includes('/no/such'))));
    assert.equal(
      delta(before, after, name, { http_request_method: '_OTHER', http_response_status_code: String(odd), http_route: '/graphql' }),
      1,
    );
    const buckets = after
      .filter((sample) => sample.name === 'http_server_request_duration_seconds_bucket')
      .map((sample) => sample.labels.le);
    assert.ok(buckets.includes('0.075') && buckets.includes('7.5'), "OpenTelemetry's advised bucket boundaries");
  });

  test('graphql_server_request_duration_seconds: operation type and name, error type only for failures', async () => {
    const before = await scrape(metricsUrl);
    await postQuery(router.router.url, 'query Hello { hello }');
    await postQuery(router.router.url, 'query Broken { boom }');
    await postQuery(router.router.url, 'query Typo { helo }');
    await postQuery(router.router.url, 'query Unfinished { hello');
    const after = await scrape(metricsUrl);
    const name = 'graphql_server_request_duration_seconds_count';
    assert.equal(delta(before, after, name, { graphql_operation_type: 'query', graphql_operation_name: 'Hello' }), 1);
    assert.equal(
      delta(before, after, name, { graphql_operation_type: 'query', graphql_operation_name: 'Broken', error_type: '_execution_error' }),
      1,
    );
    // Neither parsed nor validated: the operation's type and name are not known (nor sent as operationName).
    assert.equal(delta(before, after, name, { graphql_operation_name: 'unknown', error_type: '_validation_error' }), 1);
    assert.equal(delta(before, after, name, { graphql_operation_name: 'unknown', error_type: '_parse_error' }), 1);
    // Planned once (Broken is new to the plan cache), timed under OpenTelemetry's name too.
    assert.equal(
      delta(before, after, 'graphql_server_request_plan_duration_seconds_count', {}),
      delta(before, after, 'router_query_planning_duration_seconds_count', {}),
    );
    assert.ok(delta(before, after, 'graphql_server_request_plan_duration_seconds_count', {}) >= 1);
  });

  test('a partial answer filtered by authorization is counted apart, so the error-rate alert can leave it out', async () => {
    const before = await scrape(metricsUrl);
    const filtered = await postQuery(router.router.url, 'query Peek { hello secret }');
    assert.deepEqual(filtered.body.data, { hello: 'world', secret: null });
    assert.equal(filtered.body.errors?.[0]?.extensions?.code, 'UNAUTHORIZED_FIELD_OR_TYPE');
    const broken = await postQuery(router.router.url, 'query Worse { secret boom }');
    assert.equal(broken.body.errors?.length, 2, 'filtered and failed: a real error');
    const after = await scrape(metricsUrl);
    assert.equal(delta(before, after, 'router_operations_filtered_total', {}), 1);
    // Still an error in our own series (unchanged), and no failure in OpenTelemetry's.
    const ops = 'router_operations_total';
    assert.equal(
      delta(before, after, ops, { operation_name: 'Peek', operation_type: 'query', client_name: 'unknown', outcome: 'error' }),
      1,
    );
    assert.equal(
      delta(before, after, 'graphql_server_request_duration_seconds_count', {
        graphql_operation_type: 'query',
        graphql_operation_name: 'Peek',
      }),
      1,
    );
    assert.equal(
      delta(before, after, 'graphql_server_request_duration_seconds_count', {
        graphql_operation_type: 'query',
        graphql_operation_name: 'Worse',
        error_type: '_execution_error',
      }),
      1,
    );
  });

  test('router_operations_filtered_total exists at 0 from the start (the alert subtracts it)', async () => {
    const fresh = await startTestRouter([subgraph], issuer);
    try {
      const samples = await scrape(`${fresh.router.baseUrl}/metrics`);
      assert.equal(fresh.router.metricsUrl, undefined, 'without METRICS_PORT, /metrics stays on the service port');
      assert.deepEqual(
        samples.filter((sample) => sample.name === 'router_operations_filtered_total').map((sample) => sample.value),
        [0],
      );
    } finally {
      await fresh.stop();
    }
  });

  test('METRICS_PORT is validated: a port number, never the service port', () => {
    assert.equal(metricsPortFromEnv({}, 4000), undefined);
    assert.equal(metricsPortFromEnv({ METRICS_PORT: '9464' }, 4000), 9464);
    assert.throws(
      () => metricsPortFromEnv({ METRICS_PORT: '4000' }, 4000),
      (error: unknown) => error instanceof ConfigError && /METRICS_PORT must differ from PORT/.test(error.message),
    );
    assert.throws(() => metricsPortFromEnv({ METRICS_PORT: 'metrics' }, 4000), ConfigError);
  });
});
