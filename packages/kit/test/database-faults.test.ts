import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StartupError } from '../src/config.js';
import { connectDatabase } from '../src/db/connect.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { createLogger } from '../src/log.js';
import { startOwnPostgres, type OwnPostgres } from '../src/testing/own-postgres.js';
import { waitFor } from '../src/testing/wait-for.js';

/**
 * A PostgreSQL server of this test's own (initdb on a free port), stopped and restarted under an open pool. Both
 * test modes run it the same way: it never touches the shared server. Without initdb it fails with one line.
 */
describe('PostgreSQL going away under a service (own server)', () => {
  let server: OwnPostgres;
  const logger = createLogger('database-faults', 'silent');

  before(async () => {
    server = await startOwnPostgres({ maxConnections: 40 });
  });
  after(async () => {
    await server?.close();
  });

  /** Starts `work` in a transaction, which waits for `release` while holding its checked-out connection. */
  function holdTransaction(db: Database, run: 'transaction' | 'lock') {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const inside = new Promise<void>((resolve) => (started = resolve));
    const done =
      run === 'transaction'
        ? db.transaction(async (tx) => {
            await tx.query('select 1');
            started();
            await held;
            await tx.query('select 1');
          })
        : db.withExclusiveLock(async () => {
            started();
            await held;
          });
    return {
      inside,
      release,
      done: done.then(
        () => 'committed',
        (error: Error) => error,
      ),
    };
  }

  for (const run of ['transaction', 'lock'] as const) {
    it(`a ${run === 'transaction' ? 'transaction' : 'withExclusiveLock'} whose connection dies fails with an error, the process lives, and the pool works once the server is back`, async () => {
      const db = await openDatabase(server.url);
      try {
        const uncaught: unknown[] = [];
        const record = (error: unknown) => uncaught.push(error);
        process.on('uncaughtException', record);
        try {
          const held = holdTransaction(db, run);
          await held.inside;
          await server.stop('immediate'); // the checked-out connection is cut while idle in the transaction
          held.release();
          const outcome = await held.done;
          if (run === 'transaction') {
            assert.ok(outcome instanceof Error, 'the transaction failed');
            assert.match(outcome.message, /terminat|connect|ECONNREFUSED/i);
          }
          await assert.rejects(db.query('select 1'), 'a query while the server is down fails');
          await server.start();
          assert.deepEqual(await db.query('select 1 as one'), [{ one: 1 }]);
          assert.equal(await db.transaction(async (tx) => (await tx.query<{ n: number }>('select 2 as n'))[0]!.n), 2);
          assert.deepEqual(uncaught, [], 'no connection error escaped as an uncaught exception');
        } finally {
          process.removeListener('uncaughtException', record);
        }
      } finally {
        await db.close();
      }
    });
  }

  it('start-up waits for a server that is down and connects once it is up', async () => {
    await server.stop('fast');
    // The server comes back once start-up has failed twice and said it retries (not after a fixed time).
    let retries = 0;
    const counting = {
      info: () => {},
      warn: () => {
        retries += 1;
      },
    };
    const connecting = connectDatabase(server.url, { timeoutMs: 30_000, logger: counting, initialDelayMs: 100, maxDelayMs: 500 });
    await waitFor('two failed attempts, each logged', () => retries >= 2, 20_000);
    await server.start();
    const db = await connecting;
    try {
      assert.ok(retries >= 2, 'it waited for the server');
      assert.deepEqual(await db.query('select 1 as one'), [{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('start-up gives up after the connect timeout with one line, and at once on a database that does not exist', async () => {
    await server.stop('fast');
    try {
      await assert.rejects(connectDatabase(server.url, { timeoutMs: 300, logger, initialDelayMs: 100 }), (error: Error) => {
        assert.ok(error instanceof StartupError);
        assert.match(error.message, /^database not reachable after \d+ s \(DATABASE_CONNECT_TIMEOUT_SECONDS\): .*ECONNREFUSED/);
        return true;
      });
    } finally {
      await server.start();
    }
    const missing = server.url.replace(/\/postgres$/, '/no_such_database');
    const started = Date.now();
    await assert.rejects(
      connectDatabase(missing, { timeoutMs: 30_000, logger }),
      /^StartupError: cannot open the database: database "no_such_database" does not exist/,
    );
    assert.ok(Date.now() - started < 5_000, 'a missing database is not waited for');
  });
});
