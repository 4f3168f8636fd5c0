// npm start: builds with progress on the terminal, then runs the platform in this same process, so a
// SIGINT or SIGTERM sent to `npm start` (npm passes it on to this process) stops the whole platform.
import './require-node24.js'; // first: on an older Node.js, runs this script again under Node 24
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const elapsed = () => `${process.uptime().toFixed(1).padStart(5)} s`;

function build() {
  process.stdout.write(`  ${elapsed()}  building (the first build compiles 13 workspaces: a few minutes on 2 cores)\n`);
  return new Promise((resolve, reject) => {
    const turbo = spawn(join(root, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--output-logs=new-only', '--log-prefix=task'], {
      cwd: root,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Turbo prints one line when a task starts ("<workspace>:build: cache miss, executing ...") or is cached.
    createInterface({ input: turbo.stdout }).on('line', (line) => {
      const match = /^(@commerce\/[\w-]+):build: cache (miss|hit)/.exec(line.trim());
      if (match?.[2] === 'miss') process.stdout.write(`  ${elapsed()}  compiling ${match[1]}\n`);
      else if (!match && /error/i.test(line)) process.stdout.write(`${line}\n`); // compiler errors
    });
    turbo.on('error', reject);
    turbo.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the build failed (exit code ${code})`))));
  });
}

try {
  await build();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
process.stdout.write(`  ${elapsed()}  starting the platform\n`);
await import(pathToFileURL(join(root, 'packages', 'platform', 'dist', 'src', 'cli', 'start.js')).href);
