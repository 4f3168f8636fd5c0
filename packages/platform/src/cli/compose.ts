// npm run compose: writes schema/supergraph.graphql and schema/subgraphs/<name>.graphql.
// --check: fails when the committed files differ from a fresh composition (CI runs it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runMain } from '@commerce/kit';
import { composeSupergraph } from '../compose.js';

runMain(async () => {
  const check = process.argv.includes('--check');
  const { supergraphSdl, subgraphSdl } = await composeSupergraph();
  const files: Record<string, string> = { 'supergraph.graphql': `${supergraphSdl.trimEnd()}\n` };
  for (const [name, sdl] of Object.entries(subgraphSdl)) files[join('subgraphs', `${name}.graphql`)] = `${sdl.trimEnd()}\n`;
  const stale: string[] = [];
  for (const [relative, content] of Object.entries(files)) {
    const path = join(REPO_ROOT, 'schema', relative);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === content) continue;
    stale.push(`schema/${relative}`);
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
