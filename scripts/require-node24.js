// Imported first by the scripts that `npm start` and `npm test` run: on a Node.js older than 24 it runs the
// same script again under Node 24 (scripts/ensure-node24.sh finds or fetches one), passes signals on, and
// exits with its exit code; the importing script's own code then never runs in this process.
// Written for old Node versions too: builtins only.
import { execFileSync, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  if (process.env.COMMERCE_NODE24_REEXEC) {
    process.stderr.write(`Node.js 24 is required, and ${process.execPath} is ${process.version}\n`);
    process.exit(1);
  }
  const script = join(dirname(fileURLToPath(import.meta.url)), 'ensure-node24.sh');
  let bin;
  try {
    bin = execFileSync(script, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    process.stderr.write('Node.js 24 is required: install it (see README, Prerequisites) or run scripts/ensure-node24.sh\n');
    process.exit(1);
  }
  process.stderr.write(`Node.js ${process.version} is older than 24: running under ${join(bin, 'node')}\n`);
  const child = spawn(join(bin, 'node'), [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, COMMERCE_NODE24_REEXEC: '1', PATH: `${bin}:${process.env.PATH ?? ''}` },
  });
  // Each signal is passed on once: on Ctrl-C the terminal already signals the child itself (same process
  // group) and npm passes one on to this process, which would otherwise make three.
  const passedOn = new Set();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (!passedOn.has(signal)) child.kill(signal);
      passedOn.add(signal);
    });
  }
  const code = await new Promise((resolve) => {
    child.on('exit', (status, signal) => resolve(status ?? 128 + (signal ? constants.signals[signal] : 1)));
    child.on('error', () => resolve(1));
  });
  process.exit(code);
}
