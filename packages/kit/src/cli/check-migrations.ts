// Fails when a schema.prisma and its migrations disagree (CI runs it). `--write <service> <name>` writes a new
// migration with the missing SQL instead, which is how migrations are authored here (no engine binary needed).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMain } from '../config.js';
import { migrationDrift, pendingSchemaChanges } from '../db/schema-engine.js';
import { migrationsDir, schemaPath, SUBGRAPH_NAMES } from '../paths.js';

runMain(async () => {
  const [flag, service, name] = process.argv.slice(2);
  if (flag === '--write') {
    if (!service || !name) throw new Error('usage: check-migrations --write <service> <migration_name>');
    const sql = await pendingSchemaChanges(schemaPath(service), migrationsDir(service));
    if (!sql.trim()) {
      process.stdout.write(`${service}: migrations already match schema.prisma\n`);
      return;
    }
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const dir = join(migrationsDir(service), `${stamp}_${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'migration.sql'), sql);
    writeFileSync(join(migrationsDir(service), 'migration_lock.toml'), 'provider = "postgresql"\n');
    process.stdout.write(`${service}: wrote ${dir}/migration.sql\n`);
    return;
  }
  let failed = false;
  for (const subgraph of SUBGRAPH_NAMES) {
    const drift = await migrationDrift(schemaPath(subgraph), migrationsDir(subgraph));
    if (drift) {
      failed = true;
      process.stderr.write(`${subgraph}: schema.prisma and migrations disagree:\n${drift}\n`);
    } else {
      process.stdout.write(`${subgraph}: migrations match schema.prisma\n`);
    }
  }
  if (failed) process.exit(1);
});
