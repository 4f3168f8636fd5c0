import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STOCK_CHANGED_TOPIC } from '@commerce/inventory';
import { createLogger, DEMO_PASSWORD, demoData, LOG_LEVELS, type DemoData, defined } from '@commerce/kit';
import { startPlatform, SUBGRAPHS, SUPERGRAPH_PATH, type RunningPlatform } from '@commerce/platform';
import { startRouter, type RouterOptions, type RunningRouter } from '@commerce/router';
import { BenchError } from './errors.js';
import { envReaders } from './settings.js';
import { BenchClient } from './http.js';
import { machineInfo } from './machine.js';
import { fixed, percentile, round, summarize, table, type LatencySummary } from './stats.js';
import { epochNow, type ChildMessage, type MemorySample, type ParentMessage, type SubscriberSpec } from './subscriptions-protocol.js';

/**
 * Subscription fan-out on one router process: N graphql-ws subscribers (a child process holds them) follow
 * `stockChanged` of one product through a router that runs in this process, in front of the embedded platform
 * (every subgraph, in-memory PGlite). It reports the router process's memory per subscriber (heap and RSS
 * after a forced GC, before and after the subscriptions are in place) and, for stock changes made with
 * adjustStock, the latency from the event's publication on the inventory subgraph's pub/sub to each
 * subscriber's `next` message, and the router process's CPU time per event.
 *
 * Two phases: all subscribers with the same selection (one group: the event is executed once and fanned out),
 * then the same subscribers spread over BENCH_GROUPS different selections of the same product (as many groups,
 * still one upstream subscription: the event is executed once per group).
 */

const BENCH_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_OUTPUT = join(BENCH_ROOT, 'results', 'subscriptions.json');
const CHILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'subscribers.js');
const REEXEC_MARK = 'BENCH_SUBSCRIPTIONS_REEXEC';
/** File descriptors beyond the sockets: subgraph servers, PGlite, HTTP keep-alive, stdio. */
const SPARE_FDS = 512;

interface Settings {
  subscribers: number;
  /** Measured stock changes per phase. */
  events: number;
  /** Stock changes per phase before measuring (checked all the same). */
  warmupEvents: number;
  /** Groups (distinct selections) of the second phase; 0 skips it. */
  groups: number;
  /** Pause between two stock changes, once the previous one reached every subscriber. */
  eventGapMs: number;
  /** Connections the child opens at once. */
  connectConcurrency: number;
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
    subscribers: int('BENCH_SUBSCRIBERS', 2000, 1, 100_000),
    events: int('BENCH_EVENTS', 20, 1, 1000),
    warmupEvents: int('BENCH_WARMUP_EVENTS', 3, 0, 100),
    groups: int('BENCH_GROUPS', 20, 0, 2 ** (SELECTION_EXTRAS.length + 1)),
    eventGapMs: int('BENCH_EVENT_GAP_MS', 200, 0, 10_000),
    connectConcurrency: int('BENCH_CONNECT_CONCURRENCY', 100, 1, 10_000),
    maxSeconds: int('BENCH_MAX_SECONDS', 300, 30, 780), // the vendor's access token lasts 15 minutes
    logLevel,
    output: env.BENCH_OUTPUT ? resolve(env.BENCH_OUTPUT) : DEFAULT_OUTPUT,
  };
}

// ---------------------------------------------------------------------------------------------------------
// What the subscribers ask for

/** The selection of the issue: the event's own fields, plus the product's name (catalog) and rating (reviews). */
const BASE_SELECTION = 'available at product { name rating { average } }';
/** Extra product fields of catalog and reviews (none of inventory, so every selection shares one upstream). */
const SELECTION_EXTRAS = [
  'description',
  'createdAt',
  'price { amount currencyCode }',
  'category { name }',
  'vendor { name }',
  'rating { count }',
];

/** Selection k: the base plus the extras of k's bits; k = 0 is the base selection. */
function selection(k: number): string {
  const extras = SELECTION_EXTRAS.filter((_, bit) => (k >> bit) & 1);
  if (k >> SELECTION_EXTRAS.length) extras.push('id'); // beyond 64 selections
  return extras.length ? BASE_SELECTION.replace(/ }$/, ` ${extras.join(' ')} }`) : BASE_SELECTION;
}

function subscriptionQuery(k: number): string {
  return `subscription StockLive($id: ID!) { stockChanged(productId: $id) { ${selection(k)} } }`;
}

interface Fixture {
  /** The product every subscriber follows (vendor1's, with stock and reviews). */
  product: { id: string; name: string; warehouseId: string };
  /** Another product of vendor1 that nobody follows: control events (the mutation without any fan-out). */
  control: { id: string; warehouseId: string };
}

