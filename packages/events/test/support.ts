import { randomBytes } from 'node:crypto';
import {
  createLogger,
  deleteRedisKeys as deleteKeys,
  openScratchDatabase,
  TEST_REDIS_URL,
  type Logger,
  type ScratchDatabase,
} from '@commerce/kit';

/** Helpers shared by the test files (not a test file itself). */

export const REDIS_URL = TEST_REDIS_URL;
export const DATABASE_MODE = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'pglite';

export function silentLogger(): Logger {
  return createLogger('events-test', process.env.TEST_LOG_LEVEL ?? 'silent');
}

/** A prefix of its own per run, so that parallel runs (and leftovers of old ones) on one Redis never meet. */
export function uniquePrefix(): string {
  return `test:events:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`;
}

export type TestDatabase = ScratchDatabase;

export const openTestDatabase = () => openScratchDatabase('events');

/** Deletes every Redis key under `prefix` (after a run). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  await deleteKeys(REDIS_URL, prefix);
}

/** Resolves once `check` returns true (kit's one waiting helper). */
export { waitFor } from '@commerce/kit';

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
