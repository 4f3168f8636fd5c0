import {
  Kind,
  parse,
  print,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
} from 'graphql';

/**
 * The authorization directives of a composed supergraph (`@authenticated`, `@requiresScopes`, `@policy`,
 * linked `for: SECURITY`). @apollo/gateway refuses a supergraph that links them, so the router takes them
 * out before the gateway sees the SDL and keeps them as rules that it enforces itself.
 */
export interface Requirement {
  authenticated: boolean;
  /** Each entry is one directive's DNF: `[["a", "b"], ["c"]]` means (a AND b) OR c. Every entry must hold. */
  scopes: string[][][];
  policies: string[][][];
}

export interface AuthorizationRules {
  /** By type name: a field returning this type (or a list of it) carries the requirement. */
  types: Map<string, Requirement>;
  /** By `Type.field`. */
  fields: Map<string, Requirement>;
  /** Every policy name the supergraph uses. */
  policyNames: Set<string>;
}

export interface PreparedSupergraph {
  /** The supergraph without the authorization directives, for the gateway. */
  gatewaySdl: string;
  rules: AuthorizationRules;
}

const DIRECTIVES = new Set(['authenticated', 'requiresScopes', 'policy']);
const SPEC_URL = /^https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes|policy)\/v\d+\.\d+$/;
const SPEC_SCALARS = new Set(['requiresScopes__Scope', 'policy__Policy']);

export function emptyRules(): AuthorizationRules {
  return { types: new Map(), fields: new Map(), policyNames: new Set() };
}

export function hasRules(rules: AuthorizationRules): boolean {
  return rules.types.size > 0 || rules.fields.size > 0;
}

export function prepareSupergraph(supergraphSdl: string): PreparedSupergraph {
  const document = parse(supergraphSdl);
  if (!document.definitions.some(linksSecuritySpec)) return { gatewaySdl: supergraphSdl, rules: emptyRules() };
  const rules = emptyRules();
  const definitions = document.definitions.flatMap((definition): DefinitionNode[] => {
    switch (definition.kind) {
      case Kind.SCHEMA_DEFINITION:
      case Kind.SCHEMA_EXTENSION:
        return [{ ...definition, directives: definition.directives?.filter((directive) => !isSecurityLink(directive)) }];
      case Kind.DIRECTIVE_DEFINITION:
        return DIRECTIVES.has(definition.name.value) ? [] : [definition];
      case Kind.SCALAR_TYPE_DEFINITION:
        if (SPEC_SCALARS.has(definition.name.value)) return [];
        record(rules, rules.types, definition.name.value, definition.directives);
        return [{ ...definition, directives: withoutAuthorization(definition.directives) }];
      case Kind.ENUM_TYPE_DEFINITION:
        record(rules, rules.types, definition.name.value, definition.directives);
        return [{ ...definition, directives: withoutAuthorization(definition.directives) }];
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_DEFINITION: {
        const typeName = definition.name.value;
        record(rules, rules.types, typeName, definition.directives);
        const fields = definition.fields?.map((field): FieldDefinitionNode => {
          record(rules, rules.fields, `${typeName}.${field.name.value}`, field.directives);
          return { ...field, directives: withoutAuthorization(field.directives) };
        });
        return [{ ...definition, directives: withoutAuthorization(definition.directives), fields }];
      }
      default:
        return [definition];
    }
  });
  const stripped: DocumentNode = { ...document, definitions };
  return { gatewaySdl: print(stripped), rules };
}

function linksSecuritySpec(definition: DefinitionNode): boolean {
  return (
    (definition.kind === Kind.SCHEMA_DEFINITION || definition.kind === Kind.SCHEMA_EXTENSION) &&
    (definition.directives ?? []).some(isSecurityLink)
  );
}

function isSecurityLink(directive: ConstDirectiveNode): boolean {
  if (directive.name.value !== 'link') return false;
  const url = directive.arguments?.find((argument) => argument.name.value === 'url')?.value;
  return url?.kind === Kind.STRING && SPEC_URL.test(url.value);
}

function withoutAuthorization(directives: readonly ConstDirectiveNode[] | undefined): ConstDirectiveNode[] | undefined {
  return directives?.filter((directive) => !DIRECTIVES.has(directive.name.value));
}

function record(
  rules: AuthorizationRules,
  target: Map<string, Requirement>,
  key: string,
  directives: readonly ConstDirectiveNode[] | undefined,
): void {
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (!DIRECTIVES.has(name)) continue;
    const requirement = target.get(key) ?? { authenticated: false, scopes: [], policies: [] };
    target.set(key, requirement);
    if (name === 'authenticated') requirement.authenticated = true;
    else if (name === 'requiresScopes') requirement.scopes.push(nestedStrings(directive, 'scopes'));
    else {
      const policies = nestedStrings(directive, 'policies');
      for (const policy of policies.flat()) rules.policyNames.add(policy);
      requirement.policies.push(policies);
    }
  }
}

function nestedStrings(directive: ConstDirectiveNode, argumentName: string): string[][] {
  const value = directive.arguments?.find((argument) => argument.name.value === argumentName)?.value;
  const list = (node: ConstValueNode | undefined): ConstValueNode[] => (node?.kind === Kind.LIST ? [...node.values] : node ? [node] : []);
  return list(value).map((group) => list(group).flatMap((item) => (item.kind === Kind.STRING ? [item.value] : [])));
}
