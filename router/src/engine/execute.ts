import type { FetchDataRewrite, FetchNode, PlanNode, QueryPlanSelectionNode, ResponsePath, SubscriptionNode } from '@apollo/query-planner';
import type { SubgraphFetcher, SubgraphResponse, WireError } from './fetcher.js';

/** A JSON object of the merged result (subgraph answers merged in place). */
export type JsonObject = { [key: string]: unknown };

/** An error of the client's response, already in its final (formatted) form. */
export interface EngineError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** Whether an object of the result (by its `__typename`) is of a type condition: answered from the supergraph. */
export interface TypeRelations {
  isObjectOfType(typename: string, typeCondition: string): boolean;
  /** Whether a type name is an interface or a union of the supergraph. */
  isAbstract(typename: string): boolean;
}

/** One execution of a plan: the merged data, the errors so far and what the fetches need. */
export interface RunState {
  readonly fetcher: SubgraphFetcher;
  /** The client's variables, coerced (defaults applied): conditions read them, fetches send those they use. */
  readonly variables: Readonly<Record<string, unknown>>;
  readonly types: TypeRelations;
  /** The merged data, keyed by the response names of the subgraph operations. */
  readonly data: JsonObject;
  readonly errors: EngineError[];
}

/** Where a node runs: the objects it reads and writes, and the plan path (with `@` for lists) that leads there. */
interface Cursor {
  path: ResponsePath;
  objects: JsonObject[];
}

export async function runPlanNode(node: PlanNode, state: RunState): Promise<void> {
  await run(node, state, { path: [], objects: [state.data] });
}

/** Runs the entity fetches of a subscription event: `rest` over the data the primary fetch's event carried. */
export async function runSubscriptionEvent(node: SubscriptionNode, state: RunState): Promise<void> {
  if (node.rest) await runPlanNode(node.rest, state);
}

async function run(node: PlanNode, state: RunState, cursor: Cursor): Promise<void> {
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await run(child, state, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => run(child, state, cursor)));
      return;
    case 'Flatten': {
      const objects: JsonObject[] = [];
      for (const object of cursor.objects) collect(object, node.path, 0, objects, undefined, undefined);
      if (objects.length === 0) return;
      await run(node.node, state, { path: cursor.path.concat(node.path), objects });
      return;
    }
    case 'Fetch':
      try {
        await runFetch(node, state, cursor);
      } catch (error) {
        state.errors.push(fetchFailure(node.serviceName, error));
      }
      return;
    case 'Condition': {
      const branch = state.variables[node.condition] === true ? node.ifClause : node.elseClause;
      if (branch) await run(branch, state, cursor);
      return;
    }
    case 'Defer':
      // Plans are built without incremental delivery, so the planner inlines @defer; a DeferNode from a planner
      // configured otherwise is answered in one response: the primary part first, then every deferred part.
      if (node.primary.node) await run(node.primary.node, state, cursor);
      for (const deferred of node.deferred) if (deferred.node) await run(deferred.node, state, cursor);
      return;
  }
}

/**
 * Walks `path` from `value` and collects the objects at its end, depth first, skipping nulls. With `paths`, also
 * collects each object's concrete response path (list indexes instead of `@`): used only to re-path errors, by
 * walking again in the same order.
 */
function collect(
  value: unknown,
  path: ResponsePath,
  at: number,
  out: JsonObject[],
  paths: (string | number)[][] | undefined,
  current: (string | number)[] | undefined,
): void {
  if (value === null || value === undefined || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    // A list is entered by `@`, or implicitly when the path names a field of its elements.
    const next = path[at] === '@' ? at + 1 : at;
    for (let index = 0; index < value.length; index++) {
      current?.push(index);
      collect(value[index], path, next, out, paths, current);
      current?.pop();
    }
    return;
  }
  const object = value as JsonObject;
  if (at === path.length) {
    out.push(object);
    if (paths && current) paths.push(current.slice());
    return;
  }
  const key = path[at];
  if (key === '@' || typeof key !== 'string') return;
  if (!Object.hasOwn(object, key)) return;
  current?.push(key);
  collect(object[key], path, at + 1, out, paths, current);
  current?.pop();
}

