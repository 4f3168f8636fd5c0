import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  applyMigrations,
  createLogger,
  deleteRedisKeys,
  demoData,
  InProcessPubSub,
  migrationsDir,
  openDatabase,
  pingRedis,
  SharedResources,
  type Database,
  defined,
} from '@commerce/kit';
import { createPostgresDatabases, startPlatform, SUBGRAPHS, type RunningPlatform } from '@commerce/platform';
import { BenchError } from './errors.js';
import { freePort, ServiceProcess, type ServiceLog, type UnplannedExit } from './processes.js';

/**
 * The platforms the checkout benchmark measures, each started and torn down by the benchmark:
 * - embedded: `startPlatform` as `npm start` runs it: one process, a PGlite database per subgraph (in a temporary
 *   folder, or in memory), the in-process event bus;
 * - production, `processes`: as production.test.ts and an operator run it: a PostgreSQL database per subgraph
 *   (created and dropped here), migrations, then one OS process per subgraph and one for the router
 *   (`subgraphs/<name>/dist/src/main.js`, `router/dist/src/main.js`), configured by environment variables only,
 *   with Redis Streams for the event bus and Redis pub/sub for live updates;
 * - production, `in-process`: the same databases and Redis Streams, but every service in this process (startPlatform
 *   with the production adapters).
 */
export type ServiceName = 'orders' | 'inventory' | 'payments';

export interface BenchPlatform {
  mode: 'embedded' | 'production';
  /** How it runs, for the report. */
  description: string;
  routerUrl: string;
  /** SQL on a subgraph's database (the benchmark's own connection in production). */
  query<Row>(service: ServiceName, sql: string, params?: unknown[]): Promise<Row[]>;
  /** Seconds from starting to ready (databases created, migrated, seeded, services up). */
  startSeconds: number;
  /** Warnings and errors the services logged (child processes only; in-process services log with BENCH_LOG_LEVEL). */
  logs(): ServiceLog[];
  close(): Promise<void>;
}

export type { ServiceLog } from './processes.js';

export interface PlatformSettings {
  logLevel: string;
  postgresUrl: string;
  redisUrl: string;
  /** Where embedded PGlite keeps its databases. */
  embeddedStorage: 'disk' | 'memory';
  production: 'processes' | 'in-process';
  progress(message: string): void;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]', '::1'];

export function assertLoopback(url: string, what: string): void {
  const { hostname } = new URL(url);
  if (!LOOPBACK.includes(hostname)) throw new BenchError(`benchmarks only call loopback addresses: ${what} is on ${hostname}`);
}

/** A run id for names in shared servers (databases, Redis keys). */
export function runId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------------------
// Embedded

