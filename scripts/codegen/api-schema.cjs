// GraphQL Code Generator schema loader: the API schema the router serves, derived from the composed
// supergraph (schema/supergraph.graphql) the way the gateway derives it: federation's join__/link__
// machinery and the @inaccessible parts removed. Codegen cannot read a raw supergraph by itself.
// Security features (@authenticated, @requiresScopes, @policy) are linked `for: SECURITY`; the router
// enforces them, so they are accepted here (supportedFeatures: null) and do not appear in the API schema.
'use strict';
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const { Supergraph } = require('@apollo/federation-internals');

module.exports = function apiSchema(pointer) {
  const supergraph = Supergraph.build(readFileSync(resolve(pointer), 'utf8'), { supportedFeatures: null });
  return supergraph.apiSchema().toGraphQLJSSchema();
};
