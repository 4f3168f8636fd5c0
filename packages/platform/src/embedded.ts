import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  applyMigrations,
  createLogger,
  demoData,
  migrationsDir,
  openDatabase,
  REPO_ROOT,
  SharedResources,
  startSubgraphServer,
  type Database,
  type Logger,
  type RunningSubgraph,
  type SubgraphDefinition,
  defined,
} from '@commerce/kit';
import { provideEventTransport, type EventTransport } from '@commerce/events';
import { startRouter, type RunningRouter } from '@commerce/router';
import { SUBGRAPHS } from './subgraphs.js';

export interface PlatformOptions {
  /** Database location per subgraph: a PGlite folder, `memory://`, or a postgres:// URL. */
  databases: Record<string, string>;
  routerPort: number;
  /** Port per subgraph; 0 (any free port) when not given. */
  subgraphPorts?: Record<string, number>;
  host?: string;
  /** Seed the demo data set into databases that are still empty. */
  seedDemoData: boolean;
  watchSupergraph?: boolean;
  supergraphPath?: string;
  logger?: (service: string) => Logger;
  /** HMAC key for the principals the router signs; default: a random one per start (embedded services share this process). */
  routerSecret?: string;
  /**
   * The event bus every subgraph shares (closed with the platform); default: made from `env` (REDIS_URL: Redis
   * Streams, else in this process).
   */
  eventTransport?: EventTransport;
  /** Settings the services read (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Told each step of the start (a subgraph up, seeding, the router up), for a progress display. */
  onProgress?: (step: string) => void;
  /** Used instead of the platform's subgraph of the same name (tests: e.g. an identity with a clock they move). */
  replaceSubgraphs?: readonly SubgraphDefinition[];
}

export interface RunningPlatform {
  routerUrl: string;
  router: RunningRouter;
  subgraphs: Record<string, RunningSubgraph>;
  databases: Record<string, Database>;
  /** Subgraphs that were seeded by this start. */
  seeded: string[];
  /** What the services share (the event bus). */
  shared: SharedResources;
  /** The secret subgraphs check principals with: another router in this process needs it to sign them. */
  routerSecret: string;
  close(): Promise<void>;
}

export const SUPERGRAPH_PATH = join(REPO_ROOT, 'schema', 'supergraph.graphql');

/**
 * Every subgraph and the router in one process: the embedded mode of `npm start` and of the tests.
 * Each subgraph keeps its own database, its own HTTP server and its own schema, exactly as in production.
 */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const loggerFor = options.logger ?? ((service: string) => createLogger(service));
  const progress = options.onProgress ?? (() => {});
  const host = options.host ?? '127.0.0.1';
  // Embedded services share this process, so a fresh secret per start is enough to sign principals.
  const routerSecret = options.routerSecret ?? randomBytes(32).toString('base64url');
  const databases: Record<string, Database> = {};
  const subgraphs: Record<string, RunningSubgraph> = {};
  const shared = new SharedResources();
  if (options.eventTransport) provideEventTransport(shared, options.eventTransport);
  const closeAll = async () => {
    await Promise.allSettled(Object.values(subgraphs).map((running) => running.close()));
    await shared.close();
    await Promise.allSettled(Object.values(databases).map((db) => db.close()));
  };
  const definitions = SUBGRAPHS.map((standard) => options.replaceSubgraphs?.find((other) => other.name === standard.name) ?? standard);
  try {
    await Promise.all(
      definitions.map(async (definition) => {
        const location = options.databases[definition.name];
        if (!location) throw new Error(`no database given for ${definition.name}`);
        const db = await openDatabase(location);
        databases[definition.name] = db;
        await applyMigrations(db, migrationsDir(definition.name));
        subgraphs[definition.name] = await startSubgraphServer(definition, {
          db,
          logger: loggerFor(definition.name),
          routerSecret,
          port: options.subgraphPorts?.[definition.name] ?? 0,
          host,
          shared,
          env: options.env,
        });
        progress(`${definition.name} up (database migrated)`);
      }),
    );
    const seeded: string[] = [];
    if (options.seedDemoData) {
      progress('seeding the demo data where a database is empty');
      const data = demoData();
      await Promise.all(
        Object.values(subgraphs).map(async (running) => {
          if (await running.instance.isEmpty()) {
            await running.instance.seed(data);
            seeded.push(running.name);
          }
        }),
      );
    }
    const identityUrl = defined(subgraphs.identity, 'the identity subgraph').url;
    const router = await startRouter({
      supergraphPath: options.supergraphPath ?? SUPERGRAPH_PATH,
      watchSupergraph: options.watchSupergraph ?? false,
      port: options.routerPort,
      host,
      subgraphUrls: Object.fromEntries(Object.values(subgraphs).map((running) => [running.name, running.url])),
      jwksUrl: identityUrl.replace(/\/graphql$/, '/.well-known/jwks.json'),
      routerSecret,
      logger: loggerFor('router'),
    });
    progress('router up');
    return {
      routerUrl: router.url,
      router,
      subgraphs,
      databases,
      seeded,
      shared,
      routerSecret,
      close: async () => {
        await router.close();
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
