import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@commerce/kit';
import { FETCH_DEFAULTS, fetchConfigFromEnv } from '../src/fetch/config.js';
import { TEST_SECRET } from './support.js';

// The fetch layer's settings from the environment: defaults, values, and a clear refusal of bad ones.
test('unset: the documented defaults', () => {
  assert.deepEqual(fetchConfigFromEnv({}), FETCH_DEFAULTS);
});

test('every ROUTER_SUBGRAPH_* setting is read', () => {
  const config = fetchConfigFromEnv({
    ROUTER_SUBGRAPH_CONNECTIONS: '8',
    ROUTER_SUBGRAPH_KEEPALIVE_MS: '1000',
    ROUTER_SUBGRAPH_COMPRESSION: 'false',
    ROUTER_SUBGRAPH_DEDUP: 'no',
    ROUTER_SUBGRAPH_RETRIES: '0',
    ROUTER_SUBGRAPH_RETRY_BASE_MS: '10',
    ROUTER_SUBGRAPH_RETRY_MAX_MS: '100',
    ROUTER_SUBGRAPH_RETRY_BUDGET_PERCENT: '20',
    ROUTER_SUBGRAPH_RETRY_MIN_PER_SECOND: '0',
    ROUTER_SUBGRAPH_BREAKER_FAILURES: '0',
    ROUTER_SUBGRAPH_BREAKER_HALF_OPEN_MS: '250',
    ROUTER_SUBGRAPH_MAX_CONCURRENT: '16',
    ROUTER_SUBGRAPH_MAX_QUEUED: '0',
  });
  assert.deepEqual(config, {
    connections: 8,
    keepAliveMs: 1000,
    compression: false,
    dedup: false,
    retries: 0,
    retryBaseDelayMs: 10,
    retryMaxDelayMs: 100,
    retryBudgetPercent: 20,
    retryMinPerSecond: 0,
    breakerFailures: 0,
    breakerHalfOpenAfterMs: 250,
    maxConcurrent: 16,
    maxQueued: 0,
  });
});

test('bad values are refused with the setting named', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ ROUTER_SUBGRAPH_RETRIES: '11' }, /^ROUTER_SUBGRAPH_RETRIES must be a whole number from 0 to 10, got "11"$/],
    [{ ROUTER_SUBGRAPH_CONNECTIONS: '0' }, /^ROUTER_SUBGRAPH_CONNECTIONS must be a whole number from 1 to 10000, got "0"$/],
    [{ ROUTER_SUBGRAPH_BREAKER_HALF_OPEN_MS: '5s' }, /^ROUTER_SUBGRAPH_BREAKER_HALF_OPEN_MS must be a whole number/],
    [{ ROUTER_SUBGRAPH_DEDUP: 'maybe' }, /ROUTER_SUBGRAPH_DEDUP/],
    [
      { ROUTER_SUBGRAPH_RETRY_BASE_MS: '50', ROUTER_SUBGRAPH_RETRY_MAX_MS: '5' },
      /^ROUTER_SUBGRAPH_RETRY_MAX_MS \(5\) must not be below ROUTER_SUBGRAPH_RETRY_BASE_MS \(50\)$/,
    ],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => fetchConfigFromEnv(env),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
      JSON.stringify(env),
    );
  }
});

test('the router stops at start with one line for a bad setting (ROUTER_REQUEST_TIMEOUT_MS, ROUTER_SUBGRAPH_*)', () => {
  const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');
  for (const [env, expected] of [
    [
      { ROUTER_REQUEST_TIMEOUT_MS: '0' },
      /^configuration error: ROUTER_REQUEST_TIMEOUT_MS must be a whole number from 1 to 600000, got "0"\n$/,
    ],
    [
      { ROUTER_SUBGRAPH_MAX_QUEUED: '-1' },
      /^configuration error: ROUTER_SUBGRAPH_MAX_QUEUED must be a whole number from 0 to 1000000, got "-1"\n$/,
    ],
  ] as const) {
    const result = spawnSync(process.execPath, [main], {
      env: { PATH: process.env.PATH ?? '', ROUTER_SHARED_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, expected);
  }
});
