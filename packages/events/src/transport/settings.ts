import { CONSUMER_DEFAULTS, type ConsumerSettings } from './transport.js';

const LIMITS: Record<keyof ConsumerSettings, [min: number, max: number]> = {
  maxAttempts: [1, 100],
  retryBaseMs: [1, 3_600_000],
  retryMaxMs: [1, 86_400_000],
  claimIdleMs: [1, 86_400_000],
  blockMs: [1, 60_000],
  batchSize: [1, 1_000],
  concurrency: [1, 256],
};

/** Defaults, then `base`, then `overrides`; throws a RangeError on a value out of range. */
export function resolveConsumerSettings(...layers: (Partial<ConsumerSettings> | undefined)[]): ConsumerSettings {
  const settings: ConsumerSettings = { ...CONSUMER_DEFAULTS };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {}) as [keyof ConsumerSettings, number | undefined][]) {
      if (value !== undefined) settings[key] = value;
    }
  }
  for (const [key, [min, max]] of Object.entries(LIMITS) as [keyof ConsumerSettings, [number, number]][]) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < min || value > max)
      throw new RangeError(`${key} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  if (settings.retryMaxMs < settings.retryBaseMs) throw new RangeError('retryMaxMs must be at least retryBaseMs');
  // Otherwise another consumer would take a failed event over before its owner's backoff has passed.
  if (settings.claimIdleMs < settings.retryMaxMs) throw new RangeError('claimIdleMs must be at least retryMaxMs');
  return settings;
}

/** The wait before delivering again an event whose handler has failed `failures` times (>= 1). */
export function retryDelay(settings: Pick<ConsumerSettings, 'retryBaseMs' | 'retryMaxMs'>, failures: number): number {
  return Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}