function variablesFor(fetch: FetchNode, state: RunState): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  if (fetch.variableUsages) {
    for (const name of fetch.variableUsages) {
      const value = state.variables[name];
      if (value !== undefined) variables[name] = value;
    }
  }
  return variables;
}

async function runFetch(fetch: FetchNode, state: RunState, cursor: Cursor): Promise<void> {
  const variables = variablesFor(fetch, state);
  if (!fetch.requires) {
    const response = await send(fetch, state, variables);
    if (response.errors?.length) {
      const base = cursor.path.length === 0 ? [] : (concretePaths(state, cursor.path)[0] ?? []);
      for (const error of response.errors) {
        state.errors.push(subgraphError(error, fetch.serviceName, error.path ? base.concat(error.path) : undefined));
      }
    }
    const data = response.data;
    if (data === null || data === undefined || typeof data !== 'object') return;
    applyRewrites(state.types, fetch.outputRewrites, data);
    for (const object of cursor.objects) mergeInto(object, data);
    return;
  }

  if (!fetch.contextRewrites?.length) {
    await fetchEntities(fetch, state, cursor, undefined, variables);
    return;
  }
  // @fromContext: each entity's contextual arguments come from its ancestors; entities with different values
  // are fetched separately (one fetch per distinct set of values, in parallel).
  const chains = ancestorChains(state, cursor.path);
  const groups = new Map<string, { indexes: number[]; values: Record<string, unknown> }>();
  cursor.objects.forEach((entity, index) => {
    const values: Record<string, unknown> = {};
    for (const rewrite of fetch.contextRewrites ?? []) {
      if (values[rewrite.renameKeyTo] !== undefined) continue;
      const value = contextValue(state.types, chains[index] ?? [], entity, rewrite.path);
      if (value !== undefined) values[rewrite.renameKeyTo] = value;
    }
    const key = JSON.stringify(values);
    const group = groups.get(key);
    if (group) group.indexes.push(index);
    else groups.set(key, { indexes: [index], values });
  });
  await Promise.all(
    [...groups.values()].map((group) => fetchEntities(fetch, state, cursor, group.indexes, { ...variables, ...group.values })),
  );
}

/** One `_entities` fetch for the cursor's entities (or those at `only`): identical representations sent once. */
async function fetchEntities(
  fetch: FetchNode,
  state: RunState,
  cursor: Cursor,
  only: number[] | undefined,
  variables: Record<string, unknown>,
): Promise<void> {
  const representations: JsonObject[] = [];
  const targets: JsonObject[][] = [];
  // The indexes (in cursor.objects) of each representation's entities: its errors are re-pathed to each of them.
  const indexes: number[][] = [];
  const byKey = new Map<string, number>();
  const objects = cursor.objects;
  const count = only ? only.length : objects.length;
  for (let at = 0; at < count; at++) {
    const index = only ? (only[at] as number) : at;
    const entity = objects[index] as JsonObject;
    const representation = select(state.types, entity, fetch.requires ?? []);
    if (representation === null || typeof representation.__typename !== 'string') continue;
    applyRewrites(state.types, fetch.inputRewrites, representation);
    const key = JSON.stringify(representation);
    const known = byKey.get(key);
    if (known !== undefined) {
      targets[known]?.push(entity);
      indexes[known]?.push(index);
      continue;
    }
    byKey.set(key, representations.length);
    representations.push(representation);
    targets.push([entity]);
    indexes.push([index]);
  }
  if (representations.length === 0) return;
  if (Object.hasOwn(variables, 'representations')) throw new Error('Variables cannot contain key "representations"');
  const response = await send(fetch, state, { ...variables, representations });
  if (response.errors?.length) {
    let paths: (string | number)[][] | undefined;
    for (const error of response.errors) {
      const errorPath = error.path;
      const owners = errorPath && errorPath[0] === '_entities' && typeof errorPath[1] === 'number' ? indexes[errorPath[1]] : undefined;
      if (errorPath && owners) {
        // One error per entity the representation stood for (identical entities at several places).
        paths ??= concretePaths(state, cursor.path);
        for (const owner of owners) {
          const base = paths[owner] ?? cursor.path.filter((key) => key !== '@');
          state.errors.push(subgraphError(error, fetch.serviceName, base.concat(errorPath.slice(2))));
        }
      } else {
        const path = errorPath ? cursor.path.filter((key) => key !== '@').concat(errorPath) : undefined;
        state.errors.push(subgraphError(error, fetch.serviceName, path));
      }
    }
  }
  const data = response.data;
  if (data === null || data === undefined) return;
  const entities = data._entities;
  if (!Array.isArray(entities)) throw new Error('Expected "data._entities" in response to be an array');
  if (entities.length !== representations.length) {
    throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
  }
  for (let index = 0; index < entities.length; index++) {
    const received: unknown = entities[index];
    if (received === null || typeof received !== 'object') continue;
    const entity = received as JsonObject;
    const owners = targets[index] ?? [];
    if (entity.__typename === undefined) entity.__typename = owners[0]?.__typename;
    applyRewrites(state.types, fetch.outputRewrites, entity);
    // A subgraph with an @interfaceObject answers the interface's name: it must not replace the concrete type
    // another subgraph already gave (fragments on that type would no longer apply).
    const answeredType = entity.__typename;
    const keepTypename = typeof answeredType === 'string' && state.types.isAbstract(answeredType);
    for (const owner of owners) {
      const before = owner.__typename;
      mergeInto(owner, entity);
      if (keepTypename && typeof before === 'string' && !state.types.isAbstract(before)) owner.__typename = before;
    }
  }
}

