import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createLogger, DEMO_PASSWORD, demoData, LOG_LEVELS, REPO_ROOT, type DemoData, defined } from '@commerce/kit';
import { startPlatform, SUBGRAPHS, SUPERGRAPH_PATH, type RunningPlatform } from '@commerce/platform';
import { startRouter, type RouterOptions, type RunningRouter } from '@commerce/router';
import { BenchError } from './errors.js';
import { envReaders } from './settings.js';
import { BenchClient, type TimedResponse } from './http.js';
import { machineInfo } from './machine.js';
import { fixed, round, signedPercent, summarize, table, type LatencySummary } from './stats.js';

/**
 * The router's policy overhead: two routers in this process over the same embedded subgraphs, one with every
 * policy on (authentication with real tokens, authorization in filter mode, demand control enforcing, the
 * default operation limits, introspection by scope, rate limits that never refuse, the persisted-query
 * safelist), one with every policy off (anonymous, authorization off, no cost, very high limits, no rate
 * limit, free-form queries). The same query mix goes to both, interleaved request by request so that machine
 * noise hits both alike; the result is the ratio on/off of the latency percentiles, against the goal of less
 * than 10% more latency at the median.
 */
export const GOAL_MEDIAN_OVERHEAD_PERCENT = 10;

const BENCH_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_OUTPUT = join(BENCH_ROOT, 'results', 'router-overhead.json');
const UNAUTHORIZED = 'UNAUTHORIZED_FIELD_OR_TYPE';
const MAX_SECONDS = 780;

type Side = 'off' | 'on';
type Account = 'customer' | 'vendor';

