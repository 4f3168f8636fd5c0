/**
 * `npm run bench -- <name>`: runs one benchmark. Each prints its figures and its ratios against a baseline
 * measured in the same run, and writes them to bench/results/<name>.json.
 */
import { BenchError } from './errors.js';

const BENCHMARKS: Record<string, { describe: string; run: () => Promise<number> }> = {
  'router-overhead': {
    describe: 'latency of the router with every policy on vs off, same query mix, same process',
    run: async () => (await import('./router-overhead.js')).main(),
  },
  engine: {
    describe: 'router CPU per request of the engine (router/src/engine) vs @apollo/gateway, deep query, subgraph answers replayed',
    run: async () => (await import('./engine.js')).main(),
  },
  subscriptions: {
    describe: 'memory per subscriber and event-to-client latency of one event fanned out to 2,000 graphql-ws subscribers',
    run: async () => (await import('./subscriptions.js')).main(),
  },
  checkout: {
    describe: 'checkout-to-CONFIRMED latency of the checkout saga (p50/p99, orders/s), embedded vs production (PostgreSQL, Redis Streams)',
    run: async () => (await import('./checkout.js')).main(),
  },
  chaos: {
    describe:
      'production mode on its own PostgreSQL and Redis under checkout load while services, Redis and PostgreSQL are killed; checks the invariants',
    run: async () => (await import('./chaos.js')).main(),
  },
};

function usage(): string {
  const lines = Object.entries(BENCHMARKS).map(([name, { describe }]) => `  ${name.padEnd(18)} ${describe}`);
  return `usage: npm run bench -- <benchmark>\n\nbenchmarks:\n${lines.join('\n')}\n`;
}

const name = process.argv[2];
if (name === undefined || name === '--help' || name === '-h') {
  process.stdout.write(usage());
  process.exit(name === undefined ? 1 : 0);
}
const benchmark = BENCHMARKS[name];
if (!benchmark) {
  process.stderr.write(`unknown benchmark "${name}"\n\n${usage()}`);
  process.exit(1);
}
try {
  process.exitCode = await benchmark.run();
} catch (error) {
  if (error instanceof BenchError) {
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
