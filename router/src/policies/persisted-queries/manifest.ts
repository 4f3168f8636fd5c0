import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  Kind,
  parse,
  print,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { ConfigError, type Logger } from '@commerce/kit';

/**
 * Persisted query manifests in Apollo's `apollo-persisted-query-manifest` format, version 1:
 * `{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id", "name", "type", "body" }] }`
 * (`clientName` on an operation is optional: such an id only resolves for that client, as in Apollo Router).
 * Our codegen writes them (scripts/codegen/persisted-query-manifest.cjs) with `id` = sha256 of `body`, so an
 * id is also a valid APQ hash.
 */
export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';

export interface ManifestOperation {
  id: string;
  body: string;
  name?: string;
  type?: string;
  clientName?: string;
}

/** Parses one manifest file; throws an Error with a one-line reason. */
export function parseManifest(json: string): ManifestOperation[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isRecord(value) || value.format !== MANIFEST_FORMAT) throw new Error(`"format" must be "${MANIFEST_FORMAT}"`);
  if (value.version !== 1) throw new Error(`"version" must be 1, got ${JSON.stringify(value.version)}`);
  if (!Array.isArray(value.operations)) throw new Error('"operations" must be an array');
  return value.operations.map((operation: unknown, index): ManifestOperation => {
    if (!isRecord(operation) || !nonEmptyString(operation.id) || !nonEmptyString(operation.body)) {
      throw new Error(`operations[${index}] needs a non-empty string "id" and "body"`);
    }
    if (operation.clientName !== undefined && !nonEmptyString(operation.clientName)) {
      throw new Error(`operations[${index}].clientName must be a non-empty string`);
    }
    return {
      id: operation.id,
      body: operation.body,
      ...(typeof operation.name === 'string' ? { name: operation.name } : {}),
      ...(typeof operation.type === 'string' ? { type: operation.type } : {}),
      ...(operation.clientName !== undefined ? { clientName: operation.clientName } : {}),
    };
  });
}

const NORMALIZED_CACHE_SIZE = 1000;

/** The union of the loaded manifests: ids -> bodies, and the safelist of normalized bodies. */
export class PersistedQueryList {
  readonly size: number;
  private readonly bodies = new Map<string, string>();
  private readonly safelist = new Set<string>();
  /** body -> allowed, for free-form bodies seen recently (bounded; the oldest entry goes first). */
  private readonly seen = new Map<string, boolean>();

  constructor(operations: readonly ManifestOperation[]) {
    for (const operation of operations) {
      const key = idKey(operation.id, operation.clientName);
      const existing = this.bodies.get(key);
      if (existing !== undefined && existing !== operation.body) {
        throw new Error(`id ${operation.id} has two different bodies`);
      }
      this.bodies.set(key, operation.body);
      this.safelist.add(normalizeBody(operation.body));
    }
    this.size = this.bodies.size;
  }

  /** The body persisted under `id`: one listed for this client first, then one listed for any client. */
  body(id: string, clientName: string | undefined): string | undefined {
    return (clientName === undefined ? undefined : this.bodies.get(idKey(id, clientName))) ?? this.bodies.get(idKey(id, undefined));
  }

  /**
   * Whether a free-form body is in the safelist, as Apollo Router decides it: both sides normalized (operations
   * then fragments, each sorted by name, printed without comments or extra whitespace). Field order matters.
   * A body that does not parse only matches byte for byte.
   */
  allows(body: string): boolean {
    const cached = this.seen.get(body);
    if (cached !== undefined) return cached;
    const allowed = this.safelist.has(normalizeBody(body));
    if (this.seen.size >= NORMALIZED_CACHE_SIZE) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(body, allowed);
    return allowed;
  }
}

function idKey(id: string, clientName: string | undefined): string {
  return clientName === undefined ? id : `${clientName}\u0000${id}`;
}

/** Apollo Router's safelist normalization (apollo-router persisted_queries/freeform_graphql_behavior.rs). */
export function normalizeBody(body: string): string {
  const document = tryParse(body);
  if (!document) return body;
  const byName = <T extends OperationDefinitionNode | FragmentDefinitionNode>(a: T, b: T) => {
    const [x, y] = [a.name?.value ?? '', b.name?.value ?? ''];
    return x < y ? -1 : x > y ? 1 : 0;
  };
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION).sort(byName);
  const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).sort(byName);
  return print({ kind: Kind.DOCUMENT, definitions: [...operations, ...fragments] });
}

/**
 * True when every operation of the document selects only introspection fields (`__schema`, `__type`,
 * `__typename`) at its root, fragments included. Apollo Router lets those past the safelist; the
 * introspection policy then decides who may introspect.
 */
