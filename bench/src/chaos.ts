import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { demoData, LOG_LEVELS, startOwnPostgres, type Database, type OwnPostgres, defined } from '@commerce/kit';
import { openAll, quiescence, runChecks, type Check, type StockSnapshot } from './chaos-checks.js';
import { CARDS, OrderWatcher, Shopper, type CheckoutOutcome, type Customer, type PlannedCheckout } from './chaos-load.js';
import { runId, startProductionProcesses, type ProcessPlatform } from './checkout-platforms.js';
import { BenchError } from './errors.js';
import { BenchClient } from './http.js';
import { machineInfo } from './machine.js';
import { OwnRedis } from './own-servers.js';
import type { UnplannedExit } from './processes.js';
import { envReaders } from './settings.js';
import { round, summarize } from './stats.js';

/**
 * Chaos: production mode (one process per service, the fake payment provider a process of its own) on a PostgreSQL
 * and a Redis of the benchmark's own, under a checkout load (mixed cards, products with less stock than demand),
 * while it kills -9 orders, inventory, payments and the router (each started again), kills and restarts Redis, and
 * restarts PostgreSQL immediately. Then, once the platform is at rest, it checks the invariants (chaos-checks.ts).
 */

const BENCH_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_OUTPUT = join(BENCH_ROOT, 'results', 'chaos.json');

/** The faults, in order, each once the given share of the checkouts has started. */
const FAULTS = [
  { kind: 'kill -9', target: 'orders', at: 0.1 },
  { kind: 'kill -9', target: 'inventory', at: 0.22 },
  { kind: 'kill -9', target: 'payments', at: 0.34 },
  { kind: 'kill -9', target: 'router', at: 0.46 },
  { kind: 'kill -9 and restart', target: 'redis', at: 0.58 },
  { kind: 'immediate restart (shut down -m immediate, started again)', target: 'postgres', at: 0.7 },
] as const;

/**
 * Settings an operator would give a production deployment that must recover quickly: a killed consumer's events are
 * taken over after 10 s (default 60 s), retries back off at most 2 s.
 */
const SERVICE_ENV = { EVENTS_CLAIM_IDLE_MS: '10000', EVENTS_RETRY_MAX_MS: '2000' };

/** Products of the run: the first SCARCE have less stock than their demand, the others plenty. */
const PRODUCTS = 12;
const SCARCE = 3;
const SCARCE_UNITS_PER_WAREHOUSE = 8;
const PLENTY_UNITS = 1_000_000;
/** Customers signed up before the load; each is in one checkout at a time. */
const CUSTOMERS_PER_SLOT = 1;

