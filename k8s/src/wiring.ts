// Who talks to whom, read from the configuration itself: the pods behind a URL (through its Service), and
// the database behind a DATABASE_URL Secret (a CloudNativePG Cluster, or a URL in a Secret of the build).
import type { IContainerPort } from 'kubernetes-models/v1/ContainerPort';
import type { K8sObject } from './manifests.js';
import { selects, type Peer, type Port } from './network-policy.js';
import { podLabels, podSpec, spec } from './policy.js';

export interface Endpoint {
  peer: Peer;
  port: Port;
  /** The workload or Cluster behind it, e.g. "StatefulSet/redis". */
  target: string;
}

const namespaceOf = (object: K8sObject) => object.metadata.namespace ?? 'default';

/** The pods a Service's selector picks, with the container port its `port` leads to. */
export function serviceEndpoints(objects: K8sObject[], serviceName: string, servicePort: number): Endpoint[] | string {
  const service = objects.find((object) => object.kind === 'Service' && object.metadata.name === serviceName);
  if (!service) return `no Service "${serviceName}"`;
  const port = (spec(service).ports ?? []).find((candidate: { port: number }) => candidate.port === servicePort);
  if (!port) return `Service ${serviceName} has no port ${servicePort}`;
  const targetPort: number | string = port.targetPort ?? port.port;
  const endpoints = objects.flatMap((workload): Endpoint[] => {
    const pod = podSpec(workload);
    if (!pod || namespaceOf(workload) !== namespaceOf(service)) return [];
    const ports: IContainerPort[] = pod.containers.flatMap((container) => container.ports ?? []);
    const container = ports.find((candidate) => candidate.name === targetPort || candidate.containerPort === targetPort);
    if (!container) return [];
    return podsOf(workload)
      .filter(({ labels }) => selects({ matchLabels: spec(service).selector ?? {} }, labels))
      .map(({ labels, target }) => ({
        peer: { namespace: namespaceOf(workload), labels },
        port: { number: container.containerPort, name: container.name },
        target,
      }));
  });
  return endpoints.length ? endpoints : `Service ${serviceName} port ${servicePort} selects no pod with a matching container port`;
}

/** A workload's pods with their labels; a StatefulSet's also carry their own name, which a Service may select. */
function podsOf(workload: K8sObject): { labels: Record<string, string>; target: string }[] {
  const target = `${workload.kind}/${workload.metadata.name}`;
  if (workload.kind !== 'StatefulSet') return [{ labels: podLabels(workload), target }];
  return Array.from({ length: spec(workload).replicas ?? 1 }, (_, index) => ({
    labels: { ...podLabels(workload), 'statefulset.kubernetes.io/pod-name': `${workload.metadata.name}-${index}` },
    target: `${target} pod ${index}`,
  }));
}

/** The pods an in-cluster URL such as http://catalog:4002/graphql reaches. */
export function urlEndpoints(objects: K8sObject[], url: string): Endpoint[] | string {
  const parsed = new URL(url);
  const defaultPort = { 'http:': 80, 'https:': 443, 'redis:': 6379, 'postgres:': 5432, 'postgresql:': 5432 }[parsed.protocol];
  const port = parsed.port ? Number(parsed.port) : defaultPort;
  if (port === undefined) return `${url}: no port`;
  return serviceEndpoints(objects, parsed.hostname.split('.')[0] ?? '', port);
}

/** CloudNativePG names the application Secret of Cluster X "X-app", and labels its pods cnpg.io/cluster: X. */
export const CNPG_APP_SECRET_KEYS = ['username', 'password', 'host', 'port', 'dbname', 'uri', 'jdbc-uri', 'pgpass'];

/** The database pods behind a Secret holding a DATABASE_URL under `key`. */
export function databaseEndpoints(objects: K8sObject[], secretName: string, key: string): Endpoint[] | string {
  const cluster = objects.find((object) => object.kind === 'Cluster' && `${object.metadata.name}-app` === secretName);
  if (cluster) {
    const inherited: Record<string, string> = spec(cluster).inheritedMetadata?.labels ?? {};
    return [
      {
        peer: { namespace: namespaceOf(cluster), labels: { ...inherited, 'cnpg.io/cluster': cluster.metadata.name } },
        port: { number: 5432, name: 'postgresql' },
        target: `Cluster/${cluster.metadata.name}`,
      },
    ];
  }
  const secret = objects.find((object) => object.kind === 'Secret' && object.metadata.name === secretName);
  const encoded = (secret?.data as Record<string, string> | undefined)?.[key];
  if (encoded === undefined)
    return `no Cluster "${secretName.replace(/-app$/, '')}" and no Secret ${secretName} with key ${key} in the build`;
  return urlEndpoints(objects, Buffer.from(encoded, 'base64').toString('utf8'));
}
