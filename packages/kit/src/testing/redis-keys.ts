import { createClient } from 'redis';

/** Throws unless the Redis at `url` answers PING within 2 s (a benchmark or test checks it before starting). */
export async function pingRedis(url: string): Promise<void> {
  const redis = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  redis.on('error', () => {}); // the failed connect rejects below
  await redis.connect();
  try {
    const reply = await redis.ping();
    if (reply !== 'PONG') throw new Error(`PING answered ${JSON.stringify(reply)}`);
  } finally {
    await redis.close();
  }
}

/**
 * Deletes every key that starts with `prefix`, which must be one run's own (tests and benchmarks give each run a
 * prefix of its own); returns how many.
 */
export async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  if (prefix.length < 8) throw new Error(`refusing to delete keys under the short prefix "${prefix}"`);
  const redis = createClient({ url });
  redis.on('error', () => {}); // a dropped connection (a chaos run restarts Redis) fails the commands below instead
  await redis.connect();
  let deleted = 0;
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    for await (const batch of redis.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
      if (batch.length > 0) deleted += Number(await redis.unlink(batch.map(String)));
    }
  } finally {
    await redis.close();
  }
  return deleted;
}

/** The Redis that tests use: TEST_REDIS_URL, else the local server. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let testRedisChecked: Promise<void> | undefined;

/**
 * For a test file's `before`: fails at once with one line when the test Redis does not answer, where the Redis
 * client would otherwise retry its connection until the test run times out.
 */
export function requireTestRedis(): Promise<void> {
  testRedisChecked ??= pingRedis(TEST_REDIS_URL).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    throw new Error(
      `this test needs Redis at ${TEST_REDIS_URL} (set TEST_REDIS_URL), which did not answer (${reason}): start it with redis-server`,
    );
  });
  return testRedisChecked;
}
