// npm run build (and npm start): `turbo run build` with one progress line per workspace it compiles, so a first
// build (13 workspaces, about a minute on 2 cores) is not two silent minutes. Cached workspaces print nothing;
// compiler errors and anything else a task prints are shown as turbo prints them, and a failed build exits 1.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const elapsed = () => `${process.uptime().toFixed(1).padStart(5)} s`;

// turbo's own lines (its header "• ...", its summary) and, within a task's log, npm's "> pkg@version build" banner
// and empty lines, and prisma generate's one line
const QUIET = /^(•|Tasks:|Cached:|Time:|Failed:|$)/;
const quiet = (line) => QUIET.test(line) || /^[^\s]+:build:\s*(>.*|Prisma schema loaded from .*)?$/.test(line);

/** Builds every workspace (turbo's cache skips the unchanged ones); `turboArgs` are passed on (e.g. --force). */
export function build(turboArgs = []) {
  return new Promise((resolve, reject) => {
    const turbo = spawn(
      join(root, 'node_modules', '.bin', 'turbo'),
      ['run', 'build', '--output-logs=new-only', '--log-prefix=task', ...turboArgs],
      { cwd: root, env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let compiled = 0;
    // Turbo prints one line when a task starts ("<workspace>:build: cache miss, executing <hash>") or is cached.
    createInterface({ input: turbo.stdout }).on('line', (raw) => {
      const line = raw.trim();
      const match = /^(@commerce\/[\w-]+):build: cache (miss|hit)/.exec(line);
      if (match?.[2] === 'miss') {
        compiled += 1;
        process.stdout.write(`  ${elapsed()}  compiling ${match[1]}\n`);
      } else if (!match && !quiet(line)) process.stdout.write(`${raw}\n`);
    });
    turbo.on('error', reject);
    turbo.on('exit', (code) => {
      if (code !== 0) reject(new Error(`the build failed (exit code ${code})`));
      else {
        if (compiled > 0) process.stdout.write(`  ${elapsed()}  built (${compiled} compiled, the others unchanged)\n`);
        resolve();
      }
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  build(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
