// GraphQL Code Generator plugin: writes an Apollo persisted query manifest
// ({"format":"apollo-persisted-query-manifest","version":1,"operations":[{id,name,type,body}]}) for the
// documents of one client. The router safelists these operations and resolves their ids
// (router/src/policies/persisted-queries/).
//
// body = graphql-js print() of the operation followed by the fragments it uses (transitively), each once,
// in the order they are first spread, exactly as the client preset's typed document for that operation
// prints, so what a client sends (print(document)) is byte for byte the body. id = sha256(body) in hex, so
// an id is also the operation's APQ hash. Operations are sorted by name for stable diffs.
'use strict';
const { createHash } = require('node:crypto');
const { Kind, print, visit } = require('graphql');

function plugin(_schema, documents) {
  const fragments = new Map();
  const operations = [];
  for (const { document, location } of documents) {
    for (const definition of document?.definitions ?? []) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      if (definition.kind === Kind.OPERATION_DEFINITION) {
        if (!definition.name) throw new Error(`${location}: persisted operations need a name`);
        operations.push(definition);
      }
    }
  }
  const seen = new Set();
  const entries = operations.map((operation) => {
    const name = operation.name.value;
    if (seen.has(name)) throw new Error(`two operations are named ${name}`);
    seen.add(name);
    const body = print({ kind: Kind.DOCUMENT, definitions: [operation, ...usedFragments(operation, fragments)] });
    return { id: createHash('sha256').update(body).digest('hex'), name, type: operation.operation, body };
  });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return `${JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: entries }, null, 2)}\n`;
}

/** The fragments a definition spreads, directly or through other fragments, in order of first use. */
function usedFragments(definition, fragments) {
  const used = new Map();
  const walk = (node) => {
    visit(node, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        if (used.has(name)) return;
        const fragment = fragments.get(name);
        if (!fragment) throw new Error(`unknown fragment ${name}`);
        used.set(name, fragment);
        walk(fragment);
      },
    });
  };
  walk(definition);
  return [...used.values()];
}

function validate(_schema, _documents, _config, outputFile) {
  if (!outputFile.endsWith('.json')) throw new Error(`persisted-query-manifest writes JSON; ${outputFile} does not end in .json`);
}

module.exports = { plugin, validate };
