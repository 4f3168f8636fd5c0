import { ConfigError, readBoolean, readOptional, readPort, readSecret, readString, runMain } from './config.js';
import { connectDatabase, connectTimeoutMsFromEnv } from './db/connect.js';
import { applyMigrations } from './db/migrations.js';
import { listenWhileStarting } from './http/starting-server.js';
import { startSubgraphServer } from './http/subgraph-server.js';
import { createLogger } from './log.js';
import { migrationsDir } from './paths.js';
import { createPubSub, pubSubConfigFromEnv } from './pubsub/from-env.js';
import type { SubgraphDefinition } from './service.js';
import { setupTracing, shutdownTracing } from './tracing.js';

/**
 * Production entry point of a subgraph: one process, PostgreSQL from DATABASE_URL, pub/sub over Redis when
 * REDIS_URL is set (else in this process only), configuration from the environment. Migrations are a
 * separate step (`npm run migrate -w subgraphs/<name>`) unless MIGRATE_ON_START=true. A database that is not
 * reachable yet is waited for, up to DATABASE_CONNECT_TIMEOUT_SECONDS.
 */
export function runStandalone(definition: SubgraphDefinition): void {
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  runMain(async () => {
    const env = process.env;
    setupTracing(env);
    const databaseUrl = readString(env, 'DATABASE_URL');
    const routerSecret = readSecret(env, 'ROUTER_SHARED_SECRET');
    const port = readPort(env, 'PORT', definition.defaultPort);
    const host = readString(env, 'HOST', '0.0.0.0');
    const metricsPort = metricsPortFromEnv(env, port);
    const migrateOnStart = readBoolean(env, 'MIGRATE_ON_START', false);
    const pubsubConfig = pubSubConfigFromEnv(env);
    const connectTimeoutMs = connectTimeoutMsFromEnv(env);
    const logger = createLogger(definition.name);
    // Listening first: while the database is down or recovering, /health/live says the process is fine and
    // /health/ready keeps traffic away, instead of the process exiting and being restarted in a loop.
    const server = await listenWhileStarting(port, host, 'waiting for the database');
    const db = await connectDatabase(databaseUrl, { timeoutMs: connectTimeoutMs, logger });
    if (migrateOnStart) {
      const applied = await applyMigrations(db, migrationsDir(definition.name));
      logger.info({ applied }, 'migrations applied');
    }
    const pubsub = createPubSub(pubsubConfig, logger);
    const running = await startSubgraphServer(definition, { db, logger, routerSecret, port, host, pubsub, server, metricsPort });
    const stop = async () => {
      await running.close();
      await pubsub.close();
      await db.close();
      await shutdownTracing();
      process.exit(0);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/** METRICS_PORT: /metrics on a port of its own (never PORT), else beside /graphql. */
export function metricsPortFromEnv(env: NodeJS.ProcessEnv, port: number): number | undefined {
  if (readOptional(env, 'METRICS_PORT') === undefined) return undefined;
  const metricsPort = readPort(env, 'METRICS_PORT', 0);
  if (metricsPort === port && port !== 0) throw new ConfigError(`METRICS_PORT must differ from PORT (both ${port})`);
  return metricsPort;
}
