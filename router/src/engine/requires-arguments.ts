import {
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  isAbstractType,
  isObjectType,
  Kind,
  parse,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';

/**
 * A work-around for Apollo's query planner (2.14.4): when a `@requires` selects a field with arguments
 * (`@requires(fields: "weight(unit: POUND)")`) and the client selects the same field under the same response name
 * with other arguments (`weight`), the planner merges the two and the requiring subgraph receives the client's
 * value. @apollo/gateway answers that wrong value. The engine plans a rewritten operation instead, in which the
 * client's selections of such fields carry an alias of their own (`__engine_weight: weight`), so the planner
 * fetches both; the response shaping and error paths use the client's names again.
 */
export const ENGINE_ALIAS_PREFIX = '__engine_';

/** Fields (by type name) that some `@requires` of the supergraph selects with arguments. */
export function fieldsRequiredWithArguments(supergraphSdl: string): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const document = parse(supergraphSdl);
  for (const definition of document.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    ) {
      continue;
    }
    for (const field of definition.fields ?? []) {
      for (const directive of field.directives ?? []) {
        if (directive.name.value !== 'join__field') continue;
        const requires = directive.arguments?.find((argument) => argument.name.value === 'requires');
        if (requires?.value.kind !== Kind.STRING) continue;
        const selection = parse(`{ ${requires.value.value} }`).definitions[0];
        if (selection?.kind !== Kind.OPERATION_DEFINITION) continue;
        for (const required of selection.selectionSet.selections) {
          if (required.kind !== Kind.FIELD || !required.arguments?.length) continue;
          let names = found.get(definition.name.value);
          if (!names) {
            names = new Set();
            found.set(definition.name.value, names);
          }
          names.add(required.name.value);
        }
      }
    }
  }
  return found;
}

/**
 * The document to plan: the client's, with its selections of fields required with arguments aliased (see above);
 * the same document when there is none.
 */
export function aliasFieldsRequiredWithArguments(
  schema: GraphQLSchema,
  document: DocumentNode,
  fields: Map<string, Set<string>>,
): DocumentNode {
  if (fields.size === 0) return document;
  const typeInfo = new TypeInfo(schema);
  let changed = false;
  const rewritten = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node: FieldNode): FieldNode | undefined {
        const parent = typeInfo.getParentType();
        if (!parent || !requiredWithArguments(schema, parent.name, node.name.value, fields)) return undefined;
        const responseName = node.alias?.value ?? node.name.value;
        changed = true;
        return { ...node, alias: { kind: Kind.NAME, value: `${ENGINE_ALIAS_PREFIX}${responseName}` } };
      },
    }),
  );
  return changed ? rewritten : document;
}

function requiredWithArguments(schema: GraphQLSchema, typeName: string, fieldName: string, fields: Map<string, Set<string>>): boolean {
  if (fields.get(typeName)?.has(fieldName)) return true;
  const type = schema.getType(typeName);
  if (!type || !isAbstractType(type)) return false;
  return schema.getPossibleTypes(type).some((possible) => isObjectType(possible) && fields.get(possible.name)?.has(fieldName));
}

/** The client's response name for a name of the rewritten operation. */
export function clientName(name: string): string {
  return name.startsWith(ENGINE_ALIAS_PREFIX) ? name.slice(ENGINE_ALIAS_PREFIX.length) : name;
}
