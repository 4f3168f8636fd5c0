// Runs every compiled test file of every workspace with node's test runner.
// TEST_DATABASE=postgres runs the same tests against PostgreSQL (see packages/platform/src/testing.ts).
import './require-node24.js'; // first: on an older Node.js, runs this script again under Node 24
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const workspaces = ['packages', 'subgraphs']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(group, name)))
  .concat('router', 'k8s');
const files = workspaces.flatMap((workspace) => {
  const dir = join(root, workspace, 'dist', 'test');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => file.endsWith('.test.js'))
        .map((file) => join(dir, file))
    : [];
});
const filter = process.argv[2];
const selected = filter ? files.filter((file) => file.includes(filter)) : files;
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...selected],
  { stdio: 'inherit', env: { ...process.env, APOLLO_TELEMETRY_DISABLED: 'true' } },
);
process.exit(result.status ?? 1);
