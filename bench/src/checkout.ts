import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { demoData, LOG_LEVELS, defined } from '@commerce/kit';
import {
  assertLoopback,
  runId,
  startEmbedded,
  startProduction,
  type BenchPlatform,
  type PlatformSettings,
  type ServiceLog,
} from './checkout-platforms.js';
import { BenchError } from './errors.js';
import { envReaders } from './settings.js';
import { BenchClient } from './http.js';
import { machineInfo } from './machine.js';
import { fixed, round, summarize, table, type LatencySummary } from './stats.js';

/**
 * Checkout to CONFIRMED: the latency a buyer sees from sending `checkout` to the order being CONFIRMED by the
 * checkout saga (orders -> inventory reserves -> payments authorizes -> inventory commits -> CONFIRMED), measured in
 * the embedded platform and in production mode, one after the other in the same run. Every checkout is by its own
 * signed-up customer, of one unit of a product with plenty of stock, paid with `pm_card_ok`, a bounded number in
 * flight. The order is seen CONFIRMED by polling `orders.status` (one query for all orders in flight every few ms);
 * BENCH_OBSERVE=subscription follows the `orderUpdated(orderId)` subscription instead (graphql-ws through the router,
 * the buyer's token in connection_init), which the router refuses under load (see `notes`). The saga's steps come
 * from the order's events (`order_events.occurred_at`).
 */

const BENCH_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_OUTPUT = join(BENCH_ROOT, 'results', 'checkout.json');
const MODES = ['embedded', 'production'] as const;
type Mode = (typeof MODES)[number];
type Observe = 'poll' | 'subscription';

interface Settings {
  checkouts: number;
  concurrency: number;
  warmup: number;
  modes: Mode[];
  production: 'processes' | 'in-process';
  embeddedStorage: 'disk' | 'memory';
  /** How the benchmark sees an order CONFIRMED. */
  observe: Observe;
  /** Pause between two polls of orders.status. */
  pollMs: number;
  /** How long one order may take to be seen CONFIRMED before it counts as failed. */
  confirmTimeoutMs: number;
  /** Hard stop: no checkout starts after it (the figures then cover what was measured, flagged). */
  maxSeconds: number;
  postgresUrl: string;
  redisUrl: string;
  logLevel: string;
  output: string;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const { int, choice } = envReaders(env);
  const modes = (env.BENCH_MODES || MODES.join(','))
    .split(',')
    .map((mode) => mode.trim())
    .filter(Boolean);
  for (const mode of modes)
    if (!(MODES as readonly string[]).includes(mode)) throw new BenchError(`BENCH_MODES lists ${MODES.join(', ')}, got "${mode}"`);
  if (modes.length === 0) throw new BenchError('BENCH_MODES is empty');
  const logLevel = env.BENCH_LOG_LEVEL || 'silent';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw new BenchError(`BENCH_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const settings: Settings = {
    checkouts: int('BENCH_CHECKOUTS', 200, 1, 100_000),
    concurrency: int('BENCH_CONCURRENCY', 20, 1, 1000),
    warmup: int('BENCH_WARMUP', 10, 0, 1000),
    modes: MODES.filter((mode) => modes.includes(mode)),
    production: choice('BENCH_PRODUCTION', ['processes', 'in-process'] as const, 'processes'),
    embeddedStorage: choice('BENCH_EMBEDDED_STORAGE', ['disk', 'memory'] as const, 'disk'),
    observe: choice('BENCH_OBSERVE', ['poll', 'subscription'] as const, 'poll'),
    pollMs: int('BENCH_POLL_MS', 5, 1, 1000),
    confirmTimeoutMs: int('BENCH_CONFIRM_TIMEOUT_MS', 60_000, 1000, 600_000),
    maxSeconds: int('BENCH_MAX_SECONDS', 480, 30, 780), // the customers' access tokens last 15 minutes
    postgresUrl: env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379',
    logLevel,
    output: env.BENCH_OUTPUT ? resolve(env.BENCH_OUTPUT) : DEFAULT_OUTPUT,
  };
  if (settings.modes.includes('production')) {
    assertLoopback(settings.postgresUrl, 'BENCH_POSTGRES_URL');
    assertLoopback(settings.redisUrl, 'BENCH_REDIS_URL');
  }
  return settings;
}

/** Set by SIGINT: no new checkout starts, the waits give up, and the platforms are closed. */
let interrupted = false;

// ---------------------------------------------------------------------------------------------------------
// The operations

const SIGN_UP = 'mutation BenchSignUp($input: SignUpInput!) { signUp(input: $input) { accessToken userErrors { code message } } }';
const ADD_TO_CART = 'mutation BenchAddToCart($input: AddToCartInput!) { addToCart(input: $input) { userErrors { code message } } }';
const CHECKOUT =
  'mutation BenchCheckout($input: CheckoutInput!) { checkout(input: $input) { order { id status } userErrors { code message } } }';
/** Orders' fields only: no entity fetch to another subgraph per update. */
const ORDER_UPDATED = 'subscription BenchOrderUpdated($id: ID!) { orderUpdated(orderId: $id) { id status failureReason } }';
const ADDRESS = { name: 'Bench Buyer', line1: '1 Benchmark Street', city: 'Utrecht', postalCode: '3511 AA', country: 'NL' };
const PAYMENT_METHOD = 'pm_card_ok';
/** Units put on the shelf of every product before a run: far more than 200 checkouts of one unit need. */
const STOCK_UNITS = 1_000_000;
/** The order's events, in saga order (PaymentCaptured comes after CONFIRMED). */
const EVENT_TYPES = ['OrderPlaced', 'StockReserved', 'PaymentAuthorized', 'OrderConfirmed', 'PaymentCaptured'] as const;
type EventType = (typeof EVENT_TYPES)[number];

interface GraphQLBody<Data> {
  data?: Data | null;
  errors?: { message: string; extensions?: { code?: unknown } }[];
}

async function graphql<Data>(client: BenchClient, query: string, variables: Record<string, unknown>, token?: string) {
  const response = await client.post(JSON.stringify({ query, variables }), token ? { authorization: `Bearer ${token}` } : {});
  let body: GraphQLBody<Data>;
  try {
    body = JSON.parse(response.text) as GraphQLBody<Data>;
  } catch {
    throw new BenchError(`HTTP ${response.status}, not JSON: ${response.text.slice(0, 300)}`);
  }
  return { status: response.status, body, latencyMs: response.latencyMs };
}

function describeErrors(body: GraphQLBody<unknown>, status: number): string {
  return `HTTP ${status}: ${JSON.stringify(body.errors ?? body.data).slice(0, 300)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Customers: signed up, one unit in the cart, with BENCH_OBSERVE=subscription a graphql-ws connection open (none of it measured)

interface Customer {
  index: number;
  token: string;
  productId: string;
  /** The buyer's graphql-ws connection (BENCH_OBSERVE=subscription). */
  socket?: Client;
}

async function pool<T>(count: number, concurrency: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let index = next++; index < count; index = next++) {
        if (interrupted) throw new BenchError('interrupted');
        results[index] = await work(index);
      }
    }),
  );
  return results;
}