function fixture(demo: DemoData): Fixture {
  const vendor1 = defined(demo.vendors[0], 'the first demo vendor').id;
  const reviewed = new Set(demo.reviews.map((review) => review.productId));
  const levels = demo.stock.filter((row) => row.vendorId === vendor1 && row.onHand > 5 && reviewed.has(row.productId));
  const level = levels[0];
  const other = levels.find((row) => row.productId !== level?.productId);
  if (!level || !other) throw new BenchError('the demo data has no two reviewed products of vendor1 with stock');
  const product = defined(
    demo.products.find((each) => each.id === level.productId),
    `product ${level.productId}`,
  );
  return {
    product: { id: product.id, name: product.name, warehouseId: level.warehouseId },
    control: { id: other.productId, warehouseId: other.warehouseId },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The child process (subscribers and trigger)

class Subscribers {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (message: ChildMessage) => void; reject: (error: Error) => void }>();
  private exited: string | undefined;

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: ChildMessage) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.type === 'failed') waiter.reject(new BenchError(`subscriber process: ${message.message}`));
      else waiter.resolve(message);
    });
    child.on('exit', (code, signal) => {
      this.exited = `the subscriber process exited (${signal ?? code})`;
      for (const waiter of this.pending.values()) waiter.reject(new BenchError(this.exited));
      this.pending.clear();
    });
  }

  /** Sends a request and waits for its reply, at most `timeoutMs`. */
  request<T extends ChildMessage['type']>(
    message: DistributiveOmit<ParentMessage, 'id'>,
    expect: T,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    if (this.exited) return Promise.reject(new BenchError(this.exited));
    const id = this.nextId++;
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          reject(new BenchError(`the subscriber process did not answer "${message.type}" within ${Math.round(timeoutMs)} ms`));
        },
        Math.max(1, timeoutMs),
      );
      this.pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          if (reply.type !== expect) reject(new BenchError(`the subscriber process answered "${message.type}" with "${reply.type}"`));
          else resolvePromise(reply as Extract<ChildMessage, { type: T }>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ ...message, id } as ParentMessage);
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolvePromise) => this.child.once('exit', () => resolvePromise()));
    if (this.child.connected) this.child.disconnect(); // the child disposes its clients and exits
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * The offset of the child's clock against this one (child - parent, ms), NTP-style: the sample with the
 * shortest round trip, the child's reading taken at its middle.
 */
async function clockOffset(subscribers: Subscribers): Promise<{ offsetMs: number; roundTripMs: number }> {
  let best = { offsetMs: 0, roundTripMs: Number.POSITIVE_INFINITY };
  for (let sample = 0; sample < 30; sample += 1) {
    const sent = epochNow();
    const reply = await subscribers.request({ type: 'clock' }, 'clock', 5000);
    const received = epochNow();
    if (received - sent < best.roundTripMs) best = { offsetMs: reply.now - (sent + received) / 2, roundTripMs: received - sent };
  }
  return best;
}

// ---------------------------------------------------------------------------------------------------------
// Memory and CPU of this (the router) process

interface MemorySummary extends MemorySample {
  /** heapUsed of each sample: its spread tells how steady the figure is. */
  heapSamples: number[];
}

