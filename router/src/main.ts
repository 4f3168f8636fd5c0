import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  createLogger,
  DEFAULT_PORTS,
  readBoolean,
  readOptional,
  readPort,
  readSecret,
  readString,
  readUrl,
  REPO_ROOT,
  runMain,
  SUBGRAPH_NAMES,
} from '@commerce/kit';
import { startRouter } from './index.js';

/** Production entry point of the router (`npm start -w router`); configuration from the environment. */
runMain(async () => {
  const env = process.env;
  const subgraphUrls: Record<string, string> = {};
  for (const name of SUBGRAPH_NAMES) {
    const key = `SUBGRAPH_${name.toUpperCase()}_URL`;
    if (readOptional(env, key) !== undefined) subgraphUrls[name] = readUrl(env, key);
  }
  const identityUrl = subgraphUrls.identity ?? `http://127.0.0.1:${DEFAULT_PORTS.identity}/graphql`;
  const options = {
    port: readPort(env, 'PORT', DEFAULT_PORTS.router),
    host: readString(env, 'HOST', '0.0.0.0'),
    supergraphPath: readString(env, 'SUPERGRAPH_PATH', join(REPO_ROOT, 'schema', 'supergraph.graphql')),
    watchSupergraph: readBoolean(env, 'WATCH_SUPERGRAPH', false),
    routerSecret: readSecret(env, 'ROUTER_SHARED_SECRET'),
    subgraphUrls,
    jwksUrl: readUrl(env, 'IDENTITY_JWKS_URL', jwksUrlOf(identityUrl)),
    logger: createLogger('router'),
  };
  if (!existsSync(options.supergraphPath)) {
    throw new ConfigError(`SUPERGRAPH_PATH: no supergraph at ${options.supergraphPath} (compose it first: npm run compose)`);
  }
  const router = await startRouter(options);
  const stop = (signal: NodeJS.Signals) => {
    options.logger.info({ signal }, 'shutting down');
    router.close().then(
      () => process.exit(0),
      (error: unknown) => {
        options.logger.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});

/** identity serves its key set beside its GraphQL endpoint. */
function jwksUrlOf(identityGraphqlUrl: string): string {
  const url = new URL(identityGraphqlUrl);
  if (!url.pathname.endsWith('/graphql')) {
    throw new ConfigError('IDENTITY_JWKS_URL is required when SUBGRAPH_IDENTITY_URL does not end in /graphql');
  }
  url.pathname = url.pathname.replace(/\/graphql$/, '/.well-known/jwks.json');
  return url.toString();
}
