// npm run check: fails when the committed codegen outputs (typed documents under clients/<name>/src/generated/
// and the persisted query manifests under schema/persisted-queries/) differ from a fresh `npm run codegen`,
// or when a typed document does not print to its manifest body (the body a client sends must be the body
// the router has, byte for byte, and its sha256 the id). Generates in memory; never writes, never asks git.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';
import { print } from 'graphql';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.chdir(root);

const { config } = await loadCodegenConfig({ configFilePath: join(root, 'codegen.yml') });
const outputs = await generate({ ...config, cwd: root, silent: true, verbose: false }, false);
const stale = [];
for (const { filename, content } of outputs) {
  const path = join(root, relative(root, filename));
  if (!existsSync(path) || readFileSync(path, 'utf8') !== content) stale.push(relative(root, path));
}
if (stale.length) {
  process.stderr.write(`codegen drift: ${stale.join(', ')} differ from a fresh codegen; run npm run codegen and commit the result\n`);
  process.exit(1);
}

// Each client's typed documents against its manifest.
const problems = [];
for (const manifestPath of outputs
  .map((output) => relative(root, output.filename))
  .filter((path) => path.startsWith('schema/persisted-queries/'))) {
  const client = manifestPath.replace(/^schema\/persisted-queries\/|\.json$/g, '');
  const generated = join(root, 'clients', client, 'src', 'generated', 'graphql.ts');
  if (!existsSync(generated)) {
    problems.push(`${manifestPath}: no typed documents at ${relative(root, generated)}`);
    continue;
  }
  const documents = new Map();
  for (const match of readFileSync(generated, 'utf8').matchAll(/^export const (\w+)Document = (\{.*\}) as unknown as DocumentNode/gm)) {
    documents.set(match[1], JSON.parse(match[2]));
  }
  for (const operation of JSON.parse(readFileSync(join(root, manifestPath), 'utf8')).operations) {
    const document = documents.get(operation.name);
    if (!document) problems.push(`${manifestPath}: ${operation.name} has no typed document`);
    else if (print(document) !== operation.body)
      problems.push(`${manifestPath}: ${operation.name}'s typed document does not print to its body`);
    else if (createHash('sha256').update(operation.body).digest('hex') !== operation.id)
      problems.push(`${manifestPath}: ${operation.name}'s id is not the sha256 of its body`);
  }
}
if (problems.length) {
  process.stderr.write(`persisted query manifests:\n${problems.map((problem) => `- ${problem}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`codegen outputs are up to date (${outputs.length} outputs)\n`);
