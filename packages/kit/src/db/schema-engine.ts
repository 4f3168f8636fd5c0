import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as engineModule from '@prisma/schema-engine-wasm/schema_engine_bg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { readMigrations } from './migrations.js';

/**
 * Prisma's schema engine, compiled to WebAssembly, with a throw-away in-memory PGlite as its shadow database:
 * it writes migrations and checks them against schema.prisma without the engine binary the CLI would download.
 */
type Engine = Awaited<ReturnType<typeof engineModule.SchemaEngine.new>>;

/** The part of the WebAssembly global used here: the project's lib settings (no DOM) leave its types out. */
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
}

function wasmApi(): WasmApi {
  const api: unknown = Reflect.get(globalThis, 'WebAssembly');
  const instantiate: unknown = typeof api === 'object' && api !== null ? Reflect.get(api, 'instantiate') : undefined;
  if (typeof instantiate !== 'function') throw new Error('this Node.js has no WebAssembly: the schema engine needs it');
  // Reflect.apply returns any: the shape is the one WasmApi states, WebAssembly.instantiate's documented result.
  return { instantiate: (bytes, imports) => Reflect.apply(instantiate, api, [bytes, imports]) };
}

let wasmLoaded = false;
async function loadWasm(): Promise<void> {
  if (wasmLoaded) return;
  const require = createRequire(import.meta.url);
  const wasmPath = require.resolve('@prisma/schema-engine-wasm').replace(/schema_engine\.js$/, 'schema_engine_bg.wasm');
  const { instance } = await wasmApi().instantiate(readFileSync(wasmPath), { './schema_engine_bg.js': engineModule });
  engineModule.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  wasmLoaded = true;
}

async function withEngine<T>(schemaPath: string, work: (engine: Engine, schema: string) => Promise<T>): Promise<T> {
  await loadWasm();
  const schema = readFileSync(schemaPath, 'utf8');
  const shadow = new PGlite();
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(shadow));
  const engine = await engineModule.SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, () => undefined, adapter);
  try {
    return await work(engine, schema);
  } finally {
    engine.free();
    await shadow.close();
  }
}

function migrationsTarget(migrationsDir: string) {
  const migrations = readMigrations(migrationsDir);
  if (migrations.length === 0) return { tag: 'empty' as const };
  const lockPath = join(migrationsDir, 'migration_lock.toml');
  return {
    tag: 'migrations' as const,
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: migrations.map((migration) => ({
      path: migration.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: migration.sql } },
    })),
  };
}

const noFilters = { externalTables: [], externalEnums: [] };

/** The SQL that takes a database from the current migrations to schema.prisma ('' when they agree). */
export async function pendingSchemaChanges(schemaPath: string, migrationsDir: string): Promise<string> {
  return withEngine(schemaPath, async (engine, schema) => {
    const result = await engine.diff({
      from: migrationsTarget(migrationsDir),
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: true,
      filters: noFilters,
    });
    return result.exitCode === 2 ? (result.stdout ?? '') : '';
  });
}

/** A human-readable summary of how the migrations differ from schema.prisma, or undefined when they agree. */
export async function migrationDrift(schemaPath: string, migrationsDir: string): Promise<string | undefined> {
  return withEngine(schemaPath, async (engine, schema) => {
    const result = await engine.diff({
      from: migrationsTarget(migrationsDir),
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: false,
      exitCode: true,
      filters: noFilters,
    });
    return result.exitCode === 2 ? (result.stdout ?? 'differs') : undefined;
  });
}
