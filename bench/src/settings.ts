import { BenchError } from './errors.js';

/** Readers of BENCH_* settings: a bad value ends the benchmark with a one-line message. */
export function envReaders(env: NodeJS.ProcessEnv) {
  return {
    int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
      const raw = env[name];
      if (raw === undefined || raw === '') return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max)
        throw new BenchError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return value;
    },
    choice<T extends string>(name: string, options: readonly T[], fallback: T): T {
      const raw = env[name];
      if (raw === undefined || raw === '') return fallback;
      if (!(options as readonly string[]).includes(raw)) throw new BenchError(`${name} must be one of ${options.join(', ')}, got "${raw}"`);
      return raw as T;
    },
  };
}
