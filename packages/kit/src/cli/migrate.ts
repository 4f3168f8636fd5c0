// Applies one service's migrations to DATABASE_URL (a postgres:// URL, or a PGlite folder).
// Usage: npm run migrate -w subgraphs/<name>
import { readString, runMain } from '../config.js';
import { openDatabase } from '../db/database.js';
import { applyMigrations } from '../db/migrations.js';
import { migrationsDir } from '../paths.js';

runMain(async () => {
  const service = process.argv[2];
  if (!service) throw new Error('usage: migrate <service>');
  const db = await openDatabase(readString(process.env, 'DATABASE_URL'));
  try {
    const applied = await applyMigrations(db, migrationsDir(service));
    process.stdout.write(applied.length ? `${service}: applied ${applied.join(', ')}\n` : `${service}: up to date\n`);
  } finally {
    await db.close();
  }
});
