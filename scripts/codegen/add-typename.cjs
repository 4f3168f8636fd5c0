// Document transform for codegen.yml: the client preset's __typename transform (every selection set gets
// `__typename` first, as Apollo Client's cache needs), so the typed documents and the manifest bodies are
// what the client sends.
'use strict';
const { addTypenameSelectionDocumentTransform } = require('@graphql-codegen/client-preset');

module.exports = { transform: addTypenameSelectionDocumentTransform.transform };
