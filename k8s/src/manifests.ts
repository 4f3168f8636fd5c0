// Loading the manifests: the YAML files as written, and the overlays as kustomize builds them.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** k8s/ (this file is k8s/dist/src/manifests.js once built). */
export const K8S_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO_ROOT = resolve(K8S_DIR, '..');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** "Deployment/router": how a failing check names an object. */
export function ref(object: K8sObject): string {
  return `${object.kind}/${object.metadata?.name ?? '<unnamed>'}`;
}

/** Files under k8s/ ending in one of `extensions`, without node_modules and dist. */
export function filesUnder(dir: string, extensions: string[]): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : filesUnder(path, extensions);
    return extensions.some((extension) => entry.name.endsWith(extension)) ? [path] : [];
  });
}

/** Every document of a YAML stream; a syntax error throws with the file and line. */
export function parseYaml(source: string, name: string): unknown[] {
  return parseAllDocuments(source).flatMap((document) => {
    const error = document.errors[0];
    if (error) throw new Error(`${name}: ${error.message}`);
    const value: unknown = document.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

export function readYamlFile(path: string): unknown[] {
  return parseYaml(readFileSync(path, 'utf8'), relative(REPO_ROOT, path));
}

export function isK8sObject(value: unknown): value is K8sObject {
  const object = value as Partial<K8sObject> | null;
  return typeof object?.apiVersion === 'string' && typeof object.kind === 'string' && typeof object.metadata?.name === 'string';
}

const warningsOf = new Map<string, string[]>();

/** What kubectl warned about when it built `dir` (deprecated fields, ...); [] before a build. */
export function kustomizeWarnings(dir: string): string[] {
  return warningsOf.get(dir) ?? [];
}

/** Kustomization fields kustomize v5 deprecates (each with its replacement). */
export const DEPRECATED_KUSTOMIZE_FIELDS: Record<string, string> = {
  bases: 'resources',
  patchesStrategicMerge: 'patches',
  patchesJson6902: 'patches',
  commonLabels: 'labels',
  vars: 'replacements',
  imageTags: 'images',
};

/**
 * `kubectl kustomize <dir>`, parsed. KUBECTL overrides the binary. A missing kubectl is an error, never a
 * skip: without it nothing here is checked.
 */
export function kustomize(dir: string): K8sObject[] {
  const kubectl = process.env.KUBECTL ?? 'kubectl';
  const result = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      `kubectl not found ("${kubectl}"): it builds the kustomize overlays these checks run on. ` +
        'Install it (Debian: apt-get install kubernetes-client) or point KUBECTL at it.',
    );
  }
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `kubectl kustomize ${relative(REPO_ROOT, dir)} failed (the kustomizations need kubectl >= 1.21, kustomize v4+; ` +
        `Debian bookworm's kubernetes-client 1.20 is too old):\n${result.stderr}`,
    );
  }
  warningsOf.set(
    dir,
    result.stderr.split('\n').filter((line) => /warning/i.test(line)),
  );
  return parseYaml(result.stdout, `kubectl kustomize ${relative(REPO_ROOT, dir)}`).map((value, index) => {
    if (!isK8sObject(value))
      throw new Error(`kubectl kustomize ${relative(REPO_ROOT, dir)}: document ${index + 1} has no apiVersion, kind or metadata.name`);
    return value;
  });
}