/** Median of several samples, each after two forced full GCs. */
async function settledMemory(samples = 5): Promise<MemorySummary> {
  const gc = globalThis.gc;
  if (!gc) throw new BenchError('global.gc is missing: run node with --expose-gc');
  const taken: MemorySample[] = [];
  for (let sample = 0; sample < samples; sample += 1) {
    gc();
    await sleep(30);
    gc();
    const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
    taken.push({ heapUsed, rss, external, arrayBuffers });
    await sleep(70);
  }
  const median = (key: keyof MemorySample) =>
    percentile(
      taken.map((each) => each[key]).sort((a, b) => a - b),
      50,
    );
  return {
    heapUsed: median('heapUsed'),
    rss: median('rss'),
    external: median('external'),
    arrayBuffers: median('arrayBuffers'),
    heapSamples: taken.map((each) => each.heapUsed),
  };
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** Set by SIGINT: the waits below throw, and everything is closed. */
let interrupted = false;

/** Polls `condition` until it holds; throws at `deadline` (epoch ms) or when interrupted. */
async function waitUntil(condition: () => boolean, deadline: number, what: () => string): Promise<void> {
  while (!condition()) {
    if (interrupted) throw new BenchError('interrupted');
    if (epochNow() > deadline) throw new BenchError(what());
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

const KIB = 1024;
const MIB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------
// The benchmark

interface Run {
  settings: Settings;
  platform: RunningPlatform;
  router: RunningRouter;
  subscribers: Subscribers;
  token: string;
  fixture: Fixture;
  offsetMs: number;
  deadline: number;
  /** Stock changes seen on the inventory subgraph's pub/sub, in order (this process's clock). */
  published: { productId: string; available: number; at: number }[];
  progress(message: string): void;
  /** The next delta of a product's stock: +1, -1, +1, ... so it stays where it was. */
  delta(productId: string): number;
}

interface EventSample {
  /** From publication on the pub/sub to each subscriber's `next` (ms). */
  deliveries: number[];
  /** From sending adjustStock to its publication (ms). */
  publishAfterSendMs: number;
  /** adjustStock's HTTP round trip (ms). */
  mutationMs: number;
  /** Router process CPU (ms) from sending the mutation to the last delivery. */
  routerCpuMs: number;
  childCpuMs: number;
}

interface PhaseResult {
  name: string;
  description: string;
  subscribers: number;
  groups: number;
  selections: string[];
  upstreams: number;
  connect: { ms: number; subscribedMs: number; routerCpuMsPerSubscription: number };
  memory: {
    before: MemorySummary;
    established: MemorySummary;
    afterEvents: MemorySummary;
    afterClose: MemorySummary;
    perSubscriber: { heapBytes: number; rssBytes: number; externalBytes: number };
    /** Heap growth from the events, per delivered (subscriber, event): state retained per event. */
    heapBytesPerDeliveryRetained: number;
    /** What the heap kept once every subscriber left, per subscriber that was there. */
    heapBytesPerSubscriberAfterClose: number;
    client: { heapBytesPerConnection: number; rssBytesPerConnection: number };
  };
  events: number;
  truncated: boolean;
  latency: {
    /** Every (subscriber, event) delivery, from publication. */
    delivery: LatencySummary;
    /** Per event: until the first and the last subscriber got it, from publication. */
    firstSubscriber: LatencySummary;
    lastSubscriber: LatencySummary;
    /** Per event: from sending adjustStock to the last subscriber (what a caller of the mutation would see). */
    lastSubscriberFromMutation: LatencySummary;
    mutation: LatencySummary;
    publishAfterSend: LatencySummary;
  };
  cpu: {
    routerMsPerEvent: LatencySummary;
    /** The same mutation on a product nobody follows. */
    routerMsPerControlEvent: LatencySummary;
    /** (event - control) median, per subscriber. */
    routerFanOutMicrosPerSubscriber: number;
    childMsPerEvent: LatencySummary;
  };
}

async function phase(run: Run, name: string, description: string, selections: number[]): Promise<PhaseResult> {
  const { settings, router, subscribers, fixture: fx } = run;
  const n = settings.subscribers;
  const inventoryPubSub = defined(run.platform.subgraphs.inventory, 'the inventory subgraph').pubsub;
  const specs: SubscriberSpec[] = selections.map((k) => ({
    query: subscriptionQuery(k),
    variables: { id: fx.product.id },
    productId: fx.product.id,
    productName: fx.product.name,
  }));
  const remaining = () => run.deadline - epochNow();
  const check = (problems: string[], what: string) => {
    if (problems.length) throw new BenchError(`${name}: ${what}:\n  ${problems.join('\n  ')}`);
  };

  run.progress(`${name}: measuring the baseline (forced GC, 5 samples)`);
  const before = await settledMemory();
  const clientBefore = await subscribers.request({ type: 'memory' }, 'memory', 30_000);

  run.progress(
    `${name}: opening ${n} WebSocket connections, one subscription each (${specs.length} selection${specs.length > 1 ? 's' : ''})`,
  );
  const cpuConnect = process.cpuUsage();
  const connectStarted = epochNow();
  const opened = await subscribers.request(
    {
      type: 'open',
      url: router.url.replace(/^http/, 'ws'),
      count: n,
      specs,
      concurrency: settings.connectConcurrency,
      timeoutMs: remaining(),
    },
    'opened',
    remaining() + 5000,
  );
  check(opened.problems, `${opened.connected} of ${n} connected`);
  // The subscribe messages went out; wait until the router holds them all and the one upstream is in place.
  const upstreamsWanted = 1;
  await waitUntil(
    () => router.subscriptionStats().subscribers >= n && inventoryPubSub.subscriberCount(STOCK_CHANGED_TOPIC) >= 1 + upstreamsWanted,
    run.deadline,
    () => `${name}: the router holds ${router.subscriptionStats().subscribers} of ${n} subscriptions at BENCH_MAX_SECONDS`,
  );
  const subscribedMs = epochNow() - connectStarted;
  const connectCpu = cpuMs(cpuConnect);
  const stats = router.subscriptionStats();
  if (stats.subscribers !== n || stats.upstreams !== upstreamsWanted) {
    throw new BenchError(
      `${name}: the router reports ${stats.subscribers} subscribers and ${stats.upstreams} upstreams, expected ${n} and ${upstreamsWanted}`,
    );
  }
  run.progress(`${name}: ${n} subscribed in ${fixed(subscribedMs / 1000, 1)} s; measuring memory`);
  const established = await settledMemory();
  const clientEstablished = await subscribers.request({ type: 'memory' }, 'memory', 30_000);

  run.progress(`${name}: ${settings.warmupEvents} warm-up and ${settings.events} measured stock changes, each checked at every subscriber`);
  const samples: EventSample[] = [];
  const controls: number[] = [];
  let truncated = false;
  const total = settings.warmupEvents + settings.events;
  for (let index = 0; index < total; index += 1) {
    if (remaining() < 15_000) {
      truncated = true;
      break;
    }
    const sample = await stockChange(run, fx.product.id, fx.product.warehouseId, true);
    if (sample.deliveries.length !== n) throw new BenchError(`${name}: ${sample.deliveries.length} of ${n} subscribers got a change`);
    if (index >= settings.warmupEvents) {
      samples.push(sample);
      // The same mutation on a product nobody follows: what the event costs without any fan-out.
      controls.push((await stockChange(run, fx.control.id, fx.control.warehouseId, false)).routerCpuMs);
    }
    await sleep(settings.eventGapMs);
  }
  if (samples.length === 0) throw new BenchError(`${name}: BENCH_MAX_SECONDS reached before any measured event`);

  run.progress(`${name}: measuring memory after the events`);
  const afterEvents = await settledMemory();
  run.progress(`${name}: closing every connection`);
  const closed = await subscribers.request({ type: 'close', timeoutMs: 30_000 }, 'closed', 35_000);
  check(closed.problems, 'closing');
  await waitUntil(
    () => router.subscriptionStats().subscribers === 0 && router.subscriptionStats().upstreams === 0,
    epochNow() + 30_000,
    () => `${name}: the router still holds ${JSON.stringify(router.subscriptionStats())} 30 s after every client left`,
  );
  await sleep(2500); // the router's WebSocket to inventory closes 2 s after its last subscription (lazyCloseTimeout)
  const afterClose = await settledMemory();

  const deliveries = samples.flatMap((sample) => sample.deliveries);
  const routerEvent = summarize(samples.map((sample) => sample.routerCpuMs));
  const routerControl = summarize(controls);
  const deliveredEvents = samples.length;
  return {
    name,
    description,
    subscribers: n,
    groups: specs.length,
    selections: specs.map((spec) => spec.query),
    upstreams: stats.upstreams,
    connect: { ms: round(opened.ms, 1), subscribedMs: round(subscribedMs, 1), routerCpuMsPerSubscription: round(connectCpu / n, 4) },
    memory: {
      before,
      established,
      afterEvents,
      afterClose,
      perSubscriber: {
        heapBytes: Math.round((established.heapUsed - before.heapUsed) / n),
        rssBytes: Math.round((established.rss - before.rss) / n),
        externalBytes: Math.round((established.external - before.external) / n),
      },
      heapBytesPerDeliveryRetained: round(
        (afterEvents.heapUsed - established.heapUsed) / (n * (deliveredEvents + settings.warmupEvents)),
        1,
      ),
      heapBytesPerSubscriberAfterClose: Math.round((afterClose.heapUsed - before.heapUsed) / n),
      client: {
        heapBytesPerConnection: Math.round((clientEstablished.usage.heapUsed - clientBefore.usage.heapUsed) / n),
        rssBytesPerConnection: Math.round((clientEstablished.usage.rss - clientBefore.usage.rss) / n),
      },
    },
    events: deliveredEvents,
    truncated,
    latency: {
      delivery: summarize(deliveries),
      firstSubscriber: summarize(samples.map((sample) => Math.min(...sample.deliveries))),
      lastSubscriber: summarize(samples.map((sample) => Math.max(...sample.deliveries))),
      lastSubscriberFromMutation: summarize(samples.map((sample) => sample.publishAfterSendMs + Math.max(...sample.deliveries))),
      mutation: summarize(samples.map((sample) => sample.mutationMs)),
      publishAfterSend: summarize(samples.map((sample) => sample.publishAfterSendMs)),
    },
    cpu: {
      routerMsPerEvent: routerEvent,
      routerMsPerControlEvent: routerControl,
      routerFanOutMicrosPerSubscriber: round(((routerEvent.medianMs - routerControl.medianMs) * 1000) / n, 2),
      childMsPerEvent: summarize(samples.map((sample) => sample.childCpuMs)),
    },
  };
}

/** One adjustStock sent by the child; for a followed product, it returns once every subscriber has the change. */
async function stockChange(run: Run, productId: string, warehouseId: string, expectDeliveries: boolean): Promise<EventSample> {
  const seen = run.published.length;
  const cpu = process.cpuUsage();
  const reply = await run.subscribers.request(
    {
      type: 'trigger',
      url: run.router.url,
      token: run.token,
      productId,
      warehouseId,
      delta: run.delta(productId),
      expectDeliveries,
      timeoutMs: 30_000,
    },
    'triggered',
    35_000,
  );
  const routerCpuMs = cpuMs(cpu);
  if (reply.problems.length) throw new BenchError(`stock change of ${productId}:\n  ${reply.problems.join('\n  ')}`);
  // Published before adjustStock answered, so it is here already.
  const publication = run.published.slice(seen).find((each) => each.productId === productId);
  if (!publication) throw new BenchError(`the stock change of ${productId} was not published on the inventory pub/sub`);
  if (publication.available !== reply.available) {
    throw new BenchError(`the published available ${publication.available} differs from adjustStock's ${reply.available}`);
  }
  const toParent = (childTime: number) => childTime - run.offsetMs;
  return {
    deliveries: reply.receipts.map((at) => toParent(at) - publication.at),
    publishAfterSendMs: publication.at - toParent(reply.sentAt),
    mutationMs: reply.respondedAt - reply.sentAt,
    routerCpuMs,
    childCpuMs: reply.childCpuMs,
  };
}

async function logIn(url: string, email: string): Promise<string> {
  const client = new BenchClient(url);
  try {
    const response = await client.post(
      JSON.stringify({
        query: 'mutation LogIn($input: LogInInput!) { logIn(input: $input) { accessToken userErrors { code } } }',
        variables: { input: { email, password: DEMO_PASSWORD } },
      }),
    );
    const token = (JSON.parse(response.text) as { data?: { logIn?: { accessToken?: unknown } } }).data?.logIn?.accessToken;
    if (typeof token !== 'string') throw new BenchError(`cannot log ${email} in: HTTP ${response.status} ${response.text.slice(0, 300)}`);
    return token;
  } finally {
    client.close();
  }
}

/** `ulimit -n` (soft, hard) of this process; Infinity for unlimited. */
function fileLimits(): { soft: number; hard: number } {
  try {
    const [soft, hard] = execFileSync('/bin/sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).trim().split(/\s+/);
    const parse = (value: string | undefined) => (value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value));
    return { soft: parse(soft), hard: parse(hard) };
  } catch {
    return { soft: Number.NaN, hard: Number.NaN };
  }
}

/**
 * Runs this benchmark again in a node with --expose-gc (the memory figures need forced GCs) and, when the
 * soft file-descriptor limit is too low for the sockets, under `ulimit -n <hard limit>`.
 */
function reexec(raiseFilesTo: number | undefined): Promise<number> {
  const args = ['--expose-gc', ...process.execArgv, defined(process.argv[1], 'the script path'), ...process.argv.slice(2)];
  const env = { ...process.env, [REEXEC_MARK]: '1' };
  const child =
    raiseFilesTo === undefined
      ? spawn(process.execPath, args, { stdio: 'inherit', env })
      : spawn('/bin/sh', ['-c', `ulimit -n ${raiseFilesTo} && exec "$0" "$@"`, process.execPath, ...args], { stdio: 'inherit', env });
  const ignore = () => {}; // Ctrl-C reaches the child too (same process group); it stops itself
  process.on('SIGINT', ignore);
  return new Promise((resolvePromise) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolvePromise(code ?? (signal ? 1 : 0));
    });
  });
}

