import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// The replay harness and the deep query live with the engine's tests (router/test), compiled to router/dist/test.
import { DEEP_QUERY } from '@commerce/router/dist/test/engine-operations.js';
import { startReplayBench } from '@commerce/router/dist/test/engine-replay.js';
import { BenchError } from './errors.js';
import { machineInfo } from './machine.js';
import { fixed, round, table } from './stats.js';
import { envReaders } from './settings.js';

/**
 * Router CPU per request of the engine (router/src/engine) vs @apollo/gateway (behind @apollo/server, the way
 * the router runs it today) for the deep query over the edge-case subgraphs, with recorded subgraph answers
 * replayed in process: no network, no subgraph work, only planning (cached on both sides), fetch orchestration,
 * merging and response shaping. Interleaved rounds, sequential requests, process CPU time per request.
 */
const BENCH_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUTPUT = join(BENCH_ROOT, 'results', 'engine.json');

type Side = 'engine' | 'gateway';

export async function main(): Promise<number> {
  const env = envReaders(process.env);
  const rounds = env.int('ENGINE_BENCH_ROUNDS', 6, 1);
  const perRound = env.int('ENGINE_BENCH_REQUESTS', 300, 1);
  const warmup = env.int('ENGINE_BENCH_WARMUP', 300, 0);
  const products = env.int('ENGINE_BENCH_PRODUCTS', 30, 1);
  const bench = await startReplayBench(DEEP_QUERY, products, { first: products + 4 });
  try {
    const engineAnswer = JSON.stringify(sortKeys(await bench.engine()));
    const gatewayAnswer = JSON.stringify(sortKeys(await bench.gateway()));
    if (engineAnswer !== gatewayAnswer) throw new BenchError('the engine and the gateway answer the deep query differently');
    const run: Record<Side, () => Promise<unknown>> = { engine: bench.engine, gateway: bench.gateway };
    for (const side of ['engine', 'gateway'] as const) for (let i = 0; i < warmup; i++) await run[side]();
    const cpu: Record<Side, number[]> = { engine: [], gateway: [] };
    const wall: Record<Side, number[]> = { engine: [], gateway: [] };
    for (let roundIndex = 0; roundIndex < rounds; roundIndex++) {
      // Alternate which side goes first so that drift hits both alike.
      const order: Side[] = roundIndex % 2 === 0 ? ['engine', 'gateway'] : ['gateway', 'engine'];
      for (const side of order) {
        const startCpu = process.cpuUsage();
        const startWall = performance.now();
        for (let i = 0; i < perRound; i++) await run[side]();
        const used = process.cpuUsage(startCpu);
        cpu[side].push((used.user + used.system) / 1000 / perRound);
        wall[side].push((performance.now() - startWall) / perRound);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
    const figures = {
      engine: { cpuMsPerRequest: round(median(cpu.engine)), wallMsPerRequest: round(median(wall.engine)), fetches: bench.fetches.engine },
      gateway: {
        cpuMsPerRequest: round(median(cpu.gateway)),
        wallMsPerRequest: round(median(wall.gateway)),
        fetches: bench.fetches.gateway,
      },
    };
    const speedup = round(figures.gateway.cpuMsPerRequest / figures.engine.cpuMsPerRequest, 2);
    process.stdout.write(
      `${table(
        ['side', 'CPU ms/request (median of rounds)', 'wall ms/request', 'subgraph fetches/request'],
        (['gateway', 'engine'] as const).map((side) => [
          side,
          fixed(figures[side].cpuMsPerRequest, 3),
          fixed(figures[side].wallMsPerRequest, 3),
          String(figures[side].fetches),
        ]),
      )}\nengine speed-up on router CPU: ${fixed(speedup, 2)}x (response ${engineAnswer.length} bytes, identical on both sides)\n`,
    );
    await writeFile(
      OUTPUT,
      `${JSON.stringify(
        {
          benchmark: 'engine',
          query: 'DEEP_QUERY (router/test/engine-operations.ts) over the edge-case subgraphs, answers replayed',
          machine: machineInfo(),
          settings: { rounds, perRound, warmup, products },
          responseBytes: engineAnswer.length,
          ...figures,
          speedup,
          rounds: { engineCpuMs: cpu.engine.map((v) => round(v)), gatewayCpuMs: cpu.gateway.map((v) => round(v)) },
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  } finally {
    await bench.stop();
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}
