// Generates the Prisma client of one subgraph, skipping the work when schema.prisma is unchanged.
// Prisma's CLI would download a schema-engine binary for some commands; `generate` does not need it,
// so a dummy path keeps it from trying (see ARCHITECTURE.md).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2];
if (!name) throw new Error('usage: prisma-generate.js <subgraph>');
const schemaPath = join(root, 'prisma', name, 'schema.prisma');
const outDir = join(root, 'subgraphs', name, 'src', 'generated', 'prisma');
const stamp = join(outDir, '.schema-hash');
const hash = createHash('sha256').update(readFileSync(schemaPath)).digest('hex');
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) process.exit(0);
execFileSync(join(root, 'node_modules', '.bin', 'prisma'), ['generate', '--schema', schemaPath], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
});
writeFileSync(stamp, hash);