export function isIntrospectionOnly(body: string): boolean {
  const document = tryParse(body);
  if (!document) return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const onlyIntrospection = (set: SelectionSetNode, visiting: Set<string>): boolean =>
    set.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value.startsWith('__');
      if (selection.kind === Kind.INLINE_FRAGMENT) return onlyIntrospection(selection.selectionSet, visiting);
      const fragment = fragments.get(selection.name.value);
      if (!fragment || visiting.has(fragment.name.value)) return false;
      return onlyIntrospection(fragment.selectionSet, new Set([...visiting, fragment.name.value]));
    });
  return operations.length > 0 && operations.every((operation) => onlyIntrospection(operation.selectionSet, new Set()));
}

/**
 * The body with every literal (strings, numbers) replaced, for logging an unknown operation without the
 * secrets a client may have inlined (a password in a `logIn` literal, say). Unparseable bodies are not logged.
 */
export function redactedBody(body: string, maxLength = 2000): string | undefined {
  const document = tryParse(body);
  if (!document) return undefined;
  const stripped = visit(document, {
    StringValue: (node) => ({ ...node, value: '', block: false }),
    IntValue: (node) => ({ ...node, value: '0' }),
    FloatValue: (node) => ({ ...node, value: '0' }),
  });
  const printed = print(stripped).replace(/\s+/g, ' ');
  return printed.length > maxLength ? `${printed.slice(0, maxLength)}…` : printed;
}

function tryParse(body: string): DocumentNode | undefined {
  try {
    return parse(body, { noLocation: true });
  } catch {
    return undefined;
  }
}

const DEBOUNCE_MS = 100;

/**
 * The manifest files, loaded at start (a missing or invalid file is a ConfigError) and reloaded on demand
 * or when their directories change. A reload that fails (unreadable file, bad JSON, wrong format, an id with
 * two bodies) is logged and the previous list keeps serving.
 */
export class ManifestFiles {
  private list: PersistedQueryList;
  private contents: string[];
  private reloading: Promise<void> = Promise.resolve();
  readonly paths: string[];

  constructor(
    paths: readonly string[],
    private readonly log: Logger,
  ) {
    this.paths = paths.map((path) => resolve(path));
    this.contents = this.paths.map((path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        throw new ConfigError(`persisted query manifest ${path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    try {
      this.list = build(this.paths, this.contents);
    } catch (error) {
      throw new ConfigError(error instanceof Error ? error.message : String(error));
    }
  }

  get current(): PersistedQueryList {
    return this.list;
  }

  /** Rereads every file; keeps the current list when one fails. Reloads never overlap. */
  reload(reason: string): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      let contents: string[];
      try {
        contents = await Promise.all(this.paths.map((path) => readFile(path, 'utf8')));
      } catch (error) {
        return this.log.error({ err: error, reason }, 'cannot read a persisted query manifest; keeping the current list');
      }
      if (contents.every((content, index) => content === this.contents[index])) return;
      try {
        this.list = build(this.paths, contents);
        this.contents = contents;
        this.log.info({ reason, operations: this.list.size, manifests: this.paths }, 'persisted query manifests reloaded');
      } catch (error) {
        this.log.error(
          { reason, detail: error instanceof Error ? error.message : String(error) },
          'persisted query manifest rejected; keeping the current list',
        );
      }
    });
    return this.reloading;
  }

  /**
   * Watches the manifests' directories (not the files: editors, codegen and Kubernetes ConfigMaps replace a
   * file by renaming, which would silently end a watch on the old inode) and reloads, debounced, after any
   * change. Returns the function that stops watching.
   */
  watch(): () => void {
    let timer: NodeJS.Timeout | undefined;
    const watchers: FSWatcher[] = [...new Set(this.paths.map((path) => dirname(path)))].map((directory) => {
      const watcher = watch(directory, () => {
        clearTimeout(timer);
        timer = setTimeout(() => void this.reload('file changed'), DEBOUNCE_MS);
      });
      watcher.on('error', (error) => this.log.error({ err: error, directory }, 'persisted query manifest watch failed'));
      return watcher;
    });
    this.log.info({ manifests: this.paths }, 'watching the persisted query manifests');
    return () => {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    };
  }
}

function build(paths: readonly string[], contents: readonly string[]): PersistedQueryList {
  const operations = contents.flatMap((content, index) => {
    try {
      return parseManifest(content);
    } catch (error) {
      throw new Error(`persisted query manifest ${paths[index]}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return new PersistedQueryList(operations);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
