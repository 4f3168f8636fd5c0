import { readInteger } from '@commerce/kit';
import { DEFAULT_SAGA_SETTINGS, type SagaSettings } from '../domain/saga.js';

export interface SagaConfig {
  settings: SagaSettings;
  sweepIntervalMs: number;
}

/** ORDERS_SAGA_* from the environment, validated (a bad value stops the process with a clear message). */
export function sagaConfigFromEnv(env: Record<string, string | undefined>): SagaConfig {
  return {
    settings: {
      stepTimeoutMs: readInteger(env, 'ORDERS_SAGA_STEP_TIMEOUT_MS', DEFAULT_SAGA_SETTINGS.stepTimeoutMs, 100, 3_600_000),
      maxAttempts: readInteger(env, 'ORDERS_SAGA_MAX_ATTEMPTS', DEFAULT_SAGA_SETTINGS.maxAttempts, 1, 100),
      reservationTtlMs: readInteger(env, 'ORDERS_RESERVATION_TTL_MS', DEFAULT_SAGA_SETTINGS.reservationTtlMs, 1_000, 86_400_000),
    },
    sweepIntervalMs: readInteger(env, 'ORDERS_SAGA_SWEEP_MS', 1_000, 10, 600_000),
  };
}
