// Runs the compiled tests (<workspace>/dist/test/*.test.js) with node's test runner.
//   node scripts/test.js                    every workspace's tests in one run, uncached
//   node scripts/test.js <text>...          only the test files whose path contains one of the <text>s, uncached
//   node scripts/test.js --workspace <dir>  one workspace's tests: its `npm test` script, the task turbo caches
// Root `npm test` is scripts/npm-test.js (turbo). This file is an input of every `test` task (turbo.json): a
// change here runs all the tests again, so keep what only the root command needs out of it.
// TEST_DATABASE=postgres runs the same tests against PostgreSQL (see packages/platform/src/testing.ts).
// TEST_CONCURRENCY: test files run at once per node --test run (default 2, the cores CI has).
import './require-node24.js'; // first: on an older Node.js, runs this script again under Node 24
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The first words of the last line of `--workspace`'s output (scripts/npm-test.js prints the log on seeing it). */
export const DONE = '── tests of ';
/** ... and how it ends when the workspace has no tests. */
export const NO_FILES = 'none (no test files)';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The compiled test files of one workspace directory. */
const testFiles = (workspace) => {
  const dir = join(workspace, 'dist', 'test');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => file.endsWith('.test.js'))
        .map((file) => join(dir, file))
    : [];
};

/** node --test over `files`; its exit status. */
const nodeTest = (files) =>
  spawnSync(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files], {
    stdio: 'inherit',
    env: { ...process.env, APOLLO_TELEMETRY_DISABLED: 'true' },
  }).status ?? 1;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === '--workspace') {
    const workspace = relative(root, resolve(args[1] ?? '.'));
    const files = testFiles(join(root, workspace));
    const status = files.length === 0 ? 0 : nodeTest(files);
    const outcome = files.length === 0 ? NO_FILES : status === 0 ? 'passed' : `FAILED (exit code ${status})`;
    process.stdout.write(`${DONE}${workspace}: ${outcome}\n`);
    process.exit(status);
  }
  const workspaces = ['packages', 'subgraphs']
    .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
    .concat(join(root, 'router'), join(root, 'k8s'));
  const files = workspaces.flatMap(testFiles);
  process.exit(nodeTest(args.length > 0 ? files.filter((file) => args.some((text) => file.includes(text))) : files));
}