function openSocket(wsUrl: string, token: string): Promise<Client> {
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
      onNonLazyError: (error) => {
        if (settled) return;
        settled = true;
        void client.dispose();
        reject(new BenchError(`graphql-ws connection refused: ${describe(error)}`));
      },
      on: {
        connected: () => {
          if (settled) return;
          settled = true;
          resolvePromise(client);
        },
      },
    });
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const event = error as { code: number; reason?: string };
    return `closed ${event.code}${event.reason ? ` ${event.reason}` : ''}`;
  }
  return JSON.stringify(error).slice(0, 300);
}

async function prepareCustomers(
  client: BenchClient,
  wsUrl: string | undefined,
  run: string,
  count: number,
  productIds: string[],
): Promise<Customer[]> {
  return pool(count, 8, async (index) => {
    const signUp = await graphql<{ signUp: { accessToken: string | null; userErrors: unknown[] } }>(client, SIGN_UP, {
      input: { email: `bench-checkout-${run}-${index}@example.com`, password: 'bench checkout password', name: `Bench Buyer ${index}` },
    });
    const token = signUp.body.data?.signUp.accessToken;
    if (!token) throw new BenchError(`signUp failed: ${describeErrors(signUp.body, signUp.status)}`);
    const productId = defined(productIds[index % productIds.length], 'a product id');
    const added = await graphql<{ addToCart: { userErrors: unknown[] } }>(
      client,
      ADD_TO_CART,
      { input: { productId, quantity: 1 } },
      token,
    );
    if (added.body.data?.addToCart.userErrors.length !== 0)
      throw new BenchError(`addToCart failed: ${describeErrors(added.body, added.status)}`);
    const socket = wsUrl ? await openSocket(wsUrl, token) : undefined;
    return { index, token, productId, socket };
  });
}

// ---------------------------------------------------------------------------------------------------------
// One checkout, until CONFIRMED

interface CheckoutSample {
  customer: number;
  orderId?: string;
  ok: boolean;
  problem?: string;
  /** From sending checkout to the order seen CONFIRMED (performance.now()). */
  latencyMs: number;
  /** checkout's HTTP round trip. */
  checkoutMs: number;
  /** Wall clock (epoch ms) when checkout was sent and when CONFIRMED was seen: compared with order_events. */
  sentAt: number;
  seenAt: number;
  /** `subscription`: the CONFIRMED update arrived; `poll`: the subscription ended early and orders.status was polled. */
  seenBy: 'subscription' | 'poll' | 'none';
  /** Statuses in the order the subscription delivered them. */
  statuses: string[];
  /** Why the subscription ended before CONFIRMED (then orders.status was polled). */
  subscriptionEnded?: string;
}