/** For every object at `path` (in collect's order), its ancestor objects from the root down (lists skipped). */
function ancestorChains(state: RunState, path: ResponsePath): JsonObject[][] {
  const chains: JsonObject[][] = [];
  const walk = (value: unknown, at: number, chain: JsonObject[]): void => {
    if (value === null || value === undefined || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      const next = path[at] === '@' ? at + 1 : at;
      for (const element of value) walk(element, next, chain);
      return;
    }
    const object = value as JsonObject;
    if (at === path.length) {
      chains.push(chain.slice());
      return;
    }
    const key = path[at];
    if (typeof key !== 'string' || key === '@' || !Object.hasOwn(object, key)) return;
    chain.push(object);
    walk(object[key], at + 1, chain);
    chain.pop();
  };
  walk(state.data, 0, []);
  return chains;
}

/** A contextual argument's value: `..` climbs to the parent object, `... on T` checks its type, names descend. */
function contextValue(types: TypeRelations, chain: JsonObject[], entity: JsonObject, path: readonly string[]): unknown {
  let level = chain.length;
  let current: unknown = entity;
  for (const element of path) {
    if (element === '..') {
      level--;
      current = chain[level];
    } else if (element.startsWith(FRAGMENT_PREFIX)) {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
      if (!isOfType(types, current as JsonObject, element.slice(FRAGMENT_PREFIX.length))) return undefined;
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
      current = (current as JsonObject)[element];
    }
    if (current === undefined) return undefined;
  }
  return current;
}

/** The concrete response path of every object the cursor holds, in the cursor's order (walked from the root). */
function concretePaths(state: RunState, path: ResponsePath): (string | number)[][] {
  const paths: (string | number)[][] = [];
  collect(state.data, path, 0, [], paths, []);
  return paths;
}

async function send(fetch: FetchNode, state: RunState, variables: Record<string, unknown>): Promise<SubgraphResponse> {
  const request =
    fetch.operationName === undefined
      ? { query: fetch.operation, variables }
      : { query: fetch.operation, variables, operationName: fetch.operationName };
  return state.fetcher.fetch(fetch.serviceName, request);
}

/** A subgraph's error as the client sees it: its message and code, on the client's path, with the subgraph named. */
function subgraphError(error: WireError, serviceName: string, path: (string | number)[] | undefined): EngineError {
  const message = error.message || `Error while fetching subquery from service "${serviceName}"`;
  const extensions: Record<string, unknown> = { ...error.extensions, serviceName };
  if (typeof extensions.code !== 'string') extensions.code = 'DOWNSTREAM_SERVICE_ERROR';
  return path === undefined ? { message, extensions } : { message, path, extensions };
}

/** A fetch that failed as a whole (transport, malformed answer): one error, with the code the fetcher gave. */
function fetchFailure(serviceName: string, error: unknown): EngineError {
  const message = error instanceof Error ? error.message : String(error);
  const given =
    error !== null && typeof error === 'object' && 'extensions' in error && typeof error.extensions === 'object'
      ? { ...error.extensions }
      : {};
  const extensions: Record<string, unknown> = { ...given, serviceName };
  if (typeof extensions.code !== 'string') extensions.code = 'DOWNSTREAM_SERVICE_ERROR';
  return { message, extensions };
}

