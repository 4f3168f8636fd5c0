// npm start: the whole platform in one process with embedded PGlite databases under .data/<subgraph>.
import { join } from 'node:path';
import {
  createLogger,
  logLevelFromEnv,
  DEFAULT_PORTS,
  DEMO_PASSWORD,
  demoData,
  readPort,
  readString,
  REPO_ROOT,
  runMain,
  setupTracing,
  shutdownTracing,
} from '@commerce/kit';
import { startPlatform } from '../embedded.js';
import { SUBGRAPHS } from '../subgraphs.js';

runMain(async () => {
  const env = process.env;
  setupTracing(env);
  const dataDir = readString(env, 'DATA_DIR', join(REPO_ROOT, '.data'));
  const routerPort = readPort(env, 'PORT', DEFAULT_PORTS.router);
  const logLevel = logLevelFromEnv('warn');
  const platform = await startPlatform({
    databases: Object.fromEntries(SUBGRAPHS.map((definition) => [definition.name, join(dataDir, definition.name)])),
    routerPort,
    subgraphPorts: Object.fromEntries(
      SUBGRAPHS.map((definition) => [definition.name, readPort(env, `${definition.name.toUpperCase()}_PORT`, definition.defaultPort)]),
    ),
    host: readString(env, 'HOST', '127.0.0.1'),
    seedDemoData: true,
    watchSupergraph: true,
    logger: (service) => createLogger(service, logLevel),
    onProgress: (step) => process.stdout.write(`  ${process.uptime().toFixed(1).padStart(5)} s  ${step}\n`),
  });
  const users = demoData().users;
  const lines = [
    '',
    `  Commerce supergraph ready in ${process.uptime().toFixed(1)} s`,
    '',
    `  Router        ${platform.routerUrl}`,
    ...Object.values(platform.subgraphs).map((running) => `  ${running.name.padEnd(13)} ${running.url}`),
    `  Data          ${dataDir}${platform.seeded.length ? ' (demo data seeded)' : ''}`,
    '',
    `  Demo accounts (password "${DEMO_PASSWORD}"):`,
    ...users.slice(0, 3).map((user) => `    ${user.email.padEnd(22)} ${user.role}`),
    `    customer1@demo.shop ... customer${users.length - 3}@demo.shop   customer`,
    '',
    `  Try: curl -s ${platform.routerUrl} -H 'content-type: application/json' \\`,
    `    -d '{"query":"{ products(first: 3) { edges { node { name price { amount currencyCode } inStock rating { average } } } } }"}'`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = async () => {
    await platform.close();
    await shutdownTracing();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});