interface Measure {
  platform: BenchPlatform;
  client: BenchClient;
  poller: StatusPoller;
  observe: Observe;
  confirmTimeoutMs: number;
}

/**
 * Watches the orders database for orders leaving PENDING: one query per tick for every order being waited on
 * (`SELECT ... WHERE id = ANY(...)`), the next tick `intervalMs` after the previous query answered, so a busy
 * database is not flooded. A watcher resolves at the tick that first sees its order CONFIRMED, FAILED or CANCELLED.
 */
class StatusPoller {
  private readonly watchers = new Map<
    string,
    { resolve: (row: { status: string; failureReason: string | null } | undefined) => void; until: number }
  >();
  private loop: Promise<void> | undefined;
  private stopped = false;
  /** Queries run, for the report. */
  ticks = 0;

  constructor(
    private readonly platform: BenchPlatform,
    private readonly intervalMs: number,
  ) {}

  /** Resolves when the order has left PENDING, or with undefined after `timeoutMs`. */
  watch(orderId: string, timeoutMs: number): Promise<{ status: string; failureReason: string | null } | undefined> {
    return new Promise((resolvePromise) => {
      this.watchers.set(orderId, { resolve: resolvePromise, until: performance.now() + timeoutMs });
      this.loop ??= this.run().finally(() => (this.loop = undefined));
    });
  }

  stop(): void {
    this.stopped = true;
    for (const watcher of this.watchers.values()) watcher.resolve(undefined);
    this.watchers.clear();
  }

  private async run(): Promise<void> {
    while (this.watchers.size > 0 && !this.stopped) {
      const ids = [...this.watchers.keys()];
      const rows = await this.platform.query<{ id: string; status: string; failure_reason: string | null }>(
        'orders',
        `SELECT id::text AS id, status, failure_reason FROM orders WHERE id = ANY($1::uuid[]) AND status <> 'PENDING'`,
        [ids],
      );
      this.ticks += 1;
      for (const row of rows) {
        const watcher = this.watchers.get(row.id);
        if (!watcher) continue;
        this.watchers.delete(row.id);
        watcher.resolve({ status: row.status, failureReason: row.failure_reason });
      }
      const now = performance.now();
      for (const [id, watcher] of this.watchers) {
        if (now <= watcher.until && !interrupted) continue;
        this.watchers.delete(id);
        watcher.resolve(undefined);
      }
      if (this.watchers.size > 0) await sleep(this.intervalMs);
    }
  }
}

async function checkoutOne(measure: Measure, customer: Customer): Promise<CheckoutSample> {
  const sample: CheckoutSample = {
    customer: customer.index,
    ok: false,
    latencyMs: Number.NaN,
    checkoutMs: Number.NaN,
    sentAt: Date.now(),
    seenAt: Number.NaN,
    seenBy: 'none',
    statuses: [],
  };
  const started = performance.now();
  try {
    const response = await graphql<{ checkout: { order: { id: string; status: string } | null; userErrors: { code: string }[] } }>(
      measure.client,
      CHECKOUT,
      { input: { idempotencyKey: randomUUID(), paymentMethod: PAYMENT_METHOD, shippingAddress: ADDRESS } },
      customer.token,
    );
    sample.checkoutMs = response.latencyMs;
    const order = response.body.data?.checkout.order;
    if (!order || response.body.data?.checkout.userErrors.length) {
      sample.problem = `checkout: ${describeErrors(response.body, response.status)}`;
      return sample;
    }
    sample.orderId = order.id;
    const outcome =
      measure.observe === 'subscription' && customer.socket
        ? await viaSubscription(measure, customer.socket, order.id, sample.statuses)
        : await viaPolling(measure, order.id, measure.confirmTimeoutMs);
    sample.seenAt = Date.now();
    sample.latencyMs = performance.now() - started;
    sample.seenBy = outcome.seenBy;
    sample.subscriptionEnded = outcome.ended;
    if (outcome.status === 'CONFIRMED') sample.ok = true;
    else sample.problem = outcome.problem ?? `order ${order.id} ended ${outcome.status}`;
  } catch (error) {
    sample.problem = (error as Error).message;
  }
  return sample;
}

type Outcome = { status: string; seenBy: CheckoutSample['seenBy']; problem?: string; ended?: string };

