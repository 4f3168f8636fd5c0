// Policy checks on built manifests. Each returns a list of problems naming the object and what is wrong.
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { ref, type K8sObject } from './manifests.js';

// biome-ignore lint/suspicious/noExplicitAny: objects come from YAML: their specs are read loosely, after the schema check
type Spec = Record<string, any>;

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'];
const LONG_RUNNING = ['Deployment', 'StatefulSet', 'DaemonSet'];

export function spec(object: K8sObject): Spec {
  return (object.spec ?? {}) as Spec;
}

export function podSpec(object: K8sObject): IPodSpec | undefined {
  const s = spec(object);
  if (object.kind === 'Pod') return s as IPodSpec;
  if (object.kind === 'CronJob') return s.jobTemplate?.spec?.template?.spec;
  return WORKLOAD_KINDS.includes(object.kind) ? s.template?.spec : undefined;
}

export function podLabels(object: K8sObject): Record<string, string> {
  return object.kind === 'Pod' ? (object.metadata.labels ?? {}) : (spec(object).template?.metadata?.labels ?? {});
}

function containersOf(pod: IPodSpec): { container: IContainer; init: boolean }[] {
  return [
    ...(pod.initContainers ?? []).map((container) => ({ container, init: true })),
    ...pod.containers.map((container) => ({ container, init: false })),
  ];
}

/** A tag that is not "latest", or a digest. */
export function imagePinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = /:([\w][\w.-]{0,127})$/.exec(image.slice(image.lastIndexOf('/') + 1))?.[1];
  return tag !== undefined && tag !== 'latest';
}

/** Resources, pinned images, a locked-down security context, and probes on what keeps running. */
export function containerProblems(object: K8sObject): string[] {
  const pod = podSpec(object);
  if (!pod) return [];
  const problems: string[] = [];
  const podSecurity = pod.securityContext ?? {};
  const tmpVolumes = new Set((pod.volumes ?? []).filter((volume) => volume.emptyDir).map((volume) => volume.name));
  for (const { container, init } of containersOf(pod)) {
    const where = `${ref(object)} ${init ? 'initContainer' : 'container'} ${container.name}`;
    const { requests = {}, limits = {} } = container.resources ?? {};
    for (const [kind, values] of [
      ['requests', requests],
      ['limits', limits],
    ] as const) {
      for (const resource of ['cpu', 'memory']) {
        if (values[resource] === undefined) problems.push(`${where}: no resources.${kind}.${resource}`);
      }
    }
    if (!container.image || !imagePinned(container.image))
      problems.push(`${where}: image "${container.image}" is not pinned to a tag (other than latest) or digest`);
    const security = container.securityContext ?? {};
    if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot is not true`);
    if ((security.runAsUser ?? podSecurity.runAsUser) === 0) problems.push(`${where}: runs as user 0`);
    if (security.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
    if (security.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
    if (!security.capabilities?.drop?.includes('ALL')) problems.push(`${where}: capabilities do not drop ALL`);
    const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
    if (isService(object) && !(tmp && tmpVolumes.has(tmp.name))) problems.push(`${where}: no emptyDir mounted at /tmp`);
    if (!init && LONG_RUNNING.includes(object.kind)) {
      if (!container.readinessProbe) problems.push(`${where}: no readinessProbe`);
      if (!container.livenessProbe) problems.push(`${where}: no livenessProbe`);
    }
  }
  if (pod.securityContext?.seccompProfile?.type === undefined) problems.push(`${ref(object)}: no pod seccompProfile`);
  return problems;
}

/** The router and the subgraphs (our own images), as opposed to PostgreSQL, Redis and the like. */
export function isService(object: K8sObject): boolean {
  return ['router', 'subgraph'].includes(podLabels(object)['app.kubernetes.io/component'] ?? '');
}

/** "500m" -> 0.5, "1Gi" -> 1073741824: enough of Kubernetes' quantities to compare limits. */
export function quantity(value: string | number | undefined): number {
  if (value === undefined) return Number.NaN;
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(value));
  if (!match) return Number.NaN;
  const units: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  const unit = units[match[2] ?? ''];
  return unit === undefined ? Number.NaN : Number(match[1]) * unit;
}

/** Replicas a Deployment runs at least: its HPA's minReplicas if one scales it, else spec.replicas (default 1). */
export function minimumReplicas(deployment: K8sObject, objects: K8sObject[]): number {
  const hpa = objects.find(
    (object) =>
      object.kind === 'HorizontalPodAutoscaler' &&
      spec(object).scaleTargetRef?.kind === 'Deployment' &&
      spec(object).scaleTargetRef?.name === deployment.metadata.name,
  );
  return hpa ? (spec(hpa).minReplicas ?? 1) : (spec(deployment).replicas ?? 1);
}

/** ConfigMaps and Secrets the pods (and CloudNativePG's object stores) read, with the keys read from them. */
export function references(object: K8sObject): { kind: 'ConfigMap' | 'Secret'; name: string; key?: string }[] {
  if (object.kind === 'ObjectStore') {
    const credentials: Record<string, { name?: string; key?: string }> = spec(object).configuration?.s3Credentials ?? {};
    return Object.values(credentials).flatMap((ref) => (ref?.name ? [{ kind: 'Secret' as const, name: ref.name, key: ref.key }] : []));
  }
  const pod = podSpec(object);
  if (!pod) return [];
  const found: { kind: 'ConfigMap' | 'Secret'; name: string; key?: string }[] = [];
  for (const { container } of containersOf(pod)) {
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef?.name && !source.configMapRef.optional) found.push({ kind: 'ConfigMap', name: source.configMapRef.name });
      if (source.secretRef?.name && !source.secretRef.optional) found.push({ kind: 'Secret', name: source.secretRef.name });
    }
    for (const variable of container.env ?? []) {
      const { configMapKeyRef: cm, secretKeyRef: secret } = variable.valueFrom ?? {};
      if (cm?.name && !cm.optional) found.push({ kind: 'ConfigMap', name: cm.name, key: cm.key });
      if (secret?.name && !secret.optional) found.push({ kind: 'Secret', name: secret.name, key: secret.key });
    }
  }
  for (const volume of pod.volumes ?? []) {
    if (volume.configMap?.name) found.push({ kind: 'ConfigMap', name: volume.configMap.name });
    if (volume.secret?.secretName) found.push({ kind: 'Secret', name: volume.secret.secretName });
  }
  return found;
}
