// Bundles the schema explorer (GraphiQL 3 + React 18) into dist/explorer/ for the router to serve at
// /explorer: no CDN, works offline. Run by `npm run build -w router` after tsc.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'explorer', 'client');
const out = join(root, 'dist', 'explorer');

await rm(out, { recursive: true, force: true });
await mkdir(join(out, 'assets'), { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: [join(source, 'explorer.tsx')], // its CSS import becomes explorer.css
  outdir: join(out, 'assets'),
  entryNames: '[name]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  jsx: 'automatic',
  minify: true,
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': '"production"' },
  // The repository root holds React 19 (another workspace's); GraphiQL 3 and its dependencies, wherever they
  // are installed, must all get the router's React 18, or hooks would run against two copies.
  alias: { react: './node_modules/react', 'react-dom': './node_modules/react-dom' },
  loader: { '.woff2': 'dataurl', '.woff': 'dataurl', '.ttf': 'dataurl', '.png': 'dataurl', '.svg': 'dataurl' },
  metafile: true,
  logLevel: 'warning',
});
await copyFile(join(source, 'index.html'), join(out, 'index.html'));
const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => !file.endsWith('.map') && !file.endsWith('.txt'))
  .map(([file, { bytes }]) => `${file.slice(file.lastIndexOf('/') + 1)} ${(bytes / 1024).toFixed(0)} KiB`);
console.log(`explorer bundled: ${bytes.join(', ')}`);