const NOTES = [
  'The router runs in this process in front of the embedded platform (every subgraph in this process too, in-memory PGlite databases): the memory and CPU figures are those of that one process, whose only load is the subscriptions and the stock changes; the subscribers and the process sending adjustStock are a separate child process.',
  'Memory per subscriber: (heapUsed, or RSS, with N subscriptions established - before any) / N, each the median of 5 samples after forced full GCs. It includes the WebSocket, graphql-ws and router state of each connection (one subscription per connection); RSS also holds buffers and memory V8 keeps after GC, so it is coarser.',
  "Latency: from the stock change's publication on the inventory subgraph's pub/sub (seen in this process) to the subscriber's `next` message parsed in the child (the clocks of the two processes are aligned to within the IPC round trip): inventory's graphql-ws to the router, entity fetches to catalog and reviews once per group, fan-out and serialization per subscriber, loopback sockets, and the child parsing 1 message after another on one thread (part of the spread between the first and the last subscriber is the client side).",
  "Router CPU per event: this process's CPU time (user + system, every thread) from sending adjustStock to the last delivery; the control event is the same mutation on a product nobody follows (the mutation, its database write and the publication without fan-out). Fan-out per subscriber = (event - control) / N, medians.",
  "Every subscriber is anonymous (one principal: the per-principal limit of the benchmark's router is raised to 100000) and gets every change exactly once, with product.name and rating.average filled and the available of adjustStock's answer; anything else aborts the run.",
];

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const settings = readSettings(env);
  const limits = fileLimits();
  const neededFds = settings.subscribers + SPARE_FDS; // each process holds one end of every connection
  if (typeof globalThis.gc !== 'function' || limits.soft < neededFds) {
    if (env[REEXEC_MARK]) {
      if (limits.soft < neededFds)
        throw new BenchError(
          `ulimit -n is ${limits.soft}: ${settings.subscribers} subscribers need about ${neededFds} file descriptors; raise it (ulimit -n ${neededFds}) or lower BENCH_SUBSCRIBERS`,
        );
      throw new BenchError('global.gc is missing: run node with --expose-gc');
    }
    if (limits.soft < neededFds && !(limits.hard >= neededFds)) {
      throw new BenchError(
        `ulimit -n is ${limits.soft} (hard limit ${limits.hard}): ${settings.subscribers} subscribers need about ${neededFds} file descriptors; lower BENCH_SUBSCRIBERS or raise the hard limit`,
      );
    }
    return reexec(limits.soft < neededFds ? Math.min(limits.hard, 65_536) : undefined);
  }

  const progress = (message: string) => process.stderr.write(`[subscriptions] ${message}\n`);
  const started = epochNow();
  const deadline = started + settings.maxSeconds * 1000;
  const demo = demoData();
  const fx = fixture(demo);
  let platform: RunningPlatform | undefined;
  let router: RunningRouter | undefined;
  let subscribers: Subscribers | undefined;
  let stopProbe = () => {};
  const interrupt = () => {
    progress('interrupted: stopping');
    interrupted = true;
    void subscribers?.stop();
  };
  process.once('SIGINT', interrupt);
  // A hard stop if something hangs past the deadline despite the timeouts.
  const watchdog = setTimeout(
    () => {
      process.stderr.write(`[subscriptions] still running ${settings.maxSeconds + 60} s after the start: exiting\n`);
      subscribers?.child.kill('SIGKILL');
      process.exit(2);
    },
    (settings.maxSeconds + 60) * 1000,
  );
  watchdog.unref();
  try {
    progress(
      `file descriptors: ulimit -n ${limits.soft} (hard ${limits.hard}), ${settings.subscribers} subscribers need about ${neededFds} per process`,
    );
    progress("starting the embedded platform (in-memory PGlite, demo data) and the benchmark's router");
    platform = await startPlatform({
      databases: Object.fromEntries(SUBGRAPHS.map((definition) => [definition.name, 'memory://'])),
      routerPort: 0,
      host: '127.0.0.1',
      seedDemoData: true,
      logger: (service) => createLogger(service, settings.logLevel),
    });
    const identityUrl = defined(platform.subgraphs.identity, 'the identity subgraph').url;
    const routerOptions: RouterOptions = {
      supergraphPath: SUPERGRAPH_PATH,
      watchSupergraph: false,
      port: 0,
      host: '127.0.0.1',
      subgraphUrls: Object.fromEntries(Object.values(platform.subgraphs).map((running) => [running.name, running.url])),
      jwksUrl: identityUrl.replace(/\/graphql$/, '/.well-known/jwks.json'),
      routerSecret: platform.routerSecret,
      logger: createLogger('router-subscriptions', settings.logLevel),
      // Every subscriber is anonymous and comes from 127.0.0.1: one principal. The rest are the defaults.
      subscriptions: { limits: { perPrincipal: 100_000, perConnection: 100 } },
    };
    const benchRouter = await startRouter(routerOptions);
    router = benchRouter;
    await waitUntil(
      () => benchRouter.supergraphVersion() > 0,
      epochNow() + 30_000,
      () => `router ${benchRouter.url} loaded no supergraph within 30 s`,
    );
    const token = await logIn(benchRouter.url, 'vendor1@demo.shop');

    // Every stock change the inventory subgraph publishes, timestamped here; subscribed before any subscriber,
    // so this listener runs first when a change is published.
    const published: Run['published'] = [];
    const probe = defined(platform.subgraphs.inventory, 'the inventory subgraph').pubsub.subscribe(STOCK_CHANGED_TOPIC);
    stopProbe = () => void probe.return();
    void (async () => {
      for await (const payload of probe) {
        const at = epochNow();
        const event = payload as { productId: string; available: number };
        published.push({ productId: event.productId, available: event.available, at });
      }
    })();
    await probe.ready;

    progress('starting the subscriber process');
    const child = fork(CHILD_SCRIPT, [], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    subscribers = new Subscribers(child);
    const clock = await clockOffset(subscribers);
    progress(`clock offset of the subscriber process ${fixed(clock.offsetMs, 3)} ms (IPC round trip ${fixed(clock.roundTripMs, 3)} ms)`);

    const lastDelta = new Map<string, number>();
    const run: Run = {
      settings,
      platform,
      router: benchRouter,
      subscribers,
      token,
      fixture: fx,
      offsetMs: clock.offsetMs,
      deadline,
      published,
      progress,
      delta: (productId) => {
        const delta = lastDelta.get(productId) === 1 ? -1 : 1;
        lastDelta.set(productId, delta);
        return delta;
      },
    };

    // Warm the router's subscription paths up (planning, entity fetches, JIT) with a few subscribers of every
    // selection, so that the baseline holds what is built once, not per subscriber.
    progress('warming up with a few subscribers of every selection');
    const warmSelections = Array.from({ length: Math.max(1, settings.groups) }, (_, k) => k);
    const warm = await subscribers.request(
      {
        type: 'open',
        url: benchRouter.url.replace(/^http/, 'ws'),
        count: warmSelections.length * 2,
        specs: warmSelections.map((k) => ({
          query: subscriptionQuery(k),
          variables: { id: fx.product.id },
          productId: fx.product.id,
          productName: fx.product.name,
        })),
        concurrency: 10,
        timeoutMs: 30_000,
      },
      'opened',
      35_000,
    );
    if (warm.problems.length) throw new BenchError(`warm-up: ${warm.problems.join('; ')}`);
    await waitUntil(
      () => benchRouter.subscriptionStats().subscribers >= warmSelections.length * 2,
      deadline,
      () => 'warm-up: the subscriptions were not in place at BENCH_MAX_SECONDS',
    );
    for (let index = 0; index < 3; index += 1) {
      await stockChange(run, fx.product.id, fx.product.warehouseId, true);
      await stockChange(run, fx.control.id, fx.control.warehouseId, false);
    }
    await subscribers.request({ type: 'close', timeoutMs: 30_000 }, 'closed', 35_000);
    await waitUntil(
      () => benchRouter.subscriptionStats().subscribers === 0,
      epochNow() + 30_000,
      () => 'warm-up: the subscriptions did not end within 30 s',
    );
    await sleep(2500);

    const loadBefore = loadavg()[0] ?? Number.NaN;
    const phases: PhaseResult[] = [];
    phases.push(
      await phase(run, 'one group', `${settings.subscribers} subscribers, one selection: one group, one execution per event`, [0]),
    );
    if (settings.groups > 1) {
      phases.push(
        await phase(
          run,
          `${settings.groups} groups`,
          `${settings.subscribers} subscribers spread over ${settings.groups} selections of the same product: ${settings.groups} groups, still one upstream`,
          Array.from({ length: settings.groups }, (_, k) => k),
        ),
      );
    }
    const elapsedSeconds = (epochNow() - started) / 1000;

    const result = {
      benchmark: 'subscriptions',
      date: new Date().toISOString(),
      machine: {
        ...machineInfo(),
        /** 1-minute load average before and after measuring: other work on the machine makes the figures noisier. */
        loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0] ?? Number.NaN, 2) },
        fileDescriptors: { soft: limits.soft, hard: limits.hard },
      },
      setup: {
        process:
          'one process: embedded platform (every subgraph, in-memory PGlite, demo data) + the router measured; subscribers and trigger in a child process',
        transport: 'graphql-ws (graphql-transport-ws) over loopback WebSockets, one subscription per connection, anonymous',
        routerSubscriptionLimits: routerOptions.subscriptions?.limits,
        product: fx.product,
        baseSelection: subscriptionQuery(0),
        clock: { offsetMs: round(clock.offsetMs, 3), roundTripMs: round(clock.roundTripMs, 3) },
      },
      settings: {
        ...settings,
        output: undefined,
        elapsedSeconds: round(elapsedSeconds, 1),
        truncated: phases.some((each) => each.truncated),
      },
      phases,
      notes: NOTES,
    };

    // The report
    const kib = (bytes: number) => fixed(bytes / KIB, 1);
    const out: string[] = [];
    out.push(
      `subscriptions: ${settings.subscribers} graphql-ws subscribers on one router process (embedded platform, in-memory PGlite, in the same process; subscribers in a child process)`,
    );
    out.push(
      `  stockChanged(productId) { ${BASE_SELECTION} }, ${settings.events} measured changes per phase after ${settings.warmupEvents} warm-up, each checked at every subscriber; ` +
        `${result.machine.cpus} cpus (load ${fixed(loadBefore, 1)} -> ${fixed(loadavg()[0] ?? Number.NaN, 1)}), node ${process.version}${result.settings.truncated ? '; STOPPED AT BENCH_MAX_SECONDS' : ''}`,
    );
    out.push('');
    out.push('  memory of the router process (heap / RSS after forced GC; per subscriber = delta / N):');
    out.push(
      table(
        [
          '  phase',
          'groups',
          'upstreams',
          'heap before MiB',
          'heap with N MiB',
          'heap/sub KiB',
          'RSS/sub KiB',
          'retained/delivery B',
          'left after close KiB/sub',
          'client heap/conn KiB',
        ],
        phases.map((each) => [
          `  ${each.name}`,
          String(each.groups),
          String(each.upstreams),
          fixed(each.memory.before.heapUsed / MIB, 1),
          fixed(each.memory.established.heapUsed / MIB, 1),
          kib(each.memory.perSubscriber.heapBytes),
          kib(each.memory.perSubscriber.rssBytes),
          fixed(each.memory.heapBytesPerDeliveryRetained, 0),
          kib(each.memory.heapBytesPerSubscriberAfterClose),
          kib(each.memory.client.heapBytesPerConnection),
        ]),
      ),
    );
    out.push('');
    out.push("  event-to-client latency, ms from the publication on inventory's pub/sub to each subscriber's `next`:");
    out.push(
      table(
        [
          '  phase',
          'events',
          'deliveries',
          'p50',
          'p99',
          'max',
          'first p50',
          'last p50',
          'last p99',
          'mutation p50',
          'last from mutation p50',
        ],
        phases.map((each) => [
          `  ${each.name}`,
          String(each.events),
          String(each.latency.delivery.requests),
          fixed(each.latency.delivery.medianMs),
          fixed(each.latency.delivery.p99Ms),
          fixed(each.latency.delivery.maxMs),
          fixed(each.latency.firstSubscriber.medianMs),
          fixed(each.latency.lastSubscriber.medianMs),
          fixed(each.latency.lastSubscriber.p99Ms),
          fixed(each.latency.mutation.medianMs),
          fixed(each.latency.lastSubscriberFromMutation.medianMs),
        ]),
      ),
    );
    out.push('');
    out.push('  CPU of the router process per stock change, ms (median; control = same mutation, nobody follows):');
    out.push(
      table(
        [
          '  phase',
          'event',
          'control',
          'fan-out µs/subscriber',
          'subscribe ms CPU/sub',
          `${settings.subscribers} subscribed in s`,
          'client CPU/event',
        ],
        phases.map((each) => [
          `  ${each.name}`,
          fixed(each.cpu.routerMsPerEvent.medianMs, 1),
          fixed(each.cpu.routerMsPerControlEvent.medianMs, 1),
          fixed(each.cpu.routerFanOutMicrosPerSubscriber, 1),
          fixed(each.connect.routerCpuMsPerSubscription, 3),
          fixed(each.connect.subscribedMs / 1000, 2),
          fixed(each.cpu.childMsPerEvent.medianMs, 1),
        ]),
      ),
    );
    out.push('');
    out.push('  "last" = until the last of the N subscribers got the event (p99 over few events is close to their max).');
    for (const note of NOTES) out.push(`  note: ${note}`);
    process.stdout.write(`${out.join('\n')}\n`);

    await mkdir(dirname(settings.output), { recursive: true });
    await writeFile(settings.output, `${JSON.stringify(result, null, 2)}\n`);
    progress(`figures written to ${settings.output}`);
    return 0;
  } finally {
    process.off('SIGINT', interrupt);
    clearTimeout(watchdog);
    await subscribers?.stop();
    stopProbe();
    await router?.close();
    await platform?.close();
  }
}
