// Bundles the schema explorer (GraphiQL 5 + React 19, Monaco) into dist/explorer/ for the router to serve at
// /explorer: no CDN, works offline. Run by `npm run build -w router` after tsc.
//   assets/explorer.js, explorer.css   the page (ESM), with GraphiQL's, Monaco's and the codicon font's CSS
//   assets/{editor,graphql,json}.worker.js   Monaco's web workers (classic scripts), which the page starts itself
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'explorer', 'client');
const out = join(root, 'dist', 'explorer');
const assets = join(out, 'assets');

/**
 * Monaco creates its <style> elements in one helper, with no way to give them a nonce; the page's
 * Content-Security-Policy only allows <style> elements that carry the page's nonce. This stamps the nonce the
 * page read from its <meta name="csp-nonce"> (globalThis.__webpack_nonce__, which Radix UI's get-nonce reads
 * too) on each of them. The build fails if Monaco's helper changes, rather than shipping unstyled editors.
 */
const MONACO_STYLE_LINE = "const style = document.createElement('style');";
const monacoStyleNonce = {
  name: 'monaco-style-nonce',
  setup(bundle) {
    bundle.onLoad({ filter: /monaco-editor[\\/]esm[\\/]vs[\\/]base[\\/]browser[\\/]dom\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (text.split(MONACO_STYLE_LINE).length !== 2) {
        throw new Error(`${args.path}: expected exactly one "${MONACO_STYLE_LINE}" (monaco-editor changed: update the nonce patch)`);
      }
      const patched = `${MONACO_STYLE_LINE} style.nonce = globalThis.__webpack_nonce__ ?? '';`;
      return { contents: text.replace(MONACO_STYLE_LINE, patched), loader: 'js' };
    });
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  logLevel: 'warning',
};

const started = performance.now();
await rm(out, { recursive: true, force: true });
await mkdir(assets, { recursive: true });
const results = await Promise.all([
  build({
    ...common,
    entryPoints: [join(source, 'explorer.tsx')], // its CSS imports (and Monaco's) become explorer.css
    outdir: assets,
    entryNames: '[name]',
    format: 'esm',
    jsx: 'automatic',
    loader: { '.woff2': 'dataurl', '.woff': 'dataurl', '.ttf': 'dataurl', '.png': 'dataurl', '.svg': 'dataurl' },
    plugins: [monacoStyleNonce],
  }),
  build({
    ...common,
    entryPoints: {
      'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
      'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
      'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
    },
    outdir: assets,
    format: 'iife',
  }),
]);
await copyFile(join(source, 'index.html'), join(out, 'index.html'));
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const sizes = results
  .flatMap((result) => Object.entries(result.metafile.outputs))
  .filter(([file]) => !file.endsWith('.map') && !file.endsWith('.txt'))
  .map(([file, { bytes }]) => `${file.slice(file.lastIndexOf('/') + 1)} ${(bytes / 1024).toFixed(0)} KiB`);
console.log(`explorer bundled in ${seconds} s: ${sizes.join(', ')}`);
