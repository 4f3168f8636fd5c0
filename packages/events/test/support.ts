import { randomBytes } from 'node:crypto';
import {
  createLogger,
  deleteRedisKeys as deleteKeys,
  drainBus,
  openScratchDatabase,
  TEST_REDIS_URL,
  type EventMetricsSource,
  type Logger,
  type ScratchDatabase,
} from '@commerce/kit';
import type { ConsumerStats, EventTransport, OutboxRelay } from '../src/index.js';

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
export { waitFor, within } from '@commerce/kit';

/** Work a test handler simulates (a slow provider): never a wait before an assertion (use `drain` or `waitFor`). */
export function work(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface BusParts {
  transport: EventTransport;
  /** The group's streams. */
  streams: readonly string[];
  group: string;
  subscriptions: readonly { stats(): ConsumerStats }[];
  /** The relays publishing to the streams (their outbox and counters); none: the test publishes itself. */
  relays?: readonly OutboxRelay[];
  /** False when a test keeps rows in the outbox on purpose (a stopped relay): only the streams side is drained. */
  outbox?: boolean;
}

/**
 * kit's `drainBus` over a group's subscriptions and the relays that feed them (what `ServiceEvents` is for a
 * service): resolves once everything published so far is handled. Then assert that something did NOT happen.
 */
export function drain(parts: BusParts, timeoutMs?: number): Promise<void> {
  const { transport, streams, group, subscriptions, relays = [], outbox = true } = parts;
  const bus: EventMetricsSource = {
    stats: () => ({
      relay: relays.reduce(
        (sum, relay) => ({
          published: sum.published + relay.stats().published,
          failedRounds: sum.failedRounds + relay.stats().failedRounds,
        }),
        { published: 0, failedRounds: 0 },
      ),
      consumers: subscriptions.map((subscription) => ({ streams, ...subscription.stats() })),
    }),
    gauges: async () => ({
      outbox: outbox && relays[0] ? await relays[0].lag() : { unpublished: 0, oldestAgeMs: null },
      streams: await Promise.all(
        streams.map(async (stream) => ({ stream, group, lag: await transport.groupLag(stream, group), deadLetters: 0 })),
      ),
    }),
  };
  return drainBus([bus], timeoutMs);
}
