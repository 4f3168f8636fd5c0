// npm start: builds with progress on the terminal, then runs the platform in this same process, so a
// SIGINT or SIGTERM sent to `npm start` (npm passes it on to this process) stops the whole platform.
import './require-node24.js'; // first: on an older Node.js, runs this script again under Node 24
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from './build.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const elapsed = () => `${process.uptime().toFixed(1).padStart(5)} s`;

process.stdout.write(`  ${elapsed()}  building (the first build compiles 13 workspaces: a minute or two on 2 cores)\n`);
try {
  await build();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
process.stdout.write(`  ${elapsed()}  starting the platform\n`);
await import(pathToFileURL(join(root, 'packages', 'platform', 'dist', 'src', 'cli', 'start.js')).href);
