// npm run compose: writes schema/supergraph.graphql (and its copy k8s/base/supergraph.graphql for the router's
// ConfigMap) and schema/subgraphs/<name>.graphql.
// --check: fails when the committed files differ from a fresh composition (CI runs it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runMain } from '@commerce/kit';
import { composeSupergraph } from '../compose.js';

runMain(async () => {
  const check = process.argv.includes('--check');
  const { supergraphSdl, subgraphSdl } = await composeSupergraph();
  // Paths from the repository root. k8s/base holds a copy for the router's ConfigMap (kustomize reads no file
  // outside its directory).
  const supergraph = `${supergraphSdl.trimEnd()}\n`;
  const files: Record<string, string> = {
    [join('schema', 'supergraph.graphql')]: supergraph,
    [join('k8s', 'base', 'supergraph.graphql')]: supergraph,
  };
  for (const [name, sdl] of Object.entries(subgraphSdl)) files[join('schema', 'subgraphs', `${name}.graphql`)] = `${sdl.trimEnd()}\n`;
  const stale: string[] = [];
  for (const [relative, content] of Object.entries(files)) {
    const path = join(REPO_ROOT, relative);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === content) continue;
    stale.push(relative);
    if (!check) {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, content);
    }
  }
  if (check && stale.length) {
    process.stderr.write(`composition drift: ${stale.join(', ')} differ from a fresh composition; run npm run compose\n`);
    process.exit(1);
  }
  process.stdout.write(check ? 'supergraph is up to date\n' : stale.length ? `wrote ${stale.join(', ')}\n` : 'supergraph unchanged\n');
});
