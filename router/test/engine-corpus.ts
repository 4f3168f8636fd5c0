/**
 * A generated corpus of valid operations over a supergraph's API schema (seeded, so the same every run): random
 * selections with aliases, inline fragments (on the type itself, on abstract types and their members), named
 * fragments, `__typename`, and @skip/@include with literals and variables. Arguments come from a table of values
 * that exist in the edge-case subgraphs' data.
 */
import {
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
  isUnionType,
  parse,
  validate,
} from 'graphql';

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CorpusOptions {
  count: number;
  seed: number;
  /** Literal values for arguments, by `Type.field.argument`: one is picked per use. */
  argumentValues: Record<string, string[]>;
  /** Fields never selected, as `Type.field`. */
  exclude?: ReadonlySet<string>;
  maxDepth?: number;
}

export interface CorpusOperation {
  query: string;
  variables: Record<string, unknown>;
}

export function generateCorpus(schema: GraphQLSchema, options: CorpusOptions): CorpusOperation[] {
  const next = random(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const chance = (p: number) => next() < p;
  const maxDepth = options.maxDepth ?? 4;
  const query = schema.getQueryType();
  if (!query) return [];
  const operations: CorpusOperation[] = [];
  let attempts = 0;
  while (operations.length < options.count && attempts < options.count * 20) {
    attempts++;
    let aliasCount = 0;
    const fragments: string[] = [];
    const usesVariable = { skip: false, include: false };

    const condition = (): string => {
      if (!chance(0.12)) return '';
      const which = pick(['skip-true', 'skip-false', 'include-true', 'include-false', 'skip-var', 'include-var']);
      if (which === 'skip-var') {
        usesVariable.skip = true;
        return ' @skip(if: $skipIt)';
      }
      if (which === 'include-var') {
        usesVariable.include = true;
        return ' @include(if: $includeIt)';
      }
      const [directive, value] = which.split('-');
      return ` @${directive}(if: ${value})`;
    };

    const argumentsOf = (type: GraphQLNamedType, field: GraphQLField<unknown, unknown>): string | undefined => {
      const parts: string[] = [];
      for (const argument of field.args) {
        const values = options.argumentValues[`${type.name}.${field.name}.${argument.name}`];
        if (values) {
          if (isNonNullType(argument.type) || chance(0.5)) parts.push(`${argument.name}: ${pick(values)}`);
        } else if (isNonNullType(argument.type) && argument.defaultValue === undefined) {
          return undefined;
        }
      }
      return parts.length > 0 ? `(${parts.join(', ')})` : '';
    };

    const selectionFor = (type: GraphQLNamedType, depth: number): string => {
      if (isObjectType(type) || isInterfaceType(type)) {
        const parts: string[] = [];
        const fields = Object.values(type.getFields()).filter((field) => !options.exclude?.has(`${type.name}.${field.name}`));
        const leaves = fields.filter((field) => isLeafType(getNamedType(field.type)));
        const composites = fields.filter((field) => !isLeafType(getNamedType(field.type)));
        if (leaves.length > 0) parts.push(fieldSelection(type, pick(leaves), depth));
        for (const field of leaves) if (chance(0.35)) parts.push(fieldSelection(type, field, depth));
        if (depth < maxDepth)
          for (const field of composites) if (chance(depth === 0 ? 0.5 : 0.3)) parts.push(fieldSelection(type, field, depth));
        if (chance(0.3)) parts.push(`${chance(0.3) ? 't: ' : ''}__typename`);
        if (isInterfaceType(type) || isUnionType(type)) parts.push(...memberFragments(type, depth));
        else if (chance(0.1)) parts.push(`... on ${type.name}${condition()} { ${selectionFor(type, depth)} }`);
        if (chance(0.08)) {
          const name = `F${fragments.length}`;
          fragments.push(`fragment ${name} on ${type.name} { ${selectionFor(type, depth)} }`);
          parts.push(`...${name}${condition()}`);
        }
        return parts.join(' ');
      }
      if (isUnionType(type)) return ['__typename', ...memberFragments(type, depth)].join(' ');
      return '';
    };

    const memberFragments = (type: GraphQLNamedType, depth: number): string[] => {
      if (!isAbstractType(type)) return [];
      return schema
        .getPossibleTypes(type)
        .filter(() => chance(0.7))
        .map((member: GraphQLObjectType) => `... on ${member.name} { ${selectionFor(member, depth)} }`);
    };

    const fieldSelection = (type: GraphQLNamedType, field: GraphQLField<unknown, unknown>, depth: number): string => {
      const args = argumentsOf(type, field);
      if (args === undefined) return '__typename';
      const alias = chance(0.15) ? `a${aliasCount++}: ` : '';
      const named = getNamedType(field.type);
      const sub = isLeafType(named) ? '' : ` { ${selectionFor(named, depth + 1) || '__typename'} }`;
      return `${alias}${field.name}${args}${condition()}${sub}`;
    };

    const body = selectionFor(query, 0);
    const definitions: string[] = [];
    if (usesVariable.skip) definitions.push('$skipIt: Boolean!');
    if (usesVariable.include) definitions.push('$includeIt: Boolean = true');
    const text = `query Q${operations.length}${definitions.length ? `(${definitions.join(', ')})` : ''} { ${body} }\n${fragments.join('\n')}`;
    let document: ReturnType<typeof parse>;
    try {
      document = parse(text);
    } catch {
      continue;
    }
    if (validate(schema, document).length > 0) continue;
    const variables: Record<string, unknown> = {};
    if (usesVariable.skip) variables.skipIt = chance(0.5);
    if (usesVariable.include && chance(0.5)) variables.includeIt = chance(0.5);
    operations.push({ query: text, variables });
  }
  return operations;
}
