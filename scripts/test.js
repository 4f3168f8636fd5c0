// Runs the compiled tests (<workspace>/dist/test/*.test.js) with node's test runner.
//   node scripts/test.js                   every workspace's tests in one run, uncached (what `npm test` did before turbo)
//   node scripts/test.js <text>...         only the test files whose path contains one of the <text>s, uncached
//   node scripts/test.js --workspace <dir> one workspace's tests: its `npm test` script, the task turbo runs and caches
//   node scripts/test.js --turbo [<text>] [--turbo-flag...]
//                                          what root `npm test` runs: with <text>, builds then runs the matching files
//                                          directly; without, `turbo run test` (cached per workspace; --force re-runs all)
// TEST_DATABASE=postgres runs the same tests against PostgreSQL (see packages/platform/src/testing.ts).
// TEST_CONCURRENCY: test files run at once per node --test run (default 2, the cores CI has).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

/** The compiled test files of one workspace directory. */
const testFiles = (workspace) => {
  const dir = join(workspace, 'dist', 'test');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => file.endsWith('.test.js'))
        .map((file) => join(dir, file))
    : [];
};

const run = (command, commandArgs, env = process.env) =>
  spawnSync(command, commandArgs, { stdio: 'inherit', cwd: root, env }).status ?? 1;

/** node --test over `files`; exits with its status. */
function nodeTest(files) {
  const concurrency = process.env.TEST_CONCURRENCY ?? '2';
  const status = run(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files], {
    ...process.env,
    APOLLO_TELEMETRY_DISABLED: 'true',
  });
  process.exit(status);
}

const turbo = (turboArgs) =>
  run(join(root, 'node_modules', '.bin', 'turbo'), turboArgs, { ...process.env, TURBO_TELEMETRY_DISABLED: '1' });

if (args[0] === '--workspace') {
  const workspace = resolve(args[1] ?? '.');
  const files = testFiles(workspace);
  if (files.length === 0) {
    process.stdout.write(`no tests in ${relative(root, workspace) || basename(workspace)}\n`);
    process.exit(0);
  }
  nodeTest(files);
} else if (args[0] === '--turbo') {
  const texts = args.slice(1).filter((arg) => !arg.startsWith('-'));
  const flags = args.slice(1).filter((arg) => arg.startsWith('-'));
  if (texts.length > 0) {
    // a filtered run is direct and uncached, like `node scripts/test.js <text>`
    const built = turbo(['run', 'build', '--output-logs=errors-only', '--log-prefix=none', ...flags]);
    if (built !== 0) process.exit(built);
    process.exit(run(process.execPath, [fileURLToPath(import.meta.url), ...texts]));
  }
  // One task per workspace (turbo.json's `test`), two at a time on 2 cores; a workspace's log is printed in one
  // piece when its task ends, in full (so a failing test's output is all there); cached tasks print one line.
  process.exit(turbo(['run', 'test', '--concurrency=2', '--output-logs=new-only', '--log-order=grouped', ...flags]));
} else {
  const workspaces = ['packages', 'subgraphs']
    .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
    .concat(join(root, 'router'), join(root, 'k8s'));
  const files = workspaces.flatMap(testFiles);
  nodeTest(args.length > 0 ? files.filter((file) => args.some((text) => file.includes(text))) : files);
}