interface Settings {
  /** Sequential (concurrency 1) measured requests per router. */
  requests: number;
  /** Requests per router before measuring. */
  warmup: number;
  /** Concurrency of the throughput phase; 0 skips it. */
  concurrency: number;
  /** Requests per router in the throughput phase. */
  throughputRequests: number;
  /** Hard stop of the measurement phases (seconds); the figures then cover what was measured. */
  maxSeconds: number;
  logLevel: string;
  output: string;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const { int } = envReaders(env);
  const requests = int('BENCH_REQUESTS', 2000, 10);
  const logLevel = env.BENCH_LOG_LEVEL || 'silent';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw new BenchError(`BENCH_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    requests,
    warmup: int('BENCH_WARMUP', 200, 0),
    concurrency: int('BENCH_CONCURRENCY', 8, 0),
    throughputRequests: int('BENCH_THROUGHPUT_REQUESTS', requests, 8),
    maxSeconds: int('BENCH_MAX_SECONDS', 600, 10, MAX_SECONDS), // the access tokens last 15 minutes
    logLevel,
    output: env.BENCH_OUTPUT ? resolve(env.BENCH_OUTPUT) : DEFAULT_OUTPUT,
  };
}

/** Set by SIGINT: the next request throws, and the routers and the platform are closed. */
let interrupted = false;

// ---------------------------------------------------------------------------------------------------------
// The query mix

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: unknown } }[];
  extensions?: { cost?: { estimated?: unknown; max?: unknown } };
}

interface MixQuery {
  name: string;
  operationName: string | undefined;
  query: string;
  /** Realistic variables, rotated request by request (the same sequence on both routers). */
  variants: Record<string, unknown>[];
  /** Who signs the request on the policies-on router (the policies-off router is always anonymous). */
  account: Account;
  /** Response paths (joined with '.') where the policies-on router may answer UNAUTHORIZED_FIELD_OR_TYPE. */
  unauthorizedPaths?: RegExp;
  /** The data is what this query must return on that router; returns what is wrong, if anything. */
  check(data: Record<string, unknown>, side: Side): string | undefined;
}

/** The README's quick-start query, byte for byte. */
const QUICK_START =
  '{ products(first: 3) { edges { node { name price { amount currencyCode } stock { available } rating { average count } reviews(first: 2) { edges { node { rating author { name } } } } } } } }';

function queryMix(demo: DemoData): MixQuery[] {
  const vendor1 = defined(demo.vendors[0], 'the first demo vendor').id;
  // The product pages people open: the most reviewed products.
  const reviewCounts = new Map<string, number>();
  for (const review of demo.reviews) reviewCounts.set(review.productId, (reviewCounts.get(review.productId) ?? 0) + 1);
  const popular = [...reviewCounts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 8)
    .map(([id]) => id);
  return [
    {
      name: 'quick-start (README)',
      operationName: undefined,
      query: QUICK_START,
      variants: [{}],
      account: 'customer',
      check: (data) => {
        const edges = connection(data.products);
        if (edges?.length !== 3) return `expected 3 products, got ${edges?.length}`;
        return edges.every(
          (edge) => typeof field(edge, 'node', 'name') === 'string' && field(edge, 'node', 'rating') && field(edge, 'node', 'stock'),
        )
          ? undefined
          : 'a product lacks name, rating or stock';
      },
    },
    {
      name: 'product page + 10 reviews',
      operationName: 'ProductPage',
      query: `query ProductPage($id: ID!, $reviews: Int!) {
  product(id: $id) {
    id name description createdAt inStock
    price { amount currencyCode }
    category { id name slug }
    vendor { id name }
    stock { available }
    rating { average count }
    reviews(first: $reviews) {
      edges { cursor node { id rating body createdAt author { id name } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`,
      variants: popular.map((id) => ({ id, reviews: 10 })),
      account: 'customer',
      check: (data) => {
        if (!data.product) return 'product is null';
        const reviews = connection(field(data.product, 'reviews'));
        if (!reviews?.length) return 'no reviews';
        return reviews.every((edge) => typeof field(edge, 'node', 'author', 'name') === 'string')
          ? undefined
          : 'a review has no author name';
      },
    },
    {
      name: 'search + filter',
      operationName: 'SearchProducts',
      query: `query SearchProducts($search: String!, $filter: ProductFilter, $first: Int!) {
  products(search: $search, filter: $filter, first: $first) {
    edges { cursor node { id name price { amount currencyCode } inStock rating { average count } vendor { name } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
      variants: [
        { search: 'tent OR backpack OR headlamp OR hammock', filter: { categorySlug: 'outdoor', maxPrice: '200.00' }, first: 10 },
        { search: 'knife OR pan OR kettle OR grinder', filter: { categorySlug: 'kitchen', minPrice: '5.00' }, first: 10 },
        { search: 'headphones OR speaker OR lamp OR keyboard', filter: { minPrice: '10.00', maxPrice: '240.00' }, first: 10 },
      ],
      account: 'customer',
      check: (data) => (connection(data.products)?.length ? undefined : 'the search found nothing'),
    },
    {
      name: 'me { name email }',
      operationName: 'Me',
      query: 'query Me { me { name email } }',
      variants: [{}],
      account: 'customer',
      check: (data, side) => {
        if (side === 'off') return data.me === null ? undefined : 'an anonymous me is not null';
        return field(data.me, 'name') === 'Alice Customer' && field(data.me, 'email') === 'customer1@demo.shop'
          ? undefined
          : `me is ${JSON.stringify(data.me)}`;
      },
    },
    {
      name: 'vendor stock { reserved }',
      operationName: 'VendorStock',
      query: `query VendorStock($vendorId: ID!, $first: Int!) {
  products(first: $first, filter: { vendorId: $vendorId }) {
    edges { node { id name inStock stock { available reserved onHand } } }
  }
}`,
      variants: [{ vendorId: vendor1, first: 10 }],
      account: 'vendor',
      check: (data) => {
        const edges = connection(data.products);
        if (!edges?.length) return 'no products';
        return edges.every((edge) => typeof field(edge, 'node', 'stock', 'reserved') === 'number') ? undefined : 'reserved is missing';
      },
    },
  ];
}

/** Probes that show each policy is really on (or really off) before anything is measured. */
const FOREIGN_STOCK = 'query ForeignStock($id: ID!) { product(id: $id) { id stock { available reserved } } }';
const UNLISTED = 'query Unlisted { categories { id name } }';
const INTROSPECTION = '{ __schema { queryType { name } } }';

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function connection(value: unknown): unknown[] | undefined {
  const edges = field(value, 'edges');
  return Array.isArray(edges) ? edges : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Routers and requests

interface Target {
  side: Side;
  router: RunningRouter;
  client: BenchClient;
  headers: Record<Account, Record<string, string>>;
}

interface PreparedRequest {
  query: number;
  body: string;
}

function prepare(mix: MixQuery[], count: number): PreparedRequest[] {
  return Array.from({ length: count }, (_, index) => {
    const queryIndex = index % mix.length;
    const query = defined(mix[queryIndex], 'the query of the mix');
    const variables = defined(query.variants[Math.floor(index / mix.length) % query.variants.length], 'a variant');
    return { query: queryIndex, body: JSON.stringify({ query: query.query, operationName: query.operationName, variables }) };
  });
}

function parseBody(response: TimedResponse): GraphQLBody | undefined {
  try {
    return JSON.parse(response.text) as GraphQLBody;
  } catch {
    return undefined;
  }
}

/** What is wrong with a response to one query of the mix, or undefined. */
function problemOf(response: TimedResponse, query: MixQuery, side: Side): string | undefined {
  if (response.status !== 200) return `HTTP ${response.status}: ${response.text.slice(0, 300)}`;
  const body = parseBody(response);
  if (!body) return `not JSON: ${response.text.slice(0, 300)}`;
  const unexpected = (body.errors ?? []).filter(
    (error) => !(side === 'on' && error.extensions?.code === UNAUTHORIZED && query.unauthorizedPaths?.test((error.path ?? []).join('.'))),
  );
  if (unexpected.length) return `errors: ${JSON.stringify(unexpected).slice(0, 400)}`;
  if (!body.data) return 'no data';
  return query.check(body.data, side);
}

async function send(
  target: Target,
  mix: MixQuery[],
  request: PreparedRequest,
  extraHeaders: Record<string, string> = {},
): Promise<TimedResponse> {
  if (interrupted) throw new BenchError('interrupted');
  const query = defined(mix[request.query], 'the query of the mix');
  const response = await target.client.post(request.body, { ...target.headers[query.account], ...extraHeaders });
  const problem = problemOf(response, query, target.side);
  if (problem) throw new BenchError(`policies-${target.side} router, query "${query.name}": ${problem}`);
  return response;
}

async function logIn(client: BenchClient, email: string): Promise<string> {
  const response = await client.post(
    JSON.stringify({
      query: 'mutation LogIn($input: LogInInput!) { logIn(input: $input) { accessToken userErrors { code } } }',
      variables: { input: { email, password: DEMO_PASSWORD } },
    }),
  );
  const token = field(parseBody(response)?.data, 'logIn', 'accessToken');
  if (typeof token !== 'string') throw new BenchError(`cannot log ${email} in: HTTP ${response.status} ${response.text.slice(0, 300)}`);
  return token;
}

// ---------------------------------------------------------------------------------------------------------
// Verification: every query answers correctly on both routers, and each policy is visibly on or off.

interface Verified {
  estimatedCost: Record<string, number>;
  maxCost: number;
}

async function verify(targets: Record<Side, Target>, mix: MixQuery[], demo: DemoData): Promise<Verified> {
  const estimatedCost: Record<string, number> = {};
  let maxCost = Number.NaN;
  for (const [index, query] of mix.entries()) {
    for (const variant of query.variants.keys()) {
      const request = {
        query: index,
        body: JSON.stringify({ query: query.query, operationName: query.operationName, variables: query.variants[variant] }),
      };
      for (const side of ['off', 'on'] as const) {
        const response = await send(targets[side], mix, request, { 'x-include-cost': 'true' });
        const cost = parseBody(response)?.extensions?.cost;
        const limited = response.headers['ratelimit-limit'] !== undefined;
        if (side === 'on') {
          if (typeof cost?.estimated !== 'number')
            throw new BenchError(`policies-on router: no estimated cost for "${query.name}" (demand control is not on)`);
          estimatedCost[query.name] = Math.max(estimatedCost[query.name] ?? 0, cost.estimated);
          maxCost = Number(cost.max);
          if (!limited) throw new BenchError('policies-on router: no RateLimit-Limit header (rate limiting is not on)');
        } else if (cost !== undefined || limited) {
          throw new BenchError('policies-off router: it reports a cost or rate-limit headers (a policy is still on)');
        }
      }
    }
  }

  const expect = async (
    side: Side,
    account: Account | undefined,
    body: object,
    check: (status: number, parsed: GraphQLBody | undefined) => boolean,
    what: string,
  ) => {
    const target = targets[side];
    const response = await target.client.post(JSON.stringify(body), account ? target.headers[account] : {});
    if (!check(response.status, parseBody(response))) {
      throw new BenchError(`policies-${side} router, ${what}: unexpected HTTP ${response.status} ${response.text.slice(0, 300)}`);
    }
  };
  const codes = (parsed: GraphQLBody | undefined) => (parsed?.errors ?? []).map((error) => error.extensions?.code);
  // Authorization, per entity: vendor 1's staff may not see another vendor's reserved stock.
  const foreign = defined(
    demo.products.find((product) => product.vendorId !== defined(demo.vendors[0], 'the first demo vendor').id),
    'a product of another vendor',
  ).id;
  const foreignStock = { query: FOREIGN_STOCK, operationName: 'ForeignStock', variables: { id: foreign } };
  await expect(
    'on',
    'vendor',
    foreignStock,
    (status, parsed) =>
      status === 200 && field(parsed?.data, 'product', 'stock', 'reserved') === null && codes(parsed).includes(UNAUTHORIZED),
    "another vendor's stock",
  );
  await expect(
    'off',
    undefined,
    foreignStock,
    (status, parsed) => status === 200 && typeof field(parsed?.data, 'product', 'stock', 'reserved') === 'number' && !parsed?.errors,
    "another vendor's stock",
  );
  // Introspection by scope: a customer has no schema:read.
  await expect(
    'on',
    'customer',
    { query: INTROSPECTION },
    (status, parsed) => status === 400 && codes(parsed).includes('INTROSPECTION_DISABLED'),
    'introspection',
  );
  await expect(
    'off',
    undefined,
    { query: INTROSPECTION },
    (status, parsed) => status === 200 && field(parsed?.data, '__schema', 'queryType', 'name') === 'Query',
    'introspection',
  );
  // The persisted-query safelist refuses an operation that no manifest lists.
  await expect(
    'on',
    'customer',
    { query: UNLISTED },
    (status, parsed) =>
      status === 403 && codes(parsed).some((code) => String(code).startsWith('PERSISTED_QUERY_') || code === 'QUERY_NOT_IN_SAFELIST'),
    'an unlisted operation',
  );
  await expect(
    'off',
    undefined,
    { query: UNLISTED },
    (status, parsed) => status === 200 && Array.isArray(parsed?.data?.categories),
    'an unlisted operation',
  );
  // Operation limits: depth 20 passes the off router's very high limits and not the default of 15.
  let nested = 'id';
  for (let level = 0; level < 4; level += 1) nested = `reviews(first: 1) { edges { node { product { ${nested} } } } }`;
  const deep = `{ products(first: 1) { edges { node { ${nested} } } } }`;
  await expect('off', undefined, { query: deep }, (status) => status === 200, 'a deep operation');
  // (On the policies-on router the safelist answers first; the limits' own tests are in router/test.)
  return { estimatedCost, maxCost };
}

// ---------------------------------------------------------------------------------------------------------
// Measurement

interface Sample {
  query: number;
  ms: number;
}

/**
 * Sequential requests, alternating the two routers request by request (and which goes first, pair by pair),
 * so that GC, JIT and machine noise land on both alike. Stops early at the deadline.
 */
async function interleaved(
  targets: Record<Side, Target>,
  mix: MixQuery[],
  requests: PreparedRequest[],
  deadline: number,
): Promise<{ samples: Record<Side, Sample[]>; truncated: boolean }> {
  const samples: Record<Side, Sample[]> = { off: [], on: [] };
  for (const [index, request] of requests.entries()) {
    if (performance.now() > deadline) return { samples, truncated: true };
    const order: Side[] = index % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
    for (const side of order) {
      const response = await send(targets[side], mix, request);
      samples[side].push({ query: request.query, ms: response.latencyMs });
    }
  }
  return { samples, truncated: false };
}

/** `concurrency` clients in a loop against one router; requests per second of wall time. */
async function burst(
  target: Target,
  mix: MixQuery[],
  requests: PreparedRequest[],
  concurrency: number,
): Promise<{ requests: number; ms: number }> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < requests.length; index = next++) await send(target, mix, defined(requests[index], 'the request'));
    }),
  );
  return { requests: requests.length, ms: performance.now() - started };
}

/** Several alternating rounds per router (on, off, off, on, ...), so a slow stretch of the machine hits both. */
async function throughput(targets: Record<Side, Target>, mix: MixQuery[], settings: Settings, deadline: number) {
  const rounds = 4;
  const perRound = prepare(mix, Math.ceil(settings.throughputRequests / rounds));
  const totals: Record<Side, { requests: number; ms: number }> = { off: { requests: 0, ms: 0 }, on: { requests: 0, ms: 0 } };
  let truncated = false;
  for (let round = 0; round < rounds; round += 1) {
    if (performance.now() > deadline) {
      truncated = true;
      break;
    }
    for (const side of round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      const result = await burst(targets[side], mix, perRound, settings.concurrency);
      totals[side].requests += result.requests;
      totals[side].ms += result.ms;
    }
  }
  const rate = (side: Side) => (totals[side].ms > 0 ? (totals[side].requests * 1000) / totals[side].ms : Number.NaN);
  return {
    off: { requests: totals.off.requests, reqPerSec: rate('off') },
    on: { requests: totals.on.requests, reqPerSec: rate('on') },
    truncated,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The benchmark

const NOTES = [
  "Both routers run in this one process, over the same subgraphs and the same in-memory PGlite databases, and so does the load generator: the figures are end-to-end latency over loopback, not the router's own CPU time, and the subgraphs' time is in both.",
  "The policies-off router is anonymous (authentication is a policy), so its `me` answers null without a database read, and its subgraphs skip the principal's signature check.",
  'The policies-off router still runs the operation-limit walk and the token count (there is no off switch), with limits set very high; its persisted-query mode is off (free-form).',
  "The policies-on router weighs each operation's cost against a rate limit so large that it never refuses (in memory), and its per-entity policy on StockLevel.reserved looks the product vendors up in the catalog subgraph.",
];

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const settings = readSettings(env);
  const progress = (message: string) => process.stderr.write(`[router-overhead] ${message}\n`);
  const demo = demoData();
  const mix = queryMix(demo);
  const manifestDir = await mkdtemp(join(tmpdir(), 'commerce-bench-'));
  const routers: RunningRouter[] = [];
  const clients: BenchClient[] = [];
  let platform: RunningPlatform | undefined;
  const stop = () => {
    progress('interrupted: stopping');
    interrupted = true;
  };
  process.once('SIGINT', stop);
  try {
    progress('starting the embedded platform (in-memory PGlite, demo data)');
    platform = await startPlatform({
      databases: Object.fromEntries(SUBGRAPHS.map((definition) => [definition.name, 'memory://'])),
      routerPort: 0,
      host: '127.0.0.1',
      seedDemoData: true,
      logger: (service) => createLogger(service, settings.logLevel),
    });

    // Every operation the policies-on router will run is in a manifest, as a production client's would be.
    const manifest = join(manifestDir, 'bench.json');
    const operations = [
      ...mix.map((query) => ({ name: query.operationName ?? 'QuickStart', body: query.query })),
      { name: 'ForeignStock', body: FOREIGN_STOCK },
    ];
    await writeFile(
      manifest,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: operations.map(({ name, body }) => ({
          id: createHash('sha256').update(body).digest('hex'),
          name,
          type: 'query',
          body,
        })),
      }),
    );

    const identityUrl = defined(platform.subgraphs.identity, 'the identity subgraph').url;
    const common: Omit<RouterOptions, 'logger'> = {
      supergraphPath: SUPERGRAPH_PATH,
      watchSupergraph: false,
      port: 0,
      host: '127.0.0.1',
      subgraphUrls: Object.fromEntries(Object.values(platform.subgraphs).map((running) => [running.name, running.url])),
      jwksUrl: identityUrl.replace(/\/graphql$/, '/.well-known/jwks.json'),
      routerSecret: platform.routerSecret,
    };
    const HIGH = 1_000_000;
    const onOptions: RouterOptions = {
      ...common,
      logger: createLogger('router-policies-on', settings.logLevel),
      authorizationMode: 'filter',
      demandControl: { mode: 'enforce' },
      limits: { introspection: 'scope' }, // OPERATION_LIMIT_DEFAULTS
      rateLimit: { enabled: true, points: 1_000_000_000, tenantPoints: 1_000_000_000, windowSeconds: 60 },
      persistedQueries: {
        modes: { default: 'safelist' },
        manifests: [...['web', 'mobile'].map((client) => join(REPO_ROOT, 'schema', 'persisted-queries', `${client}.json`)), manifest],
      },
    };
    const offOptions: RouterOptions = {
      ...common,
      logger: createLogger('router-policies-off', settings.logLevel),
      authorizationMode: 'off',
      demandControl: { mode: 'off' },
      limits: {
        maxDepth: HIGH,
        maxHeight: HIGH,
        maxAliases: HIGH,
        maxRootFields: HIGH,
        maxTokens: HIGH,
        maxBatch: 1000,
        introspection: 'on',
      },
      rateLimit: { enabled: false },
      persistedQueries: { modes: { default: 'off' } },
    };
    progress('starting the policies-on and policies-off routers');
    const [onRouter, offRouter] = await Promise.all([startRouter(onOptions), startRouter(offOptions)]);
    routers.push(onRouter, offRouter);
    await Promise.all(routers.map((router) => waitReady(router)));

    const platformClient = new BenchClient(platform.routerUrl);
    clients.push(platformClient);
    const [customer, vendor] = await Promise.all([
      logIn(platformClient, 'customer1@demo.shop'),
      logIn(platformClient, 'vendor1@demo.shop'),
    ]);
    const socketsPerRouter = Math.max(settings.concurrency, 1) * 2;
    const targets: Record<Side, Target> = {
      on: {
        side: 'on',
        router: onRouter,
        client: new BenchClient(onRouter.url, socketsPerRouter),
        headers: { customer: { authorization: `Bearer ${customer}` }, vendor: { authorization: `Bearer ${vendor}` } },
      },
      off: {
        side: 'off',
        router: offRouter,
        client: new BenchClient(offRouter.url, socketsPerRouter),
        headers: { customer: {}, vendor: {} },
      },
    };
    clients.push(targets.on.client, targets.off.client);

    progress('verifying every query on both routers, and that each policy is on (or off)');
    const verified = await verify(targets, mix, demo);

    progress(`warming up: ${settings.warmup} requests per router`);
    const loadBefore = loadavg()[0] ?? Number.NaN;
    const started = performance.now();
    const deadline = started + settings.maxSeconds * 1000;
    await interleaved(targets, mix, prepare(mix, settings.warmup), deadline);

    progress(`measuring: ${settings.requests} sequential requests per router, interleaved`);
    const sequential = await interleaved(targets, mix, prepare(mix, settings.requests), deadline);
    let loaded: Awaited<ReturnType<typeof throughput>> | undefined;
    if (settings.concurrency > 0) {
      progress(
        `measuring throughput: ${settings.throughputRequests} requests per router at concurrency ${settings.concurrency}, 4 alternating rounds`,
      );
      loaded = await throughput(targets, mix, settings, deadline);
    }
    const elapsedSeconds = (performance.now() - started) / 1000;

    const latency: Record<Side, LatencySummary> = {
      off: summarize(sequential.samples.off.map((sample) => sample.ms)),
      on: summarize(sequential.samples.on.map((sample) => sample.ms)),
    };
    const ratio = (key: keyof LatencySummary) => latency.on[key] / latency.off[key];
    const medianRatio = ratio('medianMs');
    const met = (medianRatio - 1) * 100 < GOAL_MEDIAN_OVERHEAD_PERCENT;
    const perQuery = mix.map((query, index) => {
      const of = (side: Side) => summarize(sequential.samples[side].filter((sample) => sample.query === index).map((sample) => sample.ms));
      const [off, on] = [of('off'), of('on')];
      return {
        name: query.name,
        account: query.account,
        estimatedCost: verified.estimatedCost[query.name],
        off,
        on,
        medianRatio: round(on.medianMs / off.medianMs),
      };
    });
    const serialRate = (summary: LatencySummary) => 1000 / summary.meanMs;
    // The mix's median sits wherever the queries' latencies happen to stack up; the geometric mean of the
    // per-query median ratios weighs every query alike.
    const perQueryGeomean = Math.exp(perQuery.reduce((sum, entry) => sum + Math.log(entry.medianRatio), 0) / perQuery.length);

    const result = {
      benchmark: 'router-overhead',
      date: new Date().toISOString(),
      machine: {
        ...machineInfo(),
        /** 1-minute load average before and after measuring: other work on the machine makes the figures noisier. */
        loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0] ?? Number.NaN, 2) },
      },
      settings: {
        ...settings,
        output: undefined,
        queries: mix.map((query) => query.name),
        elapsedSeconds: round(elapsedSeconds, 1),
        truncated: sequential.truncated || (loaded?.truncated ?? false),
      },
      routers: {
        off: {
          policies: describe(offOptions, 'anonymous'),
          latency: latency.off,
          sequentialReqPerSec: round(serialRate(latency.off), 1),
          concurrentReqPerSec: loaded ? round(loaded.off.reqPerSec, 1) : null,
        },
        on: {
          policies: describe(onOptions, 'customer1 and vendor1 access tokens'),
          latency: latency.on,
          sequentialReqPerSec: round(serialRate(latency.on), 1),
          concurrentReqPerSec: loaded ? round(loaded.on.reqPerSec, 1) : null,
        },
      },
      ratios: {
        median: round(medianRatio),
        p90: round(ratio('p90Ms')),
        p99: round(ratio('p99Ms')),
        mean: round(ratio('meanMs')),
        concurrentThroughput: loaded ? round(loaded.on.reqPerSec / loaded.off.reqPerSec) : null,
        perQueryMedianGeomean: round(perQueryGeomean),
      },
      overheadPercent: { median: round((medianRatio - 1) * 100, 1), p99: round((ratio('p99Ms') - 1) * 100, 1) },
      goal: { medianOverheadBelowPercent: GOAL_MEDIAN_OVERHEAD_PERCENT, met },
      maxCost: verified.maxCost,
      perQuery,
      notes: NOTES,
    };

    // The report
    const out: string[] = [];
    out.push(`router-overhead: every router policy on vs off, same query mix (${mix.length} queries, round-robin), same process`);
    out.push(
      `  ${latency.on.requests} sequential requests per router after ${settings.warmup} warm-up, A/B interleaved; ` +
        `${result.machine.cpus} cpus (load ${fixed(loadBefore, 1)} -> ${fixed(loadavg()[0] ?? Number.NaN, 1)}), node ${process.version}${result.settings.truncated ? '; STOPPED AT BENCH_MAX_SECONDS' : ''}`,
    );
    out.push('');
    const row = (label: string, side: Side) => [
      label,
      String(latency[side].requests),
      fixed(latency[side].medianMs),
      fixed(latency[side].p90Ms),
      fixed(latency[side].p99Ms),
      fixed(serialRate(latency[side]), 1),
      ...(loaded ? [fixed(loaded[side].reqPerSec, 1)] : []),
    ];
    const header = ['', 'requests', 'median ms', 'p90 ms', 'p99 ms', 'req/s c=1', ...(loaded ? [`req/s c=${settings.concurrency}`] : [])];
    out.push(table(header, [row('policies off', 'off'), row('policies on', 'on')]));
    out.push('');
    out.push(
      `  on/off: median ${fixed(medianRatio, 3)} (${signedPercent(medianRatio)}), p90 ${fixed(ratio('p90Ms'), 3)} (${signedPercent(ratio('p90Ms'))}), ` +
        `p99 ${fixed(ratio('p99Ms'), 3)} (${signedPercent(ratio('p99Ms'))})` +
        (loaded ? `, throughput c=${settings.concurrency} ${fixed(loaded.on.reqPerSec / loaded.off.reqPerSec, 3)}` : ''),
    );
    out.push(`  ${met ? 'PASS' : 'MISS'}: median overhead ${signedPercent(medianRatio)} (goal: under ${GOAL_MEDIAN_OVERHEAD_PERCENT}%)`);
    out.push('');
    out.push(
      `  per query (sequential; geometric mean of the median ratios ${fixed(perQueryGeomean, 3)}, ${signedPercent(perQueryGeomean)}):`,
    );
    out.push(
      table(
        ['  query', 'cost', 'off median', 'on median', 'on/off', 'off p99', 'on p99'],
        perQuery.map((entry) => [
          `  ${entry.name}${entry.account === 'vendor' ? ' [vendor]' : ''}`,
          entry.estimatedCost === undefined ? '-' : String(entry.estimatedCost),
          fixed(entry.off.medianMs),
          fixed(entry.on.medianMs),
          `${fixed(entry.medianRatio, 3)} (${signedPercent(entry.medianRatio)})`,
          fixed(entry.off.p99Ms),
          fixed(entry.on.p99Ms),
        ]),
      ),
    );
    out.push('');
    for (const note of NOTES) out.push(`  note: ${note}`);
    process.stdout.write(`${out.join('\n')}\n`);

    await mkdir(dirname(settings.output), { recursive: true });
    await writeFile(settings.output, `${JSON.stringify(result, null, 2)}\n`);
    progress(`figures written to ${settings.output}`);
    return 0;
  } finally {
    process.off('SIGINT', stop);
    for (const client of clients) client.close();
    await Promise.allSettled(routers.map((router) => router.close()));
    await platform?.close();
    await rm(manifestDir, { recursive: true, force: true });
  }
}

/** The policy settings of a router, for the result file. */
function describe(options: RouterOptions, caller: string) {
  return {
    caller,
    authorizationMode: options.authorizationMode,
    demandControl: options.demandControl,
    limits: options.limits,
    rateLimit: options.rateLimit,
    persistedQueries: options.persistedQueries?.modes,
  };
}

async function waitReady(router: RunningRouter): Promise<void> {
  const until = Date.now() + 30_000;
  while (router.supergraphVersion() === 0) {
    if (Date.now() > until) throw new BenchError(`router ${router.url} loaded no supergraph within 30 s`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 50));
  }
}
