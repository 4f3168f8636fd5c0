// Measures what a supergraph load costs the router beyond the gateway's own work: the time spent in every
// listener of the gateway's schema load (the policies' per-supergraph structures: cost schema, authorization
// rules, metrics, Apollo Server's schema hooks), on the first load and on reloads of the committed supergraph.
// Usage, after `tsc -p router/tsconfig.json`: node router/scripts/measure-supergraph-load.mjs [reloads]
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ApolloGateway } from '@apollo/gateway';
import { createLogger } from '@commerce/kit';
import { startRouter } from '../dist/src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const reloads = Number(process.argv[2] ?? 20);

// Every listener registered on a gateway is timed; `spent[i]` is the i-th listener's time in the load under way.
let spent = [];
let listeners = 0;
const register = ApolloGateway.prototype.onSchemaLoadOrUpdate;
ApolloGateway.prototype.onSchemaLoadOrUpdate = function (callback) {
  const index = listeners++;
  return register.call(this, (...args) => {
    const started = performance.now();
    try {
      return callback(...args);
    } finally {
      spent[index] = (spent[index] ?? 0) + performance.now() - started;
    }
  });
};
const total = (times) => times.reduce((sum, ms) => sum + (ms ?? 0), 0);

const dir = await mkdtemp(join(tmpdir(), 'supergraph-load-'));
const path = join(dir, 'supergraph.graphql');
await copyFile(join(root, 'schema', 'supergraph.graphql'), path);
const sdl = await readFile(path, 'utf8');

const started = performance.now();
const router = await startRouter({
  supergraphPath: path,
  watchSupergraph: true,
  port: 0,
  host: '127.0.0.1',
  subgraphUrls: {},
  jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json', // never fetched: no request carries a token
  routerSecret: 'measure-supergraph-load-secret-0123456789',
  logger: createLogger('measure', 'silent'),
  rateLimit: { enabled: false },
});
const startup = performance.now() - started;
const firstLoad = total(spent);

const perReload = [];
for (let i = 1; i <= reloads; i += 1) {
  spent = [];
  const version = router.supergraphVersion();
  // The same graph, with another description: the gateway ignores a supergraph whose SDL it already serves.
  await writeFile(path, sdl.replace(/^schema/m, `"reload ${i}"\nschema`));
  const deadline = Date.now() + 10_000;
  while (router.supergraphVersion() === version) {
    if (Date.now() > deadline) throw new Error('the router did not reload the supergraph');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 20)); // listeners after the version counter
  perReload.push(spent);
}
await router.close();
await rm(dir, { recursive: true, force: true });

const round = (ms) => Math.round(ms * 100) / 100;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.floor(sorted.length / 2)] ?? NaN);
};
console.log(
  JSON.stringify({
    startupMs: round(startup),
    firstLoadListenersMs: round(firstLoad),
    reloads,
    reloadListenersMedianMs: median(perReload.map(total)),
    perListenerMedianMs: Array.from({ length: listeners }, (_, index) => median(perReload.map((times) => times[index] ?? 0))),
  }),
);
