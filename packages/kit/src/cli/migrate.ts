// Applies one service's migrations to DATABASE_URL (a postgres:// URL, or a PGlite folder).
// Usage: npm run migrate -w subgraphs/<name>
import { readString, runMain } from '../config.js';
import { connectDatabase, connectTimeoutMsFromEnv } from '../db/connect.js';
import { createLogger } from '../log.js';
import { applyMigrations } from '../db/migrations.js';
import { migrationsDir } from '../paths.js';

runMain(async () => {
  const service = process.argv[2];
  if (!service) throw new Error('usage: migrate <service>');
  const db = await connectDatabase(readString(process.env, 'DATABASE_URL'), {
    timeoutMs: connectTimeoutMsFromEnv(process.env),
    logger: createLogger('migrate'),
  });
  try {
    const applied = await applyMigrations(db, migrationsDir(service));
    process.stdout.write(applied.length ? `${service}: applied ${applied.join(', ')}\n` : `${service}: up to date\n`);
  } finally {
    await db.close();
  }
});
