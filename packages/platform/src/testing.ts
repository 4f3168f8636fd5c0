import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { RedisStreamsTransport, type EventTransport } from '@commerce/events';
import { createLogger, DEMO_PASSWORD, requireTestRedis, TEST_REDIS_URL, type Logger } from '@commerce/kit';
import { startPlatform, type PlatformOptions, type RunningPlatform } from './embedded.js';
import { SUBGRAPHS } from './subgraphs.js';

/**
 * The platform as tests use it: embedded PGlite in memory by default, or, with TEST_DATABASE=postgres,
 * a fresh PostgreSQL database per subgraph (dropped afterwards) on TEST_POSTGRES_URL.
 */
export type TestMode = 'embedded' | 'postgres';

export interface GraphQLResponse<Data> {
  status: number;
  headers: Headers;
  body: { data?: Data | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] };
}

export interface TestPlatform extends RunningPlatform {
  mode: TestMode;
  graphql<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<Data>>;
  /** Logs a demo account in and returns its access token. */
  login(email: string, password?: string): Promise<string>;
  /** SQL statements each subgraph has run since the last reset. */
  queryCounts(): Record<string, number>;
  resetQueryCounts(): void;
}

export function testMode(): TestMode {
  return process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'embedded';
}

/** Fresh PostgreSQL databases, one per subgraph, on TEST_POSTGRES_URL; `drop` removes them. */
export async function createPostgresDatabases(): Promise<{ urls: Record<string, string>; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const run = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const names = SUBGRAPHS.map((definition) => [definition.name, `commerce_${run}_${definition.name}`] as const);
  try {
    for (const [, database] of names) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  const urls = Object.fromEntries(
    names.map(([name, database]) => {
      const url = new URL(adminUrl);
      url.pathname = `/${database}`;
      return [name, url.toString()];
    }),
  );
  return {
    urls,
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        for (const [, database] of names) await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * The production event bus for tests: Redis Streams on TEST_REDIS_URL, under a prefix of its own so that test
 * runs never see each other's events.
 */
export function testRedisEventTransport(level = process.env.TEST_LOG_LEVEL ?? 'silent'): EventTransport {
  return new RedisStreamsTransport({
    url: TEST_REDIS_URL,
    prefix: `test-${Date.now().toString(36)}${randomBytes(3).toString('hex')}:ev:`,
    logger: createLogger('events', level),
    consumer: { blockMs: 200, retryBaseMs: 100, retryMaxMs: 2_000, claimIdleMs: 5_000 },
  });
}

/**
 * The platform for tests. Embedded: PGlite in memory and the in-process event bus; postgres (TEST_DATABASE=postgres):
 * the production adapters, PostgreSQL databases and Redis Streams.
 */
export async function startTestPlatform(
  options: {
    supergraphPath?: string;
    watchSupergraph?: boolean;
    env?: Record<string, string | undefined>;
    /** Each service's logger; default: TEST_LOG_LEVEL (silent) on stdout. */
    logger?: (service: string) => Logger;
    /** See PlatformOptions.replaceSubgraphs. */
    replaceSubgraphs?: PlatformOptions['replaceSubgraphs'];
  } = {},
): Promise<TestPlatform> {
  const mode = testMode();
  if (mode === 'postgres') await requireTestRedis();
  const postgres = mode === 'postgres' ? await createPostgresDatabases() : undefined;
  const databases = postgres?.urls ?? Object.fromEntries(SUBGRAPHS.map((definition) => [definition.name, 'memory://']));
  const level = process.env.TEST_LOG_LEVEL ?? 'silent';
  let platform: RunningPlatform;
  try {
    platform = await startPlatform({
      databases,
      routerPort: 0,
      seedDemoData: true,
      eventTransport: mode === 'postgres' ? testRedisEventTransport(level) : undefined,
      ...options,
      env: { ...process.env, REDIS_URL: undefined, ...options.env },
      logger: options.logger ?? ((service) => createLogger(service, level)),
    });
  } catch (error) {
    await postgres?.drop();
    throw error;
  }
  const graphql: TestPlatform['graphql'] = async (query, variables, requestOptions = {}) => {
    const response = await fetch(platform.routerUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(requestOptions.token ? { authorization: `Bearer ${requestOptions.token}` } : {}),
        ...requestOptions.headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse<never>['body'] };
  };
  return {
    ...platform,
    mode,
    graphql,
    login: async (email, password = DEMO_PASSWORD) => {
      const result = await graphql<{ logIn: { accessToken: string | null; userErrors: { code: string }[] } }>(
        'mutation($input: LogInInput!) { logIn(input: $input) { accessToken userErrors { code } } }',
        { input: { email, password } },
      );
      const token = result.body.data?.logIn.accessToken;
      if (!token) throw new Error(`login of ${email} failed: ${JSON.stringify(result.body)}`);
      return token;
    },
    queryCounts: () =>
      Object.fromEntries(Object.values(platform.subgraphs).map((running) => [running.name, running.instance.queries.count])),
    resetQueryCounts: () => {
      for (const running of Object.values(platform.subgraphs)) running.instance.queries.reset();
    },
    close: async () => {
      await platform.close();
      await postgres?.drop();
    },
  };
}