/**
 * Merges a subgraph's answer into the result: objects field by field, lists of the same length element by
 * element; anything else replaces what was there.
 */
export function mergeInto(target: JsonObject, source: JsonObject): void {
  for (const key in source) {
    const value = source[key];
    if (value === undefined) continue;
    const existing = target[key];
    if (existing !== null && typeof existing === 'object' && value !== null && typeof value === 'object') {
      if (Array.isArray(existing)) {
        if (Array.isArray(value) && value.length === existing.length) {
          for (let index = 0; index < value.length; index++) {
            const a: unknown = existing[index];
            const b: unknown = value[index];
            if (a !== null && typeof a === 'object' && !Array.isArray(a) && b !== null && typeof b === 'object' && !Array.isArray(b)) {
              mergeInto(a as JsonObject, b as JsonObject);
            } else {
              existing[index] = b;
            }
          }
          continue;
        }
      } else if (!Array.isArray(value)) {
        mergeInto(existing as JsonObject, value as JsonObject);
        continue;
      }
    }
    target[key] = value;
  }
}

/** Builds a representation from an entity with a fetch's `requires` selection; null when a field is missing. */
function select(types: TypeRelations, source: JsonObject, selections: readonly QueryPlanSelectionNode[]): JsonObject | null {
  const result: JsonObject = {};
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      const value = source[name];
      if (value === undefined || !Object.hasOwn(source, name)) return null;
      const sub = selection.selections;
      if (Array.isArray(value)) {
        result[name] = value.map((element: unknown) => (sub ? selectValue(types, element, sub) : element));
      } else {
        result[name] = sub ? selectValue(types, value, sub) : value;
      }
    } else {
      if (!selection.typeCondition) continue;
      if (isOfType(types, source, selection.typeCondition)) {
        const sub = select(types, source, selection.selections);
        if (sub) mergeInto(result, sub);
      }
    }
  }
  return result;
}

function selectValue(types: TypeRelations, value: unknown, selections: readonly QueryPlanSelectionNode[]): unknown {
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) return value.map((element: unknown) => selectValue(types, element, selections));
  return select(types, value as JsonObject, selections);
}

function isOfType(types: TypeRelations, object: JsonObject, typeCondition: string, whenUnknown = false): boolean {
  const typename = object.__typename;
  if (typeof typename !== 'string' || typename === '') return whenUnknown;
  return typename === typeCondition || types.isObjectOfType(typename, typeCondition);
}

const FRAGMENT_PREFIX = '... on ';

/** Applies a fetch's input or output rewrites (value setters and key renamers) in place. */
function applyRewrites(types: TypeRelations, rewrites: readonly FetchDataRewrite[] | undefined, value: JsonObject): void {
  if (!rewrites) return;
  for (const rewrite of rewrites) {
    const last = rewrite.path[rewrite.path.length - 1];
    if (last === undefined || last.startsWith(FRAGMENT_PREFIX)) continue;
    applyAt(types, rewrite.path, 0, value, (object) => {
      if (rewrite.kind === 'ValueSetter') {
        object[last] = rewrite.setValueTo;
      } else {
        const found = object[last];
        if (found !== undefined && found !== null && found !== false && found !== 0 && found !== '') {
          object[rewrite.renameKeyTo] = found;
          object[last] = undefined;
        }
      }
    });
  }
}

function applyAt(types: TypeRelations, path: readonly string[], at: number, value: unknown, apply: (object: JsonObject) => void): void {
  if (Array.isArray(value)) {
    for (const element of value) applyAt(types, path, at, element, apply);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const object = value as JsonObject;
  if (at === path.length - 1) {
    apply(object);
    return;
  }
  const element = path[at] as string;
  if (element.startsWith(FRAGMENT_PREFIX)) {
    if (isOfType(types, object, element.slice(FRAGMENT_PREFIX.length), true)) applyAt(types, path, at + 1, object, apply);
  } else if (Object.hasOwn(object, element)) {
    applyAt(types, path, at + 1, object[element], apply);
  }
}