/** Waits for orders.status to leave PENDING (the StatusPoller). */
async function viaPolling(measure: Measure, orderId: string, timeoutMs: number): Promise<Outcome> {
  const row = await measure.poller.watch(orderId, timeoutMs);
  if (!row) return { status: 'PENDING', seenBy: 'none', problem: `not CONFIRMED within ${measure.confirmTimeoutMs} ms` };
  return {
    status: row.status,
    seenBy: 'poll',
    problem: row.status === 'CONFIRMED' ? undefined : `order ended ${row.status} ${row.failureReason ?? ''}`,
  };
}

/**
 * Follows orderUpdated until the order is CONFIRMED (or FAILED/CANCELLED). Should the subscription end or fail first
 * (the router refuses it when its authorization lookup of the order's buyer fails), orders.status is polled instead
 * (counted as `poll` in the report).
 */
async function viaSubscription(measure: Measure, socket: Client, orderId: string, statuses: string[]): Promise<Outcome> {
  const until = performance.now() + measure.confirmTimeoutMs;
  const result = await new Promise<{ status: string } | { ended: string }>((resolvePromise) => {
    let done = false;
    const finish = (outcome: { status: string } | { ended: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      resolvePromise(outcome);
    };
    const timer = setTimeout(() => finish({ ended: 'timeout' }), measure.confirmTimeoutMs);
    const unsubscribe = socket.subscribe<{ orderUpdated: { id: string; status: string; failureReason: string | null } }>(
      { query: ORDER_UPDATED, variables: { id: orderId } },
      {
        next: (event) => {
          const status = event.data?.orderUpdated.status;
          if (event.errors?.length || !status)
            return finish({ ended: `errors: ${JSON.stringify(event.errors ?? event.data).slice(0, 300)}` });
          statuses.push(status);
          if (status !== 'PENDING') finish({ status });
        },
        error: (error) => finish({ ended: `error: ${describe(error)}` }),
        complete: () => finish({ ended: 'completed before CONFIRMED' }),
      },
    );
  });
  if ('status' in result) {
    return result.status === 'CONFIRMED'
      ? { status: 'CONFIRMED', seenBy: 'subscription' }
      : { status: result.status, seenBy: 'subscription', problem: `order ended ${result.status}` };
  }
  if (result.ended === 'timeout')
    return { status: 'PENDING', seenBy: 'none', problem: `not CONFIRMED within ${measure.confirmTimeoutMs} ms` };
  const polled = await viaPolling(measure, orderId, Math.max(0, until - performance.now()));
  return { ...polled, ended: result.ended };
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

// ---------------------------------------------------------------------------------------------------------
// The saga's steps, from order_events

const SEGMENTS = [
  { key: 'sentToPlaced', label: 'checkout sent -> OrderPlaced', from: 'sent', to: 'OrderPlaced' },
  { key: 'placedToReserved', label: 'OrderPlaced -> StockReserved', from: 'OrderPlaced', to: 'StockReserved' },
  { key: 'reservedToAuthorized', label: 'StockReserved -> PaymentAuthorized', from: 'StockReserved', to: 'PaymentAuthorized' },
  {
    key: 'authorizedToConfirmed',
    label: 'PaymentAuthorized -> OrderConfirmed (stock commit)',
    from: 'PaymentAuthorized',
    to: 'OrderConfirmed',
  },
  { key: 'confirmedToSeen', label: 'OrderConfirmed -> seen by the benchmark', from: 'OrderConfirmed', to: 'seen' },
  { key: 'sentToConfirmed', label: '= checkout sent -> OrderConfirmed (server side)', from: 'sent', to: 'OrderConfirmed' },
  { key: 'confirmedToCaptured', label: '(after) OrderConfirmed -> PaymentCaptured', from: 'OrderConfirmed', to: 'PaymentCaptured' },
] as const;
type SegmentKey = (typeof SEGMENTS)[number]['key'];

interface Breakdown {
  /** Orders with every event up to OrderConfirmed. */
  orders: number;
  /** Orders whose payment was captured when the benchmark looked (it waits for the sagas to finish). */
  captured: number;
  /** Sagas not DONE when it stopped waiting. */
  unfinishedSagas: number;
  segments: Record<SegmentKey, LatencySummary>;
}

/** Waits (at most `timeoutMs`) for every saga to be DONE (payment captured), then reads the events' times. */
async function sagaBreakdown(platform: BenchPlatform, samples: CheckoutSample[], timeoutMs: number): Promise<Breakdown> {
  const ids = samples.flatMap((sample) => (sample.ok && sample.orderId ? [sample.orderId] : []));
  const until = Date.now() + timeoutMs;
  let unfinished = 0;
  for (;;) {
    const [row] = await platform.query<{ n: number }>(
      'orders',
      `SELECT count(*)::int AS n FROM checkout_sagas WHERE order_id = ANY($1::uuid[]) AND step <> 'DONE'`,
      [ids],
    );
    unfinished = row?.n ?? 0;
    if (unfinished === 0 || Date.now() > until || interrupted) break;
    await sleep(100);
  }
  const rows = await platform.query<{ order_id: string; type: string; at: string }>(
    'orders',
    `SELECT order_id::text AS order_id, type, (extract(epoch FROM occurred_at) * 1000)::float8 AS at FROM order_events WHERE order_id = ANY($1::uuid[])`,
    [ids],
  );
  const times = new Map<string, Partial<Record<EventType | 'sent' | 'seen', number>>>();
  for (const sample of samples) if (sample.ok && sample.orderId) times.set(sample.orderId, { sent: sample.sentAt, seen: sample.seenAt });
  for (const row of rows) {
    const entry = times.get(row.order_id);
    if (entry && (EVENT_TYPES as readonly string[]).includes(row.type)) entry[row.type as EventType] = Number(row.at);
  }
  const segments = {} as Record<SegmentKey, LatencySummary>;
  for (const segment of SEGMENTS) {
    const values: number[] = [];
    for (const entry of times.values()) {
      const from = entry[segment.from];
      const to = entry[segment.to];
      if (from !== undefined && to !== undefined) values.push(to - from);
    }
    segments[segment.key] = summarize(values);
  }
  const complete = [...times.values()].filter((entry) => EVENT_TYPES.slice(0, 4).every((type) => entry[type] !== undefined)).length;
  const captured = [...times.values()].filter((entry) => entry.PaymentCaptured !== undefined).length;
  return { orders: complete, captured, unfinishedSagas: unfinished, segments };
}

// ---------------------------------------------------------------------------------------------------------
// One mode

interface ModeResult {
  mode: Mode;
  platform: string;
  startSeconds: number;
  setupSeconds: number;
  checkouts: number;
  confirmed: number;
  failed: number;
  failures: string[];
  seenBy: Record<CheckoutSample['seenBy'], number>;
  /** Why subscriptions ended before CONFIRMED, with how often. */
  subscriptionsEndedEarly: Record<string, number>;
  /** CONFIRMED orders in the orders database (checked after the run). */
  confirmedInDatabase: number;
  truncated: boolean;
  concurrency: number;
  warmup: { checkouts: number; failed: number; latency: LatencySummary };
  /** Checkout to CONFIRMED, per order (the confirmed ones). */
  latency: LatencySummary;
  /** checkout's own HTTP round trip. */
  checkoutMutation: LatencySummary;
  /** Confirmed orders per second of wall time, from the first checkout sent to the last CONFIRMED seen. */
  throughputPerSecond: number;
  measuredSeconds: number;
  /** Updates the buyer's subscription delivered per order (PENDING first, then CONFIRMED, ...). */
  updatesPerOrder: LatencySummary | null;
  breakdown: Breakdown;
  /** The same for the sequential warm-up checkouts: the saga without queueing. */
  warmupBreakdown: Breakdown;
  /** Queries of orders.status the poller ran. */
  statusPolls: number;
  serviceLogs: ServiceLog[];
  loadAverage: { before: number; after: number };
}

async function runMode(
  mode: Mode,
  settings: Settings,
  run: string,
  deadline: number,
  progress: (message: string) => void,
): Promise<ModeResult> {
  const platformSettings: PlatformSettings = {
    logLevel: settings.logLevel,
    postgresUrl: settings.postgresUrl,
    redisUrl: settings.redisUrl,
    embeddedStorage: settings.embeddedStorage,
    production: settings.production,
    progress,
  };
  progress(
    mode === 'embedded'
      ? `[embedded] starting the platform (PGlite ${settings.embeddedStorage === 'disk' ? 'in a temporary folder' : 'in memory'}, demo data, in-process bus)`
      : `[production] creating PostgreSQL databases on ${new URL(settings.postgresUrl).host}, Redis Streams on ${new URL(settings.redisUrl).host}, services ${settings.production === 'processes' ? 'one process each' : 'in this process'}`,
  );
  const platform = mode === 'embedded' ? await startEmbedded(platformSettings) : await startProduction(platformSettings);
  const client = new BenchClient(platform.routerUrl, Math.max(settings.concurrency, 8) + 4);
  const customers: Customer[] = [];
  let poller: StatusPoller | undefined;
  try {
    progress(`[${mode}] ready in ${fixed(platform.startSeconds, 1)} s: ${platform.routerUrl}`);
    const setupStarted = performance.now();
    // Plenty of stock on every product, nothing reserved: no checkout may fail OUT_OF_STOCK.
    const products = demoData().products;
    const productIds = products.map((product) => product.id);
    await platform.query('inventory', 'UPDATE stock_levels SET on_hand = $2::int, reserved = 0 WHERE product_id = ANY($1::uuid[])', [
      productIds,
      STOCK_UNITS,
    ]);
    const [stocked] = await platform.query<{ n: number }>(
      'inventory',
      'SELECT count(DISTINCT product_id)::int AS n FROM stock_levels WHERE product_id = ANY($1::uuid[]) AND on_hand - reserved >= $2::int',
      [productIds, STOCK_UNITS],
    );
    if ((stocked?.n ?? 0) < products.length)
      throw new BenchError(`[${mode}] only ${stocked?.n} of ${products.length} products have stock levels`);
    const wsUrl = settings.observe === 'subscription' ? platform.routerUrl.replace(/^http/, 'ws') : undefined;
    progress(
      `[${mode}] signing up ${settings.warmup + settings.checkouts} customers, one unit in each cart${wsUrl ? ', one graphql-ws connection each' : ''}`,
    );
    customers.push(...(await prepareCustomers(client, wsUrl, `${run}-${mode}`, settings.warmup + settings.checkouts, productIds)));
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    poller = new StatusPoller(platform, settings.pollMs);
    const measure: Measure = { platform, client, poller, observe: settings.observe, confirmTimeoutMs: settings.confirmTimeoutMs };

    progress(`[${mode}] warm-up: ${settings.warmup} sequential checkouts`);
    const warm: CheckoutSample[] = [];
    for (const customer of customers.slice(0, settings.warmup)) {
      if (interrupted) throw new BenchError('interrupted');
      warm.push(await checkoutOne(measure, customer));
    }

    progress(`[${mode}] measuring: ${settings.checkouts} checkouts, ${settings.concurrency} in flight`);
    const loadBefore = loadavg()[0] ?? Number.NaN;
    const measured = customers.slice(settings.warmup);
    const samples: CheckoutSample[] = [];
    let truncated = false;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(settings.concurrency, measured.length) }, async () => {
        for (let index = next++; index < measured.length; index = next++) {
          if (interrupted || performance.now() > deadline) {
            truncated = true;
            return;
          }
          samples.push(await checkoutOne(measure, defined(measured[index], 'the measured checkout')));
          if (samples.length % 50 === 0) progress(`[${mode}]   ${samples.length} done`);
        }
      }),
    );
    // every worker has finished: from the first checkout sent to the last CONFIRMED seen
    const measuredMs = performance.now() - started;
    const loadAfter = loadavg()[0] ?? Number.NaN;

    progress(`[${mode}] waiting for the sagas to finish (payments captured), reading order_events`);
    const breakdown = await sagaBreakdown(platform, samples, 60_000);
    const warmupBreakdown = await sagaBreakdown(platform, warm, 10_000);
    const ok = samples.filter((sample) => sample.ok);
    const ids = ok.map((sample) => defined(sample.orderId, 'the order id of a successful checkout'));
    const [inDb] = await platform.query<{ n: number }>(
      'orders',
      `SELECT count(*)::int AS n FROM orders WHERE id = ANY($1::uuid[]) AND status = 'CONFIRMED'`,
      [ids],
    );
    const seenBy = { subscription: 0, poll: 0, none: 0 };
    for (const sample of samples) seenBy[sample.seenBy] += 1;
    return {
      mode,
      platform: platform.description,
      startSeconds: round(platform.startSeconds, 1),
      setupSeconds: round(setupSeconds, 1),
      checkouts: samples.length,
      confirmed: ok.length,
      failed: samples.length - ok.length,
      failures: samples
        .filter((sample) => !sample.ok)
        .slice(0, 10)
        .map((sample) => `customer ${sample.customer}: ${sample.problem}`),
      seenBy,
      subscriptionsEndedEarly: countBy(
        [...warm, ...samples].map((sample) => sample.subscriptionEnded).filter((reason): reason is string => reason !== undefined),
      ),
      confirmedInDatabase: inDb?.n ?? 0,
      truncated,
      concurrency: settings.concurrency,
      warmup: {
        checkouts: warm.length,
        failed: warm.filter((sample) => !sample.ok).length,
        latency: summarize(warm.filter((s) => s.ok).map((s) => s.latencyMs)),
      },
      latency: summarize(ok.map((sample) => sample.latencyMs)),
      checkoutMutation: summarize(samples.filter((sample) => Number.isFinite(sample.checkoutMs)).map((sample) => sample.checkoutMs)),
      throughputPerSecond: round(measuredMs > 0 ? (ok.length * 1000) / measuredMs : Number.NaN, 2),
      measuredSeconds: round(measuredMs / 1000, 2),
      updatesPerOrder: settings.observe === 'subscription' ? summarize(ok.map((sample) => sample.statuses.length)) : null,
      breakdown,
      warmupBreakdown,
      statusPolls: poller.ticks,
      serviceLogs: platform.logs().filter((log) => log.warnings + log.errors > 0),
      loadAverage: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
    };
  } finally {
    poller?.stop();
    await Promise.allSettled(customers.map((customer) => customer.socket?.dispose()));
    client.close();
    progress(`[${mode}] stopping${mode === 'production' ? ', dropping the databases and the Redis keys' : ''}`);
    await platform.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The benchmark

function notes(settings: Settings): string[] {
  return [
    settings.observe === 'poll'
      ? `Latency: from just before the checkout mutation is written (HTTP through the router, the buyer's token) to the first poll of the orders database that sees the order CONFIRMED (one query every ${settings.pollMs} ms for all the orders in flight, on the benchmark's own connection; in embedded mode that is the PGlite instance the orders service uses).`
      : "Latency: from just before the checkout mutation is written (HTTP through the router) to the orderUpdated update with status CONFIRMED parsed on the buyer's graphql-ws connection (opened before, the token in connection_init; the subscription starts once checkout has answered with the order id, and first delivers the order as it is). A subscription the router refuses falls back to polling orders.status (counted).",
    "Why polling by default: under load the router refuses some orderUpdated subscriptions with UNAUTHORIZED_FIELD_OR_TYPE. Its order_owner_or_admin policy looks the order's buyer up in the orders subgraph and fails closed after a timeout (router/src/policies/authorization/lookups.ts): at 2 s, 1 to 12 of 20 were refused embedded at 20 in flight; at today's 5 s a run saw 200 of 200 accepted (p50 2756 ms, p99 4642 ms embedded). BENCH_OBSERVE=subscription measures through the subscription.",
    'Saga step times come from order_events.occurred_at (stamped by the orders service, ms precision) against the benchmark\'s wall clock (same machine). "checkout sent -> OrderPlaced" holds the router and the checkout transaction up to the event; "OrderConfirmed -> seen" holds the commit and the wait for the next poll (or the pub/sub and the delivery of the subscription).',
    `At ${settings.concurrency} in flight both modes run at their capacity: the latency is mostly queueing (about in flight / throughput, Little's law), so the percentiles say as much about throughput as about the path; the sequential warm-up shows the path alone.`,
    "The load generator runs in the benchmark's process. In embedded mode that is also where every service and PGlite database runs (one event loop, one core); in production mode with one process per service the work spreads over both cores and PostgreSQL.",
  ];
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const settings = readSettings(env);
  const progress = (message: string) => process.stderr.write(`[checkout] ${message}\n`);
  const run = runId();
  const stop = () => {
    progress('interrupted: stopping');
    interrupted = true;
  };
  process.once('SIGINT', stop);
  const startedAt = performance.now();
  const deadline = startedAt + settings.maxSeconds * 1000;
  const results: Partial<Record<Mode, ModeResult>> = {};
  try {
    for (const mode of settings.modes) results[mode] = await runMode(mode, settings, run, deadline, progress);
  } finally {
    process.off('SIGINT', stop);
  }
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  const { embedded, production } = results;
  const ratio = (key: keyof LatencySummary) => (embedded && production ? round(production.latency[key] / embedded.latency[key]) : null);
  const ratios =
    embedded && production
      ? {
          median: ratio('medianMs'),
          p90: ratio('p90Ms'),
          p99: ratio('p99Ms'),
          max: ratio('maxMs'),
          throughput: round(production.throughputPerSecond / embedded.throughputPerSecond),
        }
      : null;
  const failed = Object.values(results).reduce((sum, result) => sum + result.failed + result.warmup.failed, 0);
  const truncated = Object.values(results).some((result) => result.truncated);
  const result = {
    benchmark: 'checkout',
    date: new Date().toISOString(),
    machine: {
      ...machineInfo(),
    },
    settings: {
      ...settings,
      output: undefined,
      postgresUrl: settings.modes.includes('production') ? withoutPassword(settings.postgresUrl) : undefined,
      redisUrl: settings.modes.includes('production') ? withoutPassword(settings.redisUrl) : undefined,
      paymentMethod: PAYMENT_METHOD,
      quantity: 1,
      products: demoData().products.length,
      stockUnitsPerProduct: STOCK_UNITS,
      confirmedSeenBy:
        settings.observe === 'poll'
          ? `orders.status polled every ${settings.pollMs} ms`
          : 'orderUpdated subscription over graphql-ws through the router (orders.status polled if the router refuses it)',
      elapsedSeconds: round(elapsedSeconds, 1),
      truncated,
    },
    modes: results,
    ratios,
    notes: notes(settings),
  };

  // The report
  const out: string[] = [];
  const modes = Object.values(results);
  const seenHow = settings.observe === 'poll' ? `orders.status polled every ${settings.pollMs} ms` : 'orderUpdated over graphql-ws';
  out.push(
    `checkout: from sending checkout to the order seen CONFIRMED (${seenHow}), ${settings.checkouts} checkouts per mode ` +
      `(one unit, ${PAYMENT_METHOD}, each by its own customer) at ${settings.concurrency} in flight, after ${settings.warmup} sequential warm-up checkouts`,
  );
  out.push(
    `  ${result.machine.cpus} cpus, node ${process.version}, ${round(elapsedSeconds, 0)} s in all${truncated ? '; STOPPED AT BENCH_MAX_SECONDS' : ''}`,
  );
  for (const mode of modes)
    out.push(`  ${mode.mode}: ${mode.platform} (load ${fixed(mode.loadAverage.before, 1)} -> ${fixed(mode.loadAverage.after, 1)})`);
  out.push('');
  const header = ['', ...modes.map((mode) => mode.mode), ...(ratios ? ['production/embedded'] : [])];
  const row = (label: string, value: (mode: ModeResult) => string, ratioValue?: number | null) => [
    label,
    ...modes.map(value),
    ...(ratios ? [ratioValue == null ? '' : fixed(ratioValue, 2)] : []),
  ];
  out.push(
    table(header, [
      row('checkouts confirmed / failed', (mode) => `${mode.confirmed} / ${mode.failed}`),
      row('p50 ms', (mode) => fixed(mode.latency.medianMs, 1), ratios?.median),
      row('p90 ms', (mode) => fixed(mode.latency.p90Ms, 1), ratios?.p90),
      row('p99 ms', (mode) => fixed(mode.latency.p99Ms, 1), ratios?.p99),
      row('max ms', (mode) => fixed(mode.latency.maxMs, 1), ratios?.max),
      row('mean ms', (mode) => fixed(mode.latency.meanMs, 1), ratio('meanMs')),
      row(
        'server side p50 / p99 ms (sent -> OrderConfirmed)',
        (mode) =>
          `${fixed(mode.breakdown.segments.sentToConfirmed.medianMs, 0)} / ${fixed(mode.breakdown.segments.sentToConfirmed.p99Ms, 0)}`,
      ),
      row('throughput orders/s', (mode) => fixed(mode.throughputPerSecond, 1), ratios?.throughput),
      row(
        'checkout mutation p50 / p99 ms',
        (mode) => `${fixed(mode.checkoutMutation.medianMs, 1)} / ${fixed(mode.checkoutMutation.p99Ms, 1)}`,
      ),
      row(
        `sequential p50 / max ms (the ${settings.warmup} warm-up, not counted)`,
        (mode) => `${fixed(mode.warmup.latency.medianMs, 1)} / ${fixed(mode.warmup.latency.maxMs, 1)}`,
      ),
      ...(settings.observe === 'subscription'
        ? [row('seen by subscription / poll', (mode) => `${mode.seenBy.subscription} / ${mode.seenBy.poll}`)]
        : []),
      row('CONFIRMED in the orders database', (mode) => String(mode.confirmedInDatabase)),
      row('payments captured (sagas DONE)', (mode) => `${mode.breakdown.captured}`),
    ]),
  );
  out.push('');
  out.push(
    `  saga steps per order, p50 / p99 ms (order_events.occurred_at), at ${settings.concurrency} in flight and sequential (warm-up):`,
  );
  const cell = (summary: LatencySummary) => `${fixed(summary.medianMs, 0)} / ${fixed(summary.p99Ms, 0)}`;
  out.push(
    table(
      ['  step', ...modes.flatMap((mode) => [`${mode.mode} c=${settings.concurrency}`, `${mode.mode} c=1`])],
      SEGMENTS.map((segment) => [
        `  ${segment.label}`,
        ...modes.flatMap((mode) => [cell(mode.breakdown.segments[segment.key]), cell(mode.warmupBreakdown.segments[segment.key])]),
      ]),
    ),
  );
  for (const mode of modes) {
    if (mode.failures.length) {
      out.push('');
      out.push(`  ${mode.mode} failures (first ${mode.failures.length}):`);
      for (const failure of mode.failures) out.push(`    ${failure}`);
    }
    const ended = Object.entries(mode.subscriptionsEndedEarly);
    if (ended.length)
      out.push(
        `  ${mode.mode}: subscriptions that ended before CONFIRMED (orders.status polled instead): ${ended.map(([reason, n]) => `${n} x ${reason}`).join('; ')}`,
      );
    for (const log of mode.serviceLogs)
      out.push(`  ${mode.mode} ${log.service} logged ${log.warnings} warnings, ${log.errors} errors: ${log.samples.join(' | ')}`);
  }
  out.push('');
  for (const note of notes(settings)) out.push(`  note: ${note}`);
  process.stdout.write(`${out.join('\n')}\n`);

  await mkdir(dirname(settings.output), { recursive: true });
  await writeFile(settings.output, `${JSON.stringify(result, null, 2)}\n`);
  progress(`figures written to ${settings.output}`);
  return failed > 0 ? 1 : 0;
}
