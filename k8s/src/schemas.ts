// Schema validation: Kubernetes' own kinds against the OpenAPI schemas shipped in kubernetes-models, the
// custom resources we use (prometheus-operator, CloudNativePG) against their required fields.
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ref, type K8sObject } from './manifests.js';

type Model = new (data: never) => { validate(): void };

const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Pod': Pod,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/CronJob': CronJob,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Required fields of the custom resources, as "a.b[].c" paths ([] = every item of a non-empty list). */
const CUSTOM_RESOURCES: Record<string, string[]> = {
  'monitoring.coreos.com/v1/ServiceMonitor': ['spec.selector', 'spec.endpoints[].port', 'spec.endpoints[].path'],
  'monitoring.coreos.com/v1/PrometheusRule': ['spec.groups[].name', 'spec.groups[].rules[].expr'],
  'postgresql.cnpg.io/v1/Cluster': ['spec.instances', 'spec.storage.size', 'spec.bootstrap.initdb.database', 'spec.bootstrap.initdb.owner'],
  'postgresql.cnpg.io/v1/ScheduledBackup': ['spec.schedule', 'spec.cluster.name', 'spec.method'],
  'barmancloud.cnpg.io/v1/ObjectStore': ['spec.configuration.destinationPath'],
};

/** Problems with one object's shape, each naming the object; [] when it is valid. */
export function schemaProblems(object: K8sObject): string[] {
  const key = `${object.apiVersion}/${object.kind}`;
  const model = MODELS[key];
  if (model) {
    try {
      new model(object as never).validate();
      return [];
    } catch (error) {
      return [`${ref(object)} (${object.apiVersion}) does not match the Kubernetes schema: ${(error as Error).message}`];
    }
  }
  const required = CUSTOM_RESOURCES[key];
  if (required) return required.flatMap((path) => (present(object, path.split('.')) ? [] : [`${ref(object)} lacks ${path}`]));
  return [`${ref(object)}: no schema for ${key} (a deprecated API version, or a kind these checks do not know yet)`];
}

function present(value: unknown, path: string[]): boolean {
  if (path.length === 0) return value !== undefined && value !== null && value !== '';
  const [head, ...rest] = path as [string, ...string[]];
  const list = head.endsWith('[]');
  const child = (value as Record<string, unknown> | undefined)?.[list ? head.slice(0, -2) : head];
  if (!list) return present(child, rest);
  return Array.isArray(child) && child.length > 0 && child.every((item) => present(item, rest));
}