export async function startEmbedded(settings: PlatformSettings): Promise<BenchPlatform> {
  const started = performance.now();
  const folder = settings.embeddedStorage === 'disk' ? await mkdtemp(join(tmpdir(), 'commerce-bench-checkout-')) : undefined;
  let platform: RunningPlatform;
  try {
    platform = await startPlatform({
      databases: Object.fromEntries(SUBGRAPHS.map((definition) => [definition.name, folder ? join(folder, definition.name) : 'memory://'])),
      routerPort: 0,
      host: '127.0.0.1',
      seedDemoData: true,
      // as npm start: no REDIS_URL, so the in-process event bus and pub/sub
      env: { ...process.env, REDIS_URL: undefined },
      logger: (service) => createLogger(service, settings.logLevel),
    });
  } catch (error) {
    if (folder) await rm(folder, { recursive: true, force: true });
    throw error;
  }
  return {
    mode: 'embedded',
    description: `one process (the benchmark's), PGlite per subgraph ${folder ? 'on disk (a temporary folder, as npm start under .data/)' : 'in memory'}, in-process event bus and pub/sub`,
    routerUrl: platform.routerUrl,
    query: (service, sql, params) => defined(platform.databases[service], `the ${service} database`).query(sql, params),
    startSeconds: (performance.now() - started) / 1000,
    logs: () => [],
    close: async () => {
      await platform.close();
      if (folder) await rm(folder, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Production: PostgreSQL and Redis

interface ProductionResources {
  urls: Record<string, string>;
  /** Every Redis key of this run starts with it. */
  redisPrefix: string;
  /** The benchmark's own connections to orders, inventory and payments. */
  databases: Partial<Record<ServiceName, Database>>;
  drop(): Promise<void>;
}

/** Fresh databases, migrated and seeded with the demo data (production never seeds itself). */
async function productionResources(settings: PlatformSettings, keyring: string): Promise<ProductionResources> {
  assertLoopback(settings.postgresUrl, 'BENCH_POSTGRES_URL');
  assertLoopback(settings.redisUrl, 'BENCH_REDIS_URL');
  await pingRedis(settings.redisUrl).catch((error: unknown) => {
    throw new BenchError(
      `Redis on ${settings.redisUrl} does not answer (${(error as Error).message}); production mode needs it (BENCH_MODES=embedded skips it)`,
    );
  });
  const redisPrefix = `bench-checkout-${runId()}:`;
  // createPostgresDatabases reads the admin URL from TEST_POSTGRES_URL
  process.env.TEST_POSTGRES_URL = settings.postgresUrl;
  const created = await createPostgresDatabases().catch((error: unknown) => {
    throw new BenchError(
      `cannot create databases on ${settings.postgresUrl} (${(error as Error).message}); production mode needs PostgreSQL`,
    );
  });
  const databases: ProductionResources['databases'] = {};
  const drop = async () => {
    await Promise.allSettled(Object.values(databases).map((db) => db.close()));
    await created.drop();
    await deleteRedisKeys(settings.redisUrl, redisPrefix).catch(() => 0);
  };
  try {
    settings.progress('  migrating and seeding the 7 PostgreSQL databases');
    await Promise.all(
      SUBGRAPHS.map(async (definition) => {
        const db = await openDatabase(defined(created.urls[definition.name], `the ${definition.name} database URL`));
        const logger = createLogger('seed', 'silent');
        const pubsub = new InProcessPubSub({ logger });
        const shared = new SharedResources();
        try {
          await applyMigrations(db, migrationsDir(definition.name));
          const env = { ORDERS_ENCRYPTION_KEYS: keyring, IDENTITY_KEY_ENCRYPTION_KEYS: keyring };
          const instance = await definition.create({
            db,
            logger,
            schema: await definition.buildSchema(),
            pubsub,
            shared,
            env,
            clientAddress: () => 'seed',
          });
          await instance.seed(demoData());
          await instance.close();
        } finally {
          await shared.close();
          await pubsub.close();
          await db.close();
        }
      }),
    );
    for (const service of ['orders', 'inventory', 'payments'] as const)
      databases[service] = await openDatabase(defined(created.urls[service], `the ${service} database URL`));
  } catch (error) {
    await drop();
    throw error;
  }
  return { urls: created.urls, redisPrefix, databases, drop };
}

export async function startProduction(settings: PlatformSettings): Promise<BenchPlatform> {
  return settings.production === 'processes' ? startProductionProcesses(settings) : startProductionInProcess(settings);
}

async function startProductionInProcess(settings: PlatformSettings): Promise<BenchPlatform> {
  const started = performance.now();
  const keyring = `bench:${randomBytes(32).toString('base64')}`;
  const resources = await productionResources(settings, keyring);
  let platform: RunningPlatform;
  try {
    platform = await startPlatform({
      databases: resources.urls,
      routerPort: 0,
      host: '127.0.0.1',
      seedDemoData: false,
      // REDIS_URL makes the services' shared event bus Redis Streams (production consumer settings); the subgraphs'
      // pub/sub and the router's rate limits stay in this process (startPlatform gives them no Redis)
      env: {
        ...process.env,
        REDIS_URL: settings.redisUrl,
        EVENTS_STREAM_PREFIX: `${resources.redisPrefix}ev:`,
        ORDERS_ENCRYPTION_KEYS: keyring,
        IDENTITY_KEY_ENCRYPTION_KEYS: keyring,
      },
      logger: (service) => createLogger(service, settings.logLevel),
    });
  } catch (error) {
    await resources.drop();
    throw error;
  }
  return {
    mode: 'production',
    description:
      "every service in the benchmark's process (startPlatform) on the production adapters: PostgreSQL per subgraph, Redis Streams event bus (in-process pub/sub for live updates)",
    routerUrl: platform.routerUrl,
    query: (service, sql, params) => defined(resources.databases[service], `the ${service} database`).query(sql, params),
    startSeconds: (performance.now() - started) / 1000,
    logs: () => [],
    close: async () => {
      await platform.close();
      await resources.drop();
    },
  };
}

/** Options of the production processes beyond PlatformSettings (the chaos benchmark's). */
export interface ProcessOptions {
  /** Added to every service's environment (e.g. quicker reclaims of a killed consumer's events). */
  serviceEnv?: Record<string, string>;
  /** A service process exited without the benchmark killing or stopping it. */
  onUnplannedExit?: (exit: UnplannedExit) => void;
}

/** Production mode as processes, with what the chaos benchmark needs to kill, restart and inspect them. */
export interface ProcessPlatform extends BenchPlatform {
  /** By name: the 7 subgraphs, `router` and `payment-provider`. */
  services: Map<string, ServiceProcess>;
  /** A service's readiness URL. */
  readyUrls: Map<string, string>;
  databaseUrls: Record<string, string>;
  redisPrefix: string;
  /** The fake payment provider's base URL (GET /v1/ledger). */
  providerUrl: string;
}

/**
 * One OS process per subgraph, one for the router, and the fake payment provider as a remote service of its own
 * (payments talks to it over HTTP, PAYMENTS_PROVIDER_URL), so that restarting payments keeps the provider's ledger.
 */
export async function startProductionProcesses(settings: PlatformSettings, options: ProcessOptions = {}): Promise<ProcessPlatform> {
  const started = performance.now();
  const keyring = `bench:${randomBytes(32).toString('base64')}`;
  const secret = randomBytes(32).toString('base64url');
  const resources = await productionResources(settings, keyring);
  const prefix = resources.redisPrefix;
  // One namespace in the shared Redis: event streams, pub/sub channels, rate-limit buckets, APQ entries.
  const redisEnv = {
    REDIS_URL: settings.redisUrl,
    EVENTS_STREAM_PREFIX: `${prefix}ev:`,
    PUBSUB_CHANNEL_PREFIX: `${prefix}ps:`,
    RATE_LIMIT_KEY_PREFIX: `${prefix}rl:`,
    APQ_KEY_PREFIX: `${prefix}pq:`,
  };
  const logLevel = settings.logLevel === 'silent' ? 'warn' : settings.logLevel; // warnings are counted for the report
  const services = new Map<string, ServiceProcess>();
  const readyUrls = new Map<string, string>();
  const launch = async (name: string, script: string, env: Record<string, string>) => {
    const port = await freePort();
    const service = new ServiceProcess(
      name,
      script,
      { ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: logLevel },
      options.onUnplannedExit,
    );
    services.set(name, service);
    const ready = name === 'payment-provider' ? `http://127.0.0.1:${port}/health` : `http://127.0.0.1:${port}/health/ready`;
    readyUrls.set(name, ready);
    await service.waitReady(ready);
    return `http://127.0.0.1:${port}`;
  };
  const stopAll = async () => {
    // the router first, then the subgraphs (their consumers finish what they hold), the provider last
    const stop = (names: (name: string) => boolean) =>
      Promise.allSettled([...services].filter(([name]) => names(name)).map(([, service]) => service.stop()));
    await stop((name) => name === 'router');
    await stop((name) => name !== 'router' && name !== 'payment-provider');
    await stop((name) => name === 'payment-provider');
  };
  let routerUrl: string;
  let providerUrl: string;
  try {
    settings.progress('  starting the fake payment provider, 7 subgraph processes and the router process');
    providerUrl = await launch('payment-provider', 'subgraphs/payments/dist/src/fake-provider.js', {});
    const subgraphUrls: Record<string, string> = {};
    await Promise.all(
      SUBGRAPHS.map(async (definition) => {
        const url = await launch(definition.name, `subgraphs/${definition.name}/dist/src/main.js`, {
          DATABASE_URL: defined(resources.urls[definition.name], `the ${definition.name} database URL`),
          ROUTER_SHARED_SECRET: secret,
          ORDERS_ENCRYPTION_KEYS: keyring,
          IDENTITY_KEY_ENCRYPTION_KEYS: keyring, // the keys of both: the bench's own, thrown away after the run
          PAYMENTS_PROVIDER_URL: providerUrl,
          ...redisEnv,
          ...options.serviceEnv,
        });
        subgraphUrls[`SUBGRAPH_${definition.name.toUpperCase()}_URL`] = `${url}/graphql`;
      }),
    );
    routerUrl = `${await launch('router', 'router/dist/src/main.js', { ...subgraphUrls, ...redisEnv, ROUTER_SHARED_SECRET: secret, ...options.serviceEnv })}/graphql`;
  } catch (error) {
    await stopAll();
    await resources.drop();
    throw error;
  }
  return {
    mode: 'production',
    description:
      'one OS process per subgraph (7) and one for the router, configured by environment variables as an operator runs them; PostgreSQL database per subgraph, Redis Streams event bus, Redis pub/sub for live updates; the fake payment provider in a process of its own (HTTP)',
    routerUrl,
    query: (service, sql, params) => defined(resources.databases[service], `the ${service} database`).query(sql, params),
    startSeconds: (performance.now() - started) / 1000,
    logs: () => [...services.values()].map((service) => service.report()),
    services,
    readyUrls,
    databaseUrls: resources.urls,
    redisPrefix: prefix,
    providerUrl,
    close: async () => {
      await stopAll();
      await resources.drop();
    },
  };
}
