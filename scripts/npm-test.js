// npm test [-- <text>...] [-- <turbo flag>...]
// Without <text>: `turbo run test`, a cached task per workspace (turbo.json), rendered: a line when a workspace's
// build or tests start, each workspace's whole test log at once when its tests end (no interleaving, a failing
// test's output in full), then turbo's summary. Cached tasks print nothing. A failure does not stop the other
// workspaces (--continue); the exit status says whether all passed. Flags go to turbo (--force, --filter=...).
// With <text>: builds, then runs the test files whose path contains it directly, uncached (scripts/test.js).
import './require-node24.js'; // first: on an older Node.js, runs this script again under Node 24
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from './build.js';
import { DONE, NO_FILES } from './test.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const elapsed = () => `${process.uptime().toFixed(1).padStart(5)} s`;

function turboTest(flags) {
  return new Promise((resolve) => {
    const turbo = spawn(
      join(root, 'node_modules', '.bin', 'turbo'),
      ['run', 'test', '--json', '--output-logs=new-only', '--concurrency=1', '--continue=dependencies-successful', ...flags],
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
        // its header ("• Packages in scope: ...") and blank lines left out; the summary has one blank line before it
        if (text.trim() === '' || text.trim().startsWith('•')) return;
        if (text.startsWith(' Tasks:')) process.stdout.write('\n');
        (event.level === 'error' ? process.stderr : process.stdout).write(`${text}\n`);
        return;
      }
      const [name, task] = source.split('#');
      if (/^cache (miss|bypass)/.test(text)) {
        process.stdout.write(`  ${elapsed()}  ${task === 'build' ? 'compiling' : 'testing'} ${name}\n`);
        if (task === 'test') logs.set(source, []);
      } else if (/^cache hit/.test(text) || /^> |^\s*$|^Prisma schema loaded from/.test(text)) {
        // cached (its log is not replayed), npm's "> script" banner, blank lines, prisma generate's one line
      } else if (logs.has(source)) {
        logs.get(source)?.push(text);
        if (text.startsWith(DONE)) flush(source);
      } else process.stdout.write(`${source}: ${text}\n`); // compiler errors, npm's lines after a failed script
    });
    turbo.on('exit', (code) => {
      for (const task of [...logs.keys()]) flush(task); // a task that ended without its last line
      resolve(code ?? 1);
    });
  });
}

const args = process.argv.slice(2);
const texts = args.filter((arg) => !arg.startsWith('-'));
const flags = args.filter((arg) => arg.startsWith('-'));
if (texts.length === 0) process.exit(await turboTest(flags));
try {
  await build(flags);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const run = spawnSync(process.execPath, [join(root, 'scripts', 'test.js'), ...texts], { stdio: 'inherit' });
process.exit(run.status ?? 1);
