// Runs the compiled tests (<workspace>/dist/test/*.test.js) with node's test runner.
//   node scripts/test.js                    every workspace's tests in one run, uncached
//   node scripts/test.js <text>...          only the test files whose path contains one of the <text>s, uncached
//   node scripts/test.js --workspace <dir>  one workspace's tests: its `npm test` script, the task turbo caches
//   node scripts/test.js --turbo [<text>...] [<turbo flag>...]
//                                           root `npm test`: without <text>, `turbo run test` (a cached task per
//                                           workspace, see turbo.json); with <text>, builds, then runs those files
// TEST_DATABASE=postgres runs the same tests against PostgreSQL (see packages/platform/src/testing.ts).
// TEST_CONCURRENCY: test files run at once per node --test run (default 2, the cores CI has).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from './build.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const elapsed = () => `${process.uptime().toFixed(1).padStart(5)} s`;

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

// The last line of a workspace's test log (the renderer below prints the log when it sees it).
const DONE = '── tests of ';
const NO_FILES = 'none (no test files)';

/**
 * `turbo run test`, rendered: a line when a workspace's tests (or build) start, then each workspace's whole log
 * at once when its tests end (no interleaving; a failing test's output in full), then turbo's summary. Cached
 * tasks print nothing. Failures do not stop the others (--continue), the exit status says whether all passed.
 */
function turboTest(flags) {
  return new Promise((resolvePromise) => {
    const turbo = spawn(
      join(root, 'node_modules', '.bin', 'turbo'),
      ['run', 'test', '--json', '--output-logs=new-only', '--concurrency=2', '--continue=dependencies-successful', ...flags],
      { cwd: root, env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const logs = new Map(); // task -> its lines so far, while it runs
    const flush = (task) => {
      const lines = logs.get(task) ?? [];
      logs.delete(task);
      if (lines.length === 1 && lines[0]?.endsWith(NO_FILES)) return;
      process.stdout.write(`\n── ${task}\n${lines.map((line) => `${line}\n`).join('')}`);
    };
    createInterface({ input: turbo.stdout }).on('line', (json) => {
      let event;
      try {
        event = JSON.parse(json);
      } catch {
        process.stdout.write(`${json}\n`);
        return;
      }
      const { source, text = '' } = event;
      if (source === 'turbo') {
        if (!text.trim().startsWith('•')) (event.level === 'error' ? process.stderr : process.stdout).write(`${text}\n`);
        return;
      }
      const [name, task] = source.split('#');
      if (/^cache (miss|bypass)/.test(text)) {
        process.stdout.write(`  ${elapsed()}  ${task === 'build' ? 'compiling' : 'testing'} ${name}\n`);
        if (task === 'test') logs.set(source, []);
      } else if (/^cache hit/.test(text) || /^> |^\s*$/.test(text)) {
        // cached (its log is not replayed), npm's "> script" banner, blank lines
      } else if (logs.has(source)) {
        logs.get(source)?.push(text);
        if (text.startsWith(DONE)) flush(source);
      } else process.stdout.write(`${source}: ${text}\n`); // compiler errors, npm's lines after a failed script
    });
    turbo.on('exit', (code) => {
      for (const task of [...logs.keys()]) flush(task); // a task that ended without its last line
      resolvePromise(code ?? 1);
    });
  });
}

if (args[0] === '--workspace') {
  const workspace = relative(root, resolve(args[1] ?? '.'));
  const files = testFiles(join(root, workspace));
  const status = files.length === 0 ? 0 : nodeTest(files);
  const outcome = files.length === 0 ? NO_FILES : status === 0 ? 'passed' : `FAILED (exit code ${status})`;
  process.stdout.write(`${DONE}${workspace}: ${outcome}\n`);
  process.exit(status);
} else if (args[0] === '--turbo') {
  const texts = args.slice(1).filter((arg) => !arg.startsWith('-'));
  const flags = args.slice(1).filter((arg) => arg.startsWith('-'));
  if (texts.length === 0) process.exit(await turboTest(flags));
  // a filtered run builds, then runs the matching files directly, uncached (like `node scripts/test.js <text>`)
  try {
    await build(flags);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
const workspaces = ['packages', 'subgraphs']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
  .concat(join(root, 'router'), join(root, 'k8s'));
const files = workspaces.flatMap(testFiles);
const texts = args.filter((arg) => !arg.startsWith('-'));
process.exit(nodeTest(texts.length > 0 ? files.filter((file) => texts.some((text) => file.includes(text))) : files));