interface Settings {
  checkouts: number;
  concurrency: number;
  /** How long one checkout may wait for its order to settle. */
  settleTimeoutMs: number;
  /** How long the platform may take to come to rest after the load. */
  quiesceTimeoutMs: number;
  /** A client gives up one request (retried meanwhile) after this. */
  stepTimeoutMs: number;
  downtimeMs: number;
  /** No checkout starts after this many seconds of load (the run is then flagged truncated). */
  maxSeconds: number;
  logLevel: string;
  output: string;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const { int } = envReaders(env);
  const logLevel = env.BENCH_LOG_LEVEL || 'silent';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw new BenchError(`BENCH_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    checkouts: int('BENCH_CHECKOUTS', 1000, 1, 100_000),
    concurrency: int('BENCH_CONCURRENCY', 20, 1, 200),
    settleTimeoutMs: int('BENCH_SETTLE_TIMEOUT_MS', 120_000, 1000, 600_000),
    quiesceTimeoutMs: int('BENCH_QUIESCE_TIMEOUT_MS', 180_000, 1000, 600_000),
    stepTimeoutMs: int('BENCH_STEP_TIMEOUT_MS', 60_000, 1000, 600_000),
    downtimeMs: int('BENCH_CHAOS_DOWNTIME_MS', 1000, 0, 60_000),
    maxSeconds: int('BENCH_MAX_SECONDS', 600, 30, 780), // the customers' access tokens last 15 minutes
    logLevel,
    output: env.BENCH_OUTPUT ? resolve(env.BENCH_OUTPUT) : DEFAULT_OUTPUT,
  };
}

const sleep = (ms: number) => new Promise((resolvePromise) => setTimeout(resolvePromise, ms));

/** A small deterministic generator: the same run plan every time. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function plan(count: number, run: string, productIds: string[]): PlannedCheckout[] {
  const random = mulberry32(11);
  return Array.from({ length: count }, (_, index) => {
    const cardRoll = random();
    const card = cardRoll < 0.7 ? CARDS[0] : cardRoll < 0.85 ? CARDS[1] : CARDS[2];
    return {
      index,
      idempotencyKey: `chaos-${run}-${index}`,
      productId: defined(productIds[Math.floor(random() * productIds.length)], 'a product id'),
      quantity: 1 + Math.floor(random() * 3),
      card,
    };
  });
}

interface FaultRecord {
  kind: string;
  target: string;
  /** Seconds since the load started. */
  atSeconds: number;
  checkoutsStarted: number;
  /** Orders of the run still PENDING (their sagas in flight) just before the fault. */
  ordersInFlight: number | null;
  /** From the fault to the target ready again. */
  recoverySeconds: number;
  error?: string;
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const settings = readSettings(env);
  const progress = (message: string) => process.stderr.write(`[chaos] ${message}\n`);
  const run = runId();
  const startedAt = performance.now();
  const loadBefore = loadavg()[0] ?? Number.NaN;
  const unplanned: UnplannedExit[] = [];
  let closing = false;
  let platform: ProcessPlatform | undefined;
  let dbs: Record<string, Database> = {};
  const client = { current: undefined as BenchClient | undefined };

  // Interrupted: exit at once; the exit hooks kill the service processes and the own servers, and delete their folders.
  const interrupt = () => {
    progress('interrupted: killing the processes and the own servers');
    process.exit(130);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  progress('starting an own PostgreSQL (initdb) and an own redis-server (append-only file)');
  const postgres = await startOwnPostgres({ maxConnections: 400 });
  const redis = await OwnRedis.start().catch(async (error: unknown) => {
    await postgres.close();
    throw error;
  });
  /** A process that died unplanned is counted, then started again, as a supervisor (Kubernetes) would. */
  const supervise = (exit: UnplannedExit) => {
    unplanned.push(exit);
    progress(
      `UNPLANNED EXIT of ${exit.service} (code ${exit.code}, signal ${exit.signal}): ${exit.output.split('\n').filter(Boolean).slice(-3).join(' | ').slice(0, 600)}`,
    );
    const service = platform?.services.get(exit.service);
    if (closing || !service || service.unplannedExits.length > 10) return;
    setTimeout(() => void (closing ? undefined : service.restart()), 1000);
  };
  try {
    // kit's own PostgreSQL is for throw-away data (synchronous_commit off: a crash loses the last commits). Here a
    // crash must lose nothing that was committed, as in production; fsync stays off (only a machine crash needs it).
    await adminQuery(postgres.url, 'ALTER SYSTEM SET synchronous_commit = on');
    await adminQuery(postgres.url, 'SELECT pg_reload_conf()');
    const setupStarted = performance.now();
    platform = await startProductionProcesses(
      {
        logLevel: settings.logLevel,
        postgresUrl: postgres.url,
        redisUrl: redis.url,
        embeddedStorage: 'disk',
        production: 'processes',
        progress,
      },
      { serviceEnv: SERVICE_ENV, onUnplannedExit: supervise },
    );
    const running = platform;
    const platformSeconds = (performance.now() - setupStarted) / 1000;
    dbs = await openAll(running.databaseUrls);
    client.current = new BenchClient(running.routerUrl, settings.concurrency + 8);

    // products: a few scarce, the rest plenty; nothing reserved
    const productIds = demoData()
      .products.slice(0, PRODUCTS)
      .map((product) => product.id);
    const scarce = productIds.slice(0, SCARCE);
    await defined(dbs.inventory, 'the inventory database').query(
      `UPDATE stock_levels SET on_hand = CASE WHEN product_id = ANY($2::uuid[]) THEN $3::int ELSE $4::int END, reserved = 0 WHERE product_id = ANY($1::uuid[])`,
      [productIds, scarce, SCARCE_UNITS_PER_WAREHOUSE, PLENTY_UNITS],
    );
    const initialRows = await defined(dbs.inventory, 'the inventory database').query<{
      product_id: string;
      on_hand: number;
      reserved: number;
    }>(
      'SELECT product_id::text AS product_id, sum(on_hand)::int AS on_hand, sum(reserved)::int AS reserved FROM stock_levels WHERE product_id = ANY($1::uuid[]) GROUP BY product_id',
      [productIds],
    );
    if (initialRows.length !== productIds.length)
      throw new BenchError(`only ${initialRows.length} of ${productIds.length} products have stock levels`);
    const initialStock = new Map<string, StockSnapshot>(
      initialRows.map((row) => [row.product_id, { onHand: row.on_hand, reserved: row.reserved }]),
    );

    const shopper = new Shopper(client.current, settings.stepTimeoutMs);
    const customerCount = settings.concurrency * CUSTOMERS_PER_SLOT;
    progress(`signing up ${customerCount} customers`);
    const customers: Customer[] = [];
    for (let index = 0; index < customerCount; index += 8) {
      customers.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(8, customerCount - index) }, (_, offset) => shopper.signUp(run, index + offset)),
        )),
      );
    }
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    // the load, and the faults alongside
    const checkouts = plan(settings.checkouts, run, productIds);
    const watcher = new OrderWatcher(() => defined(dbs.orders, 'the orders database'), 100);
    const outcomes: CheckoutOutcome[] = new Array(checkouts.length);
    let next = 0;
    const freeCustomers = [...customers];
    const loadStarted = performance.now();
    progress(
      `load: ${settings.checkouts} checkouts, ${settings.concurrency} in flight; faults at ${FAULTS.map((fault) => `${Math.round(fault.at * 100)}% ${fault.target}`).join(', ')}`,
    );
    const deadline = loadStarted + settings.maxSeconds * 1000;
    let truncated = false;
    const workers = Array.from({ length: settings.concurrency }, async () => {
      for (let index = next++; index < checkouts.length; index = next++) {
        if (performance.now() > deadline) {
          truncated = true;
          next = checkouts.length;
          break;
        }
        const customer = defined(freeCustomers.shift(), 'a free customer');
        try {
          outcomes[index] = await shopper.checkout(
            customer,
            defined(checkouts[index], 'the planned checkout'),
            watcher,
            settings.settleTimeoutMs,
          );
        } finally {
          freeCustomers.push(customer);
        }
        if ((index + 1) % 100 === 0)
          progress(`  ${index + 1} checkouts started, ${((performance.now() - loadStarted) / 1000).toFixed(0)} s`);
      }
    });
    const faults: FaultRecord[] = [];
    const injector = (async () => {
      for (const fault of FAULTS) {
        while (next < fault.at * checkouts.length && next < checkouts.length) await sleep(100);
        if (next >= checkouts.length && truncated) break;
        const record: FaultRecord = {
          kind: fault.kind,
          target: fault.target,
          atSeconds: round((performance.now() - loadStarted) / 1000, 1),
          checkoutsStarted: next,
          ordersInFlight: await defined(dbs.orders, 'the orders database')
            .query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE status = 'PENDING' AND idempotency_key LIKE $1`, [
              `chaos-${run}-%`,
            ])
            .then(
              ([row]) => row?.n ?? 0,
              () => null,
            ),
          recoverySeconds: Number.NaN,
        };
        progress(`  FAULT ${fault.kind} ${fault.target} (${next} checkouts started, ${record.ordersInFlight} orders in flight)`);
        const began = performance.now();
        try {
          await inject(fault.target, running, redis, postgres, settings.downtimeMs);
        } catch (error) {
          record.error = (error as Error).message.slice(0, 500);
          progress(`  fault ${fault.target} failed: ${record.error}`);
        }
        record.recoverySeconds = round((performance.now() - began) / 1000, 2);
        faults.push(record);
      }
    })();
    await Promise.all(workers);
    await injector;
    watcher.stop();
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    // at rest: orders settled, outbox published, consumers caught up
    progress('load done; waiting for the platform to come to rest');
    const quiesceStarted = performance.now();
    let rest: Awaited<ReturnType<typeof quiescence>> | undefined;
    for (;;) {
      rest = await quiescence(
        { ...running, redisUrl: redis.url, streamPrefix: `${running.redisPrefix}ev:`, keyPrefix: `chaos-${run}-` },
        dbs,
      ).catch(() => undefined);
      if (
        rest &&
        rest.pendingOrders + rest.unfinishedSagas + rest.unpublished + rest.consumerPending + rest.consumerLag + rest.unknownLag === 0
      )
        break;
      if (performance.now() - quiesceStarted > settings.quiesceTimeoutMs) {
        progress(`not at rest after ${settings.quiesceTimeoutMs / 1000} s: ${JSON.stringify(rest)}`);
        break;
      }
      await sleep(500);
    }
    const quiesceSeconds = (performance.now() - quiesceStarted) / 1000;

    progress('checking');
    const ran = outcomes.filter(Boolean);
    const checks: Check[] = await runChecks(
      {
        databaseUrls: running.databaseUrls,
        redisUrl: redis.url,
        streamPrefix: `${running.redisPrefix}ev:`,
        providerUrl: running.providerUrl,
        keyPrefix: `chaos-${run}-`,
        outcomes: ran,
        initialStock,
      },
      dbs,
    );
    const postgresUp = await adminQuery(postgres.url, 'SELECT 1').then(
      () => true,
      () => false,
    );
    const unplannedDeaths = unplanned.length + redis.unplannedExits + (postgresUp ? 0 : 1);
    checks.push({
      name: 'processes that died unplanned',
      violations: unplannedDeaths,
      examples: [
        ...unplanned
          .slice(0, 5)
          .map(
            (exit) =>
              `${exit.service} (code ${exit.code}, signal ${exit.signal}): ${exit.output.split('\n').filter(Boolean).slice(-2).join(' | ').slice(0, 400)}`,
          ),
        ...(redis.unplannedExits ? [`redis-server exited ${redis.unplannedExits} times`] : []),
        ...(postgresUp ? [] : ['PostgreSQL does not answer']),
      ],
    });
    const violations = checks.reduce((sum, each) => sum + each.violations, 0);

    // figures
    const statuses = countBy(
      ran.map(
        (outcome) =>
          outcome.status ??
          (outcome.gaveUp ? `gave up at ${outcome.gaveUp}` : outcome.orderIds.length ? 'not settled in time' : 'no order'),
      ),
    );
    const failureReasons = countBy(ran.filter((outcome) => outcome.status === 'FAILED').map((outcome) => outcome.failureReason ?? 'none'));
    const byCard = Object.fromEntries(
      CARDS.map((card) => [card, countBy(ran.filter((outcome) => outcome.card === card).map((outcome) => outcome.status ?? 'unsettled'))]),
    );
    const clientErrors = Object.fromEntries([...shopper.errorKinds].sort((a, b) => b[1] - a[1]));
    const userErrors = countBy(ran.flatMap((outcome) => outcome.userErrors));
    const latency = summarize(ran.filter((outcome) => Number.isFinite(outcome.latencyMs)).map((outcome) => outcome.latencyMs));
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    const result = {
      benchmark: 'chaos',
      date: new Date().toISOString(),
      machine: machineInfo(),
      settings: {
        ...settings,
        output: undefined,
        products: PRODUCTS,
        scarceProducts: SCARCE,
        scarceUnitsPerProduct: SCARCE_UNITS_PER_WAREHOUSE,
        quantityPerCheckout: '1-3',
        cards: { pm_card_ok: '70%', pm_card_declined: '15%', pm_card_flaky: '15%' },
        customers: customerCount,
        repeatedCheckouts: 'every 10th checkout is sent again with its idempotency key',
        serviceEnv: SERVICE_ENV,
        postgres:
          "own (kit's startOwnPostgres): initdb in a temporary folder, free port, synchronous_commit on, fsync off (a killed server keeps its commits; only a machine crash would not)",
        redis: 'own: redis-server --appendonly yes --appendfsync everysec in a temporary folder, free port',
      },
      violations,
      unplannedDeaths,
      truncated,
      checks,
      faults,
      workload: {
        checkouts: ran.length,
        statuses,
        failureReasons,
        byCard,
        clientErrors,
        clientErrorsTotal: Object.values(clientErrors).reduce((sum, n) => sum + n, 0),
        clientErrorSamples: Object.fromEntries(shopper.errorSamples),
        userErrors,
        checkoutToSettledMs: latency,
        throughputPerSecond: round(ran.length / loadSeconds, 2),
      },
      restarts: Object.fromEntries([...running.services].map(([name, service]) => [name, service.restarts])),
      serviceLogs: running.logs().filter((log) => log.warnings + log.errors > 0),
      timings: {
        setupSeconds: round(setupSeconds, 1),
        platformStartSeconds: round(platformSeconds, 1),
        loadSeconds: round(loadSeconds, 1),
        quiesceSeconds: round(quiesceSeconds, 1),
        elapsedSeconds: round(elapsedSeconds, 1),
      },
      loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0] ?? Number.NaN, 2) },
    };

    const out: string[] = [];
    out.push(
      `chaos: ${ran.length} checkouts${truncated ? ' (STOPPED AT BENCH_MAX_SECONDS)' : ''} at ${settings.concurrency} in flight, ${faults.length} faults, ${round(elapsedSeconds, 0)} s in all (${result.machine.cpus} cpus, load ${round(loadBefore, 1)} -> ${round(loadavg()[0] ?? Number.NaN, 1)})`,
    );
    out.push(
      `  outcomes: ${Object.entries(statuses)
        .map(([status, n]) => `${n} ${status}`)
        .join(', ')}; failure reasons: ${
        Object.entries(failureReasons)
          .map(([reason, n]) => `${n} ${reason}`)
          .join(', ') || 'none'
      }`,
    );
    for (const fault of faults) {
      out.push(
        `  fault at ${fault.atSeconds} s (${fault.ordersInFlight} orders in flight): ${fault.kind} ${fault.target}, ready again after ${fault.recoverySeconds} s${fault.error ? ` (${fault.error})` : ''}`,
      );
    }
    out.push(
      `  client-visible errors (each retried): ${
        Object.entries(clientErrors)
          .map(([kind, n]) => `${n} x ${kind}`)
          .join('; ') || 'none'
      }`,
    );
    out.push(`  load ${round(loadSeconds, 0)} s, at rest ${round(quiesceSeconds, 0)} s later`);
    out.push('');
    for (const each of checks) {
      out.push(
        `  ${each.violations === 0 ? 'ok  ' : 'FAIL'} ${each.name}${each.violations ? `: ${each.violations} violations` : ''}${each.figures ? ` ${JSON.stringify(each.figures)}` : ''}`,
      );
      for (const example of each.examples) out.push(`         ${example}`);
    }
    out.push('');
    out.push(`  ${violations} violations, ${unplannedDeaths} unplanned process deaths`);
    process.stdout.write(`${out.join('\n')}\n`);
    await mkdir(dirname(settings.output), { recursive: true });
    await writeFile(settings.output, `${JSON.stringify(result, null, 2)}\n`);
    progress(`figures written to ${settings.output}`);
    return violations > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    closing = true;
    client.current?.close();
    await Promise.allSettled(Object.values(dbs).map((db) => db.close()));
    await platform?.close().catch(() => undefined);
    await redis.stop();
    await postgres.close();
  }
}

/** One fault, until its target serves again. */
async function inject(
  target: string,
  platform: ProcessPlatform,
  redis: OwnRedis,
  postgres: OwnPostgres,
  downtimeMs: number,
): Promise<void> {
  if (target === 'redis') {
    await redis.kill();
    await sleep(downtimeMs);
    await redis.restart();
    return;
  }
  if (target === 'postgres') {
    await postgres.stop('immediate');
    await postgres.start();
    return;
  }
  const service = platform.services.get(target);
  if (!service) throw new BenchError(`no service ${target}`);
  await service.kill('SIGKILL');
  await sleep(downtimeMs);
  await service.restart();
  await service.waitReady(defined(platform.readyUrls.get(target), `ready URL of ${target}`));
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
