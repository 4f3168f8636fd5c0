// Offline validation of the deployment: the YAML files, both kustomize overlays as `kubectl kustomize`
// builds them (schemas and policies), the monitoring (metric names) and the Dockerfile's shape.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { dockerfileProblems } from '../src/dockerfile.js';
import { exportedMetrics } from '../src/exported.js';
import {
  DEPRECATED_KUSTOMIZE_FIELDS,
  filesUnder,
  isK8sObject,
  K8S_DIR,
  kustomize,
  kustomizeWarnings,
  readYamlFile,
  ref,
  REPO_ROOT,
  type K8sObject,
} from '../src/manifests.js';
import { allows, selects, type Peer } from '../src/network-policy.js';
import {
  containerProblems,
  imagePinned,
  isService,
  minimumReplicas,
  podLabels,
  podSpec,
  quantity,
  references,
  spec,
} from '../src/policy.js';
import { METRICS, metricsOf, promqlProblems, variableQueryProblems } from '../src/promql.js';
import { schemaProblems } from '../src/schemas.js';
import { CNPG_APP_SECRET_KEYS, databaseEndpoints, urlEndpoints, type Endpoint } from '../src/wiring.js';

const NAMESPACE = 'commerce';
const SUBGRAPHS = ['identity', 'catalog', 'inventory', 'reviews', 'orders', 'payments', 'notifications'];
const SERVICES = ['router', ...SUBGRAPHS];
const AUTOSCALED = ['router', 'catalog', 'inventory', 'orders'];

function noProblems(problems: string[]): void {
  assert.equal(problems.length, 0, `\n${problems.join('\n')}`);
}

const builds = new Map<string, K8sObject[]>();
/** The overlay as kubectl builds it, once per run. */
function build(overlay: 'dev' | 'prod'): K8sObject[] {
  if (!builds.has(overlay)) builds.set(overlay, kustomize(join(K8S_DIR, 'overlays', overlay)));
  return builds.get(overlay)!;
}

const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((object) => object.kind === kind && object.metadata.name === name);
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);

/** The env var's secretKeyRef (or literal value) in a Deployment's main container. */
function envOf(deployment: K8sObject, name: string) {
  return podSpec(deployment)?.containers[0]?.env?.find((variable) => variable.name === name);
}

/** A setting of a Deployment's main container: its env value, else the key of a ConfigMap it reads with envFrom. */
function settingOf(objects: K8sObject[], deployment: K8sObject, name: string): string | undefined {
  const container = podSpec(deployment)?.containers[0];
  const own = container?.env?.find((variable) => variable.name === name);
  if (own) return own.value;
  for (const source of container?.envFrom ?? []) {
    const data = (find(objects, 'ConfigMap', source.configMapRef?.name ?? '')?.data ?? {}) as Record<string, string>;
    if (name in data) return data[name];
  }
  return undefined;
}

/** The named port of a Deployment's main container. */
function containerPort(deployment: K8sObject, name: string): number | undefined {
  return podSpec(deployment)?.containers[0]?.ports?.find((port) => port.name === name)?.containerPort;
}

/** Keys of the Secrets the operator creates, as documented in secret.example.yaml. */
function operatorSecrets(): Map<string, string[]> {
  const secrets = readYamlFile(join(K8S_DIR, 'secret.example.yaml')).filter(isK8sObject);
  return new Map(secrets.map((secret) => [secret.metadata.name, Object.keys((secret.stringData ?? secret.data ?? {}) as object)]));
}

describe('the manifests as written', () => {
  it('every YAML file under k8s/ parses, and each document has an apiVersion and a kind', () => {
    const files = filesUnder(K8S_DIR, ['.yaml', '.yml']);
    assert.ok(files.length > 10, `only ${files.length} YAML files found under ${K8S_DIR}`);
    noProblems(
      files.flatMap((file) =>
        readYamlFile(file).flatMap((document, index) => {
          const { apiVersion, kind } = (document ?? {}) as { apiVersion?: unknown; kind?: unknown };
          return typeof apiVersion === 'string' && typeof kind === 'string'
            ? []
            : [`${relative(REPO_ROOT, file)} document ${index + 1}: no apiVersion or kind`];
        }),
      ),
    );
  });

  it('no kustomization uses a field kustomize deprecates, and kubectl warns about nothing', () => {
    noProblems([
      ...filesUnder(K8S_DIR, ['kustomization.yaml']).flatMap((file) =>
        readYamlFile(file).flatMap((document) =>
          Object.keys(document as object)
            .filter((field) => field in DEPRECATED_KUSTOMIZE_FIELDS)
            .map((field) => `${relative(REPO_ROOT, file)}: "${field}" is deprecated, use "${DEPRECATED_KUSTOMIZE_FIELDS[field]}"`),
        ),
      ),
      ...(['dev', 'prod'] as const).flatMap((overlay) => {
        build(overlay);
        return kustomizeWarnings(join(K8S_DIR, 'overlays', overlay)).map((warning) => `kubectl kustomize overlays/${overlay}: ${warning}`);
      }),
    ]);
  });

  it('the Grafana dashboard is a JSON dashboard with panels', () => {
    const dashboard = JSON.parse(readFileSync(join(K8S_DIR, 'monitoring', 'grafana-dashboard.json'), 'utf8')) as {
      uid?: string;
      panels?: unknown[];
    };
    assert.ok(dashboard.uid, 'the dashboard has no uid');
    assert.ok((dashboard.panels?.length ?? 0) > 0, 'the dashboard has no panels');
  });

  it('secret.example.yaml is a valid Secret that no kustomization includes', () => {
    const [secret, ...rest] = readYamlFile(join(K8S_DIR, 'secret.example.yaml'));
    assert.equal(rest.length, 0);
    assert.ok(isK8sObject(secret) && secret.kind === 'Secret', 'secret.example.yaml does not hold a Secret');
    noProblems(schemaProblems(secret));
    const including = filesUnder(K8S_DIR, ['kustomization.yaml']).filter((file) =>
      JSON.stringify(readYamlFile(file)).includes('secret.example'),
    );
    assert.deepEqual(
      including.map((file) => relative(REPO_ROOT, file)),
      [],
      'the example Secret must not be applied',
    );
  });
});

for (const overlay of ['dev', 'prod'] as const) {
  describe(`overlay ${overlay} (kubectl kustomize k8s/overlays/${overlay})`, () => {
    it('builds, every object once, everything in the commerce namespace', () => {
      const objects = build(overlay);
      const seen = new Set<string>();
      noProblems(
        objects.flatMap((object) => {
          const problems: string[] = [];
          if (seen.has(ref(object))) problems.push(`${ref(object)} appears twice`);
          seen.add(ref(object));
          if (object.kind !== 'Namespace' && object.metadata.namespace !== NAMESPACE) {
            problems.push(`${ref(object)} is in namespace ${object.metadata.namespace ?? '(none)'}`);
          }
          return problems;
        }),
      );
    });

    it('every object matches its Kubernetes schema; custom resources have their required fields', () => {
      noProblems(build(overlay).flatMap(schemaProblems));
    });

    it('runs the router and every subgraph, each behind a Service on its port, the subgraphs migrating first', () => {
      const objects = build(overlay);
      noProblems(
        SERVICES.flatMap((name, index) => {
          const deployment = find(objects, 'Deployment', name);
          if (!deployment) return [`no Deployment/${name}`];
          const problems: string[] = [];
          const service = urlEndpoints(objects, `http://${name}:${4000 + index}/`);
          if (typeof service === 'string') problems.push(service);
          else if (!service.some((endpoint) => endpoint.target === `Deployment/${name}`))
            problems.push(`Service ${name} does not reach Deployment/${name}`);
          if (name !== 'router') {
            const migrate = podSpec(deployment)?.initContainers?.find((container) =>
              container.command?.includes('packages/kit/dist/src/cli/migrate.js'),
            );
            if (!migrate) problems.push(`Deployment/${name}: no initContainer running packages/kit/dist/src/cli/migrate.js`);
            else if (migrate.command?.at(-1) !== name)
              problems.push(`Deployment/${name}: the migration runs for "${migrate.command?.at(-1)}"`);
          }
          return problems;
        }),
      );
    });

    it('containers: requests and limits, pinned images, non-root, read-only root filesystem, probes on long-running ones', () => {
      noProblems(build(overlay).flatMap(containerProblems));
    });

    it('every Deployment has a PodDisruptionBudget', () => {
      const objects = build(overlay);
      const budgets = ofKind(objects, 'PodDisruptionBudget');
      noProblems(
        ofKind(objects, 'Deployment')
          .filter((deployment) => !budgets.some((budget) => selects(spec(budget).selector, podLabels(deployment))))
          .map((deployment) => `${ref(deployment)} has no PodDisruptionBudget selecting its pods`),
      );
    });

    it('HorizontalPodAutoscalers (autoscaling/v2) scale the router and the hot subgraphs, which request CPU', () => {
      const objects = build(overlay);
      const hpas = ofKind(objects, 'HorizontalPodAutoscaler');
      const problems = hpas.flatMap((hpa) => {
        const target = spec(hpa).scaleTargetRef ?? {};
        const deployment = target.kind === 'Deployment' ? find(objects, 'Deployment', target.name) : undefined;
        if (!deployment) return [`${ref(hpa)} targets ${target.kind}/${target.name}, which does not exist`];
        const withoutCpu = podSpec(deployment)!.containers.filter((container) => container.resources?.requests?.cpu === undefined);
        return withoutCpu.map((container) => `${ref(hpa)}: ${ref(deployment)} container ${container.name} requests no CPU to scale on`);
      });
      for (const name of AUTOSCALED) {
        if (!hpas.some((hpa) => spec(hpa).scaleTargetRef?.name === name))
          problems.push(`Deployment/${name} has no HorizontalPodAutoscaler`);
      }
      noProblems(problems);
    });

    it('ServiceMonitors select existing Services by a port they have, and every service is scraped', () => {
      const objects = build(overlay);
      const services = ofKind(objects, 'Service');
      const monitors = ofKind(objects, 'ServiceMonitor');
      const scraped = new Set<string>();
      const problems = monitors.flatMap((monitor) => {
        const selected = services.filter((service) => selects(spec(monitor).selector, service.metadata.labels ?? {}));
        if (selected.length === 0) return [`${ref(monitor)} selects no Service`];
        return selected.flatMap((service) => {
          scraped.add(service.metadata.name);
          const ports = (spec(service).ports ?? []).map((port: { name?: string }) => port.name);
          return (spec(monitor).endpoints ?? [])
            .filter((endpoint: { port: string }) => !ports.includes(endpoint.port))
            .map((endpoint: { port: string }) => `${ref(monitor)} scrapes port "${endpoint.port}", which ${ref(service)} does not have`);
        });
      });
      for (const name of SERVICES) if (!scraped.has(name)) problems.push(`Service/${name} is not selected by any ServiceMonitor`);
      for (const monitor of monitors) {
        for (const endpoint of spec(monitor).endpoints ?? [])
          if (endpoint.port !== 'metrics') problems.push(`${ref(monitor)} scrapes port "${endpoint.port}", not "metrics"`);
      }
      noProblems(problems);
    });

    it('every ConfigMap and Secret a pod reads exists, or is created by the operator or CloudNativePG', () => {
      const objects = build(overlay);
      const operator = operatorSecrets();
      const keysOf = (kind: 'ConfigMap' | 'Secret', name: string): string[] | undefined => {
        const object = find(objects, kind, name);
        if (object) return Object.keys({ ...(object.data as object), ...(object.stringData as object) });
        if (kind === 'Secret' && operator.has(name)) return operator.get(name);
        if (kind === 'Secret' && find(objects, 'Cluster', name.replace(/-app$/, ''))) return CNPG_APP_SECRET_KEYS;
        return undefined;
      };
      noProblems(
        objects.flatMap((object) =>
          references(object).flatMap(({ kind, name, key }) => {
            const keys = keysOf(kind, name);
            if (!keys)
              return [
                `${ref(object)} reads ${kind}/${name}, which neither the build, the operator (secret.example.yaml) nor CloudNativePG creates`,
              ];
            return key !== undefined && !keys.includes(key)
              ? [`${ref(object)} reads key ${key} of ${kind}/${name}, which has only ${keys.join(', ')}`]
              : [];
          }),
        ),
      );
    });

    it("the router's SUBGRAPH_<NAME>_URL settings reach the subgraph Deployments", () => {
      const objects = build(overlay);
      const config = ofKind(objects, 'ConfigMap').find((map) => map.metadata.name.startsWith('router-config'));
      const data = (config?.data ?? {}) as Record<string, string>;
      const problems = SUBGRAPHS.flatMap((name) => {
        const url = data[`SUBGRAPH_${name.toUpperCase()}_URL`];
        if (!url) return [`the router's ConfigMap has no SUBGRAPH_${name.toUpperCase()}_URL`];
        const endpoints = urlEndpoints(objects, url);
        if (typeof endpoints === 'string') return [`SUBGRAPH_${name.toUpperCase()}_URL=${url}: ${endpoints}`];
        const reached = endpoints.some((endpoint) => endpoint.target === `Deployment/${name}`);
        return reached ? [] : [`SUBGRAPH_${name.toUpperCase()}_URL=${url} does not reach Deployment/${name}`];
      });
      noProblems(problems);
    });

    it('network policies: default deny, and only the intended flows open', () => {
      const objects = build(overlay);
      const policies = ofKind(objects, 'NetworkPolicy');
      const problems: string[] = [];
      const denyAll = policies.find(
        (policy) =>
          Object.keys(spec(policy).podSelector ?? {}).length === 0 &&
          ['Ingress', 'Egress'].every((type) => spec(policy).policyTypes?.includes(type)) &&
          !spec(policy).ingress?.length &&
          !spec(policy).egress?.length,
      );
      if (!denyAll) problems.push('no default-deny NetworkPolicy (empty podSelector, policyTypes Ingress and Egress, no rules)');

      const pod = (name: string): Peer => ({ namespace: NAMESPACE, labels: podLabels(find(objects, 'Deployment', name)!) });
      const outside: Peer = { namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
      const stranger: Peer = { namespace: 'default', labels: { app: 'anything' } };
      const collector = {
        peer: { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'opentelemetry-collector' } },
        target: 'the OpenTelemetry Collector',
      };
      const prometheus: Peer = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
      const dns = {
        peer: { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
        port: { number: 53, protocol: 'UDP' as const },
        target: 'kube-dns',
      };
      const endpointsOf = (found: Endpoint[] | string, what: string): Endpoint[] => {
        if (typeof found === 'string') problems.push(`${what}: ${found}`);
        return typeof found === 'string' ? [] : found;
      };
      const expect = (fromName: string, from: Peer, to: Endpoint, open: boolean) => {
        if (allows(objects, from, to.peer, to.port) !== open) {
          problems.push(`${fromName} -> ${to.target} port ${to.port.number}: should be ${open ? 'allowed' : 'denied'}`);
        }
      };
      const service = (name: string) =>
        endpointsOf(urlEndpoints(objects, `http://${name}:${4000 + SERVICES.indexOf(name)}`), `Service/${name}`);
      const metrics = (name: string) => endpointsOf(urlEndpoints(objects, `http://${name}:9464`), `Service/${name} metrics`);
      // Where each service's REDIS_URL and DATABASE_URL lead, read from its own configuration.
      const redis = new Map(
        SERVICES.map((name) => {
          const url = envOf(find(objects, 'Deployment', name)!, 'REDIS_URL')?.value;
          return [name, url ? endpointsOf(urlEndpoints(objects, url), `REDIS_URL of ${name}`) : []];
        }),
      );
      const databases = new Map(
        SUBGRAPHS.map((name) => {
          const secret = envOf(find(objects, 'Deployment', name)!, 'DATABASE_URL')?.valueFrom?.secretKeyRef;
          if (!secret?.name) problems.push(`Deployment/${name}: DATABASE_URL is not read from a Secret`);
          return [name, secret?.name ? endpointsOf(databaseEndpoints(objects, secret.name, secret.key), `DATABASE_URL of ${name}`) : []];
        }),
      );

      for (const name of SERVICES) {
        if (!redis.get(name)?.length) problems.push(`Deployment/${name}: REDIS_URL leads to no Redis pod`);
        for (const endpoint of redis.get(name) ?? []) expect(name, pod(name), endpoint, true);
        expect(name, pod(name), dns, true);
        // Traces: OTLP/HTTP to the collector that OTEL_EXPORTER_OTLP_ENDPOINT names, and no other port there.
        const otlp = settingOf(objects, find(objects, 'Deployment', name)!, 'OTEL_EXPORTER_OTLP_ENDPOINT');
        if (!otlp) problems.push(`Deployment/${name}: no OTEL_EXPORTER_OTLP_ENDPOINT`);
        else {
          const url = new URL(otlp);
          if (url.hostname.split('.')[1] !== collector.peer.namespace)
            problems.push(`OTEL_EXPORTER_OTLP_ENDPOINT=${otlp} is not in namespace ${collector.peer.namespace}`);
          expect(name, pod(name), { ...collector, port: { number: Number(url.port) } }, true);
          expect(name, pod(name), { ...collector, port: { number: 4317 } }, false);
        }
        // Metrics: Prometheus on the metrics port only; nobody else there.
        metrics(name).forEach((endpoint) => {
          expect('Prometheus', prometheus, endpoint, true);
          expect('the ingress controller', outside, endpoint, false);
          expect('a pod in another namespace', stranger, endpoint, false);
        });
        for (const endpoint of service(name)) expect('Prometheus', prometheus, endpoint, false);
      }
      service('router').forEach((router) => {
        expect('the ingress controller', outside, router, true);
        expect('a pod in another namespace (not through the Ingress)', stranger, router, false);
      });
      for (const name of SUBGRAPHS) {
        const neighbour = name === 'catalog' ? 'orders' : 'catalog';
        service(name).forEach((subgraph) => {
          expect('router', pod('router'), subgraph, true);
          expect('a client outside the namespace', outside, subgraph, false);
          expect(neighbour, pod(neighbour), subgraph, false);
        });
        const own = databases.get(name)!;
        own.forEach((endpoint) => {
          expect(name, pod(name), endpoint, true);
          expect('router', pod('router'), endpoint, false);
          expect('a client outside the namespace', outside, endpoint, false);
        });
        // In prod each subgraph has its own database server; no subgraph reaches another's.
        for (const [other, endpoints] of databases) {
          if (other === name) continue;
          for (const endpoint of endpoints.filter((endpoint) => !own.some((mine) => mine.target === endpoint.target))) {
            expect(name, pod(name), endpoint, false);
          }
        }
      }
      noProblems(problems);
    });

    it("the Ingress: TLS, only the public paths, each to the router's http port; metrics and health never routed", () => {
      const objects = build(overlay);
      const ingresses = ofKind(objects, 'Ingress');
      assert.equal(ingresses.length, 1, "one Ingress, the router's");
      const ingress = ingresses[0]!;
      const problems: string[] = [];
      const router = find(objects, 'Service', 'router');
      const rules: {
        host?: string;
        http?: {
          paths: { path: string; pathType: string; backend: { service?: { name: string; port: { name?: string; number?: number } } } }[];
        };
      }[] = spec(ingress).rules ?? [];
      const tlsHosts = new Set(
        (spec(ingress).tls ?? []).flatMap((tls: { hosts?: string[]; secretName?: string }) => (tls.secretName ? (tls.hosts ?? []) : [])),
      );
      const routed: string[] = [];
      for (const rule of rules) {
        if (!rule.host || !tlsHosts.has(rule.host))
          problems.push(`${ref(ingress)}: host ${rule.host ?? '(any)'} has no TLS (a secretName covering it)`);
        for (const { path, pathType, backend } of rule.http?.paths ?? []) {
          routed.push(`${pathType} ${path}`);
          const port = (spec(router!).ports ?? []).find((candidate: { name: string; port: number }) =>
            backend.service?.port.name !== undefined
              ? candidate.name === backend.service.port.name
              : candidate.port === backend.service?.port.number,
          );
          if (backend.service?.name !== 'router' || port?.name !== 'http')
            problems.push(
              `${ref(ingress)}: ${path} goes to ${backend.service?.name}:${JSON.stringify(backend.service?.port)}, not the router's http port`,
            );
          for (const hidden of ['/metrics', '/health/live', '/health/ready', '/']) {
            if (path === hidden || (pathType !== 'Exact' && hidden.startsWith(path.endsWith('/') ? path : `${path}/`)))
              problems.push(`${ref(ingress)}: ${pathType} ${path} exposes ${hidden}`);
          }
        }
      }
      assert.deepEqual(
        routed.sort(),
        [
          'Exact /graphql',
          'Exact /graphql/stream',
          'Prefix /explorer',
          'Exact /schema.graphql',
          'Exact /oauth/token',
          'Exact /oauth/revoke',
          'Exact /.well-known/oauth-authorization-server',
        ].sort(),
        'the public paths, and only those',
      );
      if (spec(ingress).defaultBackend) problems.push(`${ref(ingress)}: a defaultBackend routes every other path`);
      noProblems(problems);
    });

    it('/metrics on METRICS_PORT: set on every service, a container port "metrics" its Service exposes, not the port the Ingress uses', () => {
      const objects = build(overlay);
      noProblems(
        SERVICES.flatMap((name) => {
          const deployment = find(objects, 'Deployment', name)!;
          const metricsPort = settingOf(objects, deployment, 'METRICS_PORT');
          const problems: string[] = [];
          if (metricsPort === undefined) return [`Deployment/${name}: no METRICS_PORT`];
          if (containerPort(deployment, 'metrics') !== Number(metricsPort))
            problems.push(`Deployment/${name}: METRICS_PORT ${metricsPort} is not its container port "metrics"`);
          if (containerPort(deployment, 'http') === Number(metricsPort)) problems.push(`Deployment/${name}: METRICS_PORT is the http port`);
          const exposed = urlEndpoints(objects, `http://${name}:${metricsPort}`);
          if (typeof exposed === 'string') problems.push(`Service/${name}: ${exposed}`);
          return problems;
        }),
      );
    });

    it('shutdown drains: a startupProbe, a preStop pause, and a grace period that covers it and the drain', () => {
      const objects = build(overlay);
      noProblems(
        SERVICES.flatMap((name) => {
          const deployment = find(objects, 'Deployment', name)!;
          const pod = podSpec(deployment)!;
          const container = pod.containers[0]!;
          const problems: string[] = [];
          if (!container.startupProbe?.httpGet) problems.push(`Deployment/${name}: no HTTP startupProbe`);
          const pause = container.lifecycle?.preStop?.exec?.command;
          const seconds = pause?.[0] === 'sleep' ? Number(pause[1]) : Number.NaN;
          if (!(seconds >= 5)) problems.push(`Deployment/${name}: preStop does not pause (sleep >= 5 s) for the endpoints to drop the pod`);
          // After the pause, SIGTERM: WebSockets closed with 1001, in-flight requests drained (Apollo gives them 10 s).
          const grace = pod.terminationGracePeriodSeconds ?? 30;
          if (!(grace >= seconds + 10 + 5))
            problems.push(`Deployment/${name}: terminationGracePeriodSeconds ${grace} < preStop ${seconds} s + 10 s drain + margin`);
          return problems;
        }),
      );
    });

    it("the router's supergraph: a ConfigMap mounted as a directory, watched, the same as schema/supergraph.graphql", () => {
      const objects = build(overlay);
      const router = find(objects, 'Deployment', 'router')!;
      const path = settingOf(objects, router, 'SUPERGRAPH_PATH');
      assert.ok(path, 'the router has no SUPERGRAPH_PATH');
      assert.equal(settingOf(objects, router, 'WATCH_SUPERGRAPH'), 'true', 'the router must watch the mounted supergraph');
      const pod = podSpec(router)!;
      const mount = pod.containers[0]!.volumeMounts?.find((candidate) => candidate.mountPath === dirname(path));
      assert.ok(mount, `nothing is mounted at ${dirname(path)}`);
      assert.equal(mount.subPath, undefined, 'a subPath mount never sees ConfigMap updates');
      const volume = pod.volumes?.find((candidate) => candidate.name === mount.name);
      const map = find(objects, 'ConfigMap', volume?.configMap?.name ?? '');
      assert.ok(map, `volume ${mount.name} is no ConfigMap of the build`);
      assert.equal(map.metadata.name, 'supergraph', 'a fixed name (no hash suffix): apply updates it in place, and the routers reload it');
      const file = (map.data as Record<string, string>)[path.split('/').at(-1)!];
      assert.equal(
        file,
        readFileSync(join(REPO_ROOT, 'schema', 'supergraph.graphql'), 'utf8'),
        'k8s/base/supergraph.graphql differs from schema/: run npm run compose',
      );
    });

    it('ships the router dashboard to the Grafana sidecar and the alert rules to Prometheus', () => {
      const objects = build(overlay);
      const dashboard = ofKind(objects, 'ConfigMap').find((map) => map.metadata.labels?.grafana_dashboard === '1');
      assert.ok(dashboard, 'no ConfigMap labelled grafana_dashboard: "1"');
      const file = readFileSync(join(K8S_DIR, 'monitoring', 'grafana-dashboard.json'), 'utf8');
      assert.deepEqual(
        Object.values(dashboard.data as Record<string, string>).map((json) => JSON.parse(json)),
        [JSON.parse(file)],
      );
      assert.ok(ofKind(objects, 'PrometheusRule').length > 0, 'no PrometheusRule');
    });
  });
}

describe('overlay dev', () => {
  it('runs one replica of each service, with PostgreSQL and Redis in the cluster', () => {
    const objects = build('dev');
    const problems = ofKind(objects, 'Deployment')
      .filter((deployment) => minimumReplicas(deployment, objects) !== 1)
      .map((deployment) => `${ref(deployment)} runs ${minimumReplicas(deployment, objects)} replicas in dev`);
    for (const name of ['postgres', 'redis']) if (!find(objects, 'StatefulSet', name)) problems.push(`no StatefulSet/${name}`);
    noProblems(problems);
  });
});

describe('overlay prod', () => {
  it('keeps every subgraph database in a CloudNativePG Cluster (postgresql.cnpg.io/v1) with replicas across zones', () => {
    const objects = build('prod');
    const problems = SUBGRAPHS.flatMap((name) => {
      const secret = envOf(find(objects, 'Deployment', name)!, 'DATABASE_URL')?.valueFrom?.secretKeyRef?.name ?? '';
      const cluster = find(objects, 'Cluster', secret.replace(/-app$/, ''));
      if (cluster?.apiVersion !== 'postgresql.cnpg.io/v1')
        return [`Deployment/${name}: DATABASE_URL (Secret ${secret}) does not come from a CloudNativePG Cluster`];
      const problems: string[] = [];
      if (!(spec(cluster).instances >= 2)) problems.push(`${ref(cluster)}: ${spec(cluster).instances} instance(s), no failover`);
      if (spec(cluster).bootstrap?.initdb?.database !== name)
        problems.push(`${ref(cluster)}: creates database "${spec(cluster).bootstrap?.initdb?.database}", not "${name}"`);
      if (spec(cluster).affinity?.topologyKey !== 'topology.kubernetes.io/zone')
        problems.push(`${ref(cluster)}: instances are not spread across zones`);
      return problems;
    });
    noProblems(problems);
  });

  it('backs up every CloudNativePG Cluster: WAL archiving through the Barman Cloud plugin, and a nightly ScheduledBackup', () => {
    const objects = build('prod');
    const stores = new Set(
      ofKind(objects, 'ObjectStore')
        .filter((store) => store.apiVersion === 'barmancloud.cnpg.io/v1')
        .map((store) => store.metadata.name),
    );
    const plugin = 'barman-cloud.cloudnative-pg.io';
    noProblems(
      ofKind(objects, 'Cluster').flatMap((cluster) => {
        const problems: string[] = [];
        if (spec(cluster).backup?.barmanObjectStore)
          problems.push(`${ref(cluster)}: spec.backup.barmanObjectStore is deprecated; use the Barman Cloud plugin`);
        const archiver = (spec(cluster).plugins ?? []).find((candidate: { name: string }) => candidate.name === plugin);
        if (!archiver?.isWALArchiver) problems.push(`${ref(cluster)}: no WAL archiving through ${plugin}`);
        else if (!stores.has(archiver.parameters?.barmanObjectName))
          problems.push(`${ref(cluster)}: archives to ObjectStore "${archiver.parameters?.barmanObjectName}", which the build lacks`);
        const scheduled = ofKind(objects, 'ScheduledBackup').filter((backup) => spec(backup).cluster?.name === cluster.metadata.name);
        if (!scheduled.some((backup) => spec(backup).method === 'plugin' && spec(backup).pluginConfiguration?.name === plugin)) {
          problems.push(`${ref(cluster)}: no ScheduledBackup through ${plugin}`);
        }
        return problems;
      }),
    );
    assert.ok(ofKind(objects, 'Cluster').length >= SUBGRAPHS.length);
  });

  it('runs Redis as a primary with at least two replicas', () => {
    const redis = find(build('prod'), 'StatefulSet', 'redis');
    assert.ok(redis, 'no StatefulSet/redis');
    assert.ok(spec(redis).replicas >= 3, `StatefulSet/redis has ${spec(redis).replicas} pods: a primary and at least two replicas need 3`);
    assert.match(JSON.stringify(podSpec(redis)?.containers), /--replicaof/, 'StatefulSet/redis: no replica is started with --replicaof');
  });

  it('spreads every Deployment and Redis across zones', () => {
    const objects = build('prod');
    noProblems(
      [...ofKind(objects, 'Deployment'), find(objects, 'StatefulSet', 'redis')!]
        .filter(
          (workload) =>
            !podSpec(workload)?.topologySpreadConstraints?.some((constraint) => constraint.topologyKey === 'topology.kubernetes.io/zone'),
        )
        .map((workload) => `${ref(workload)} has no topologySpreadConstraints on topology.kubernetes.io/zone`),
    );
  });

  it('runs more replicas than dev, with higher limits', () => {
    const dev = build('dev');
    const prod = build('prod');
    noProblems(
      ofKind(prod, 'Deployment').flatMap((deployment) => {
        const before = find(dev, 'Deployment', deployment.metadata.name);
        if (!before) return [];
        const problems: string[] = [];
        const [replicasDev, replicasProd] = [minimumReplicas(before, dev), minimumReplicas(deployment, prod)];
        if (!(replicasProd > replicasDev) || replicasProd < 2)
          problems.push(`${ref(deployment)}: ${replicasProd} replicas in prod, ${replicasDev} in dev`);
        for (const container of podSpec(deployment)!.containers) {
          const old = podSpec(before)!.containers.find((candidate) => candidate.name === container.name);
          const [memoryDev, memoryProd] = [quantity(old?.resources?.limits?.memory), quantity(container.resources?.limits?.memory)];
          if (!(memoryProd > memoryDev)) {
            problems.push(
              `${ref(deployment)} container ${container.name}: memory limit ${container.resources?.limits?.memory} in prod, ${old?.resources?.limits?.memory} in dev`,
            );
          }
        }
        return problems;
      }),
    );
  });
});

describe('monitoring', () => {
  interface Panel {
    title?: string;
    targets?: { expr?: string }[];
    panels?: Panel[];
  }
  const dashboard = JSON.parse(readFileSync(join(K8S_DIR, 'monitoring', 'grafana-dashboard.json'), 'utf8')) as {
    panels: Panel[];
    templating?: { list: { name: string; type: string; query?: string | { query: string } }[] };
  };
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  const rules = readYamlFile(join(K8S_DIR, 'monitoring', 'prometheus-rules.yaml'))
    .filter(isK8sObject)
    .flatMap((rule) => (spec(rule).groups ?? []).flatMap((group: { rules: unknown[] }) => group.rules)) as {
    alert?: string;
    expr: string;
    labels?: { severity?: string };
    annotations?: { summary?: string };
  }[];

  it('the dashboard queries only metrics and labels the services export', () => {
    const queries = panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr ?? '' })),
    );
    assert.ok(queries.length > 0, 'the dashboard has no queries');
    const variables = (dashboard.templating?.list ?? []).filter((variable) => variable.type === 'query');
    noProblems([
      ...queries.flatMap(({ where, expr }) => promqlProblems(expr, where)),
      ...variables.flatMap((variable) =>
        variableQueryProblems(
          typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? ''),
          `variable $${variable.name}`,
        ),
      ),
    ]);
  });

  it('the metrics list is what the built router and subgraph servers export: names, types and labels', async () => {
    const exported = await exportedMetrics();
    const problems: string[] = [];
    for (const [name, metric] of Object.entries(METRICS)) {
      if (name === 'up') continue; // Prometheus' own
      const found = exported.get(name);
      if (!found) problems.push(`${name}: no service exports it`);
      else {
        if ((found.type === 'histogram') !== (metric.histogram === true))
          problems.push(`${name}: a ${found.type}, listed ${metric.histogram ? '' : 'not '}as a histogram`);
        if (found.labelNames.join() !== [...metric.labels].sort().join())
          problems.push(`${name}: labels ${found.labelNames.join(', ')}, listed ${metric.labels.join(', ')}`);
      }
    }
    for (const name of exported.keys()) {
      if (/^(router|subgraph|events|db_pool|http_server|graphql_server)_/.test(name) && !(name in METRICS))
        problems.push(`${name}: exported, not in the list (k8s/src/promql.ts)`);
    }
    noProblems(problems);
  });

  it('the dashboard shows every exported metric: router, OpenTelemetry, subgraphs, event bus, database pools', () => {
    const used = new Set(panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricsOf(target.expr ?? ''))));
    const missing = Object.keys(METRICS).filter(
      (name) => ![name, `${name}_bucket`, `${name}_count`, `${name}_sum`].some((series) => used.has(series)),
    );
    assert.deepEqual(missing, [], `metrics without a panel: ${missing.join(', ')}`);
  });

  it('the alert rules use only exported metrics and labels, with a severity and a summary', () => {
    assert.ok(rules.length > 0, 'no alert rules');
    noProblems(
      rules.flatMap((rule) => {
        const where = `alert ${rule.alert ?? '(recording rule)'}`;
        const problems = promqlProblems(rule.expr, where);
        if (!rule.labels?.severity) problems.push(`${where}: no severity label`);
        if (!rule.annotations?.summary) problems.push(`${where}: no summary annotation`);
        return problems;
      }),
    );
  });

  it('alerts on router errors (without authorization-filtered partial answers), latency, the router or a subgraph down, dead letters, consumer and outbox lag', () => {
    const alerting = (pattern: RegExp) => rules.some((rule) => rule.alert && pattern.test(rule.expr));
    const required: [string, RegExp][] = [
      ['router error rate', /router_operations_total\{[^}]*outcome="error"[\s\S]*-\s*sum\(rate\(router_operations_filtered_total\b/],
      ['router down (absent)', /\babsent\(\s*up\{[^}]*job="router"/],
      ['database pool exhausted', /\bdb_pool_waiting_requests\b/],
      ['router p95 latency', /histogram_quantile\(0\.95,[\s\S]*router_operation_duration_seconds_bucket/],
      ['subgraph down', /\bup\{[^}]*job=~"[^"]*catalog/],
      ['dead letters growing', /\bevents_dead_letters\b/],
      ['consumer lag', /\bevents_consumer_lag\b/],
      ['outbox lag', /\bevents_outbox_oldest_age_seconds\b/],
    ];
    assert.deepEqual(
      required.filter(([, pattern]) => !alerting(pattern)).map(([name]) => name),
      [],
      'alerts missing',
    );
  });
});

describe('Dockerfile', () => {
  it('is multi-stage, on a pinned node:24 slim image, selected by ARG SERVICE, and runs as a numeric non-root user', () => {
    noProblems(dockerfileProblems(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')));
  });

  it('.dockerignore keeps local node_modules and build output out of the build context', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    for (const pattern of ['**/node_modules', '**/dist', '.git']) assert.ok(ignored.includes(pattern), `.dockerignore lacks ${pattern}`);
  });
});

// The checks above pass on good input; these show that they also fail on bad input.
describe('the checks catch mistakes', () => {
  it('an unknown metric, a misspelt label and a label no metric has', () => {
    assert.match(promqlProblems('sum(rate(router_operation_total[5m]))', 'x').join(), /unknown metric "router_operation_total"/);
    assert.match(promqlProblems('rate(router_operations_total{outcom="error"}[5m])', 'x').join(), /no label "outcom"/);
    assert.match(promqlProblems('sum by (subgraph) (rate(router_operations_total[5m]))', 'x').join(), /label "subgraph"/);
    const good =
      'histogram_quantile(0.99, sum by (le, subgraph) (rate(router_subgraph_request_duration_seconds_bucket{job="router"}[$__rate_interval])))';
    assert.deepEqual(promqlProblems(good, 'x'), []);
    assert.match(variableQueryProblems('label_values(router_rejections_total, client_name)', 'x').join(), /no label "client_name"/);
  });

  it('a container without limits, on :latest, as root, with a writable root filesystem', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bad' },
      spec: {
        template: {
          metadata: { labels: {} },
          spec: { containers: [{ name: 'app', image: 'nginx:latest', resources: { requests: { cpu: '1', memory: '1Gi' } } }] },
        },
      },
    } as K8sObject;
    const problems = containerProblems(deployment).join('\n');
    for (const expected of [
      'no resources.limits.cpu',
      'not pinned',
      'runAsNonRoot',
      'readOnlyRootFilesystem',
      'drop ALL',
      'no readinessProbe',
      'no livenessProbe',
    ]) {
      assert.ok(problems.includes(expected), `not reported: ${expected}\n${problems}`);
    }
    assert.equal(imagePinned('registry.example.com:5000/commerce/router'), false);
    assert.equal(imagePinned('registry.example.com:5000/commerce/router:0.1.0'), true);
    assert.equal(isService(deployment), false);
  });

  it('a single-stage Dockerfile on node:latest running as root', () => {
    const problems = dockerfileProblems('FROM node:latest\nCOPY . .\nRUN npm install\nCMD npm start\n').join('\n');
    for (const expected of [
      'not multi-stage',
      'not a pinned node:24 slim',
      'ARG SERVICE',
      'npm ci',
      'as root',
      'NODE_ENV',
      'exec-form CMD',
    ]) {
      assert.ok(problems.includes(expected), `not reported: ${expected}\n${problems}`);
    }
    // Node 20 is past its end of life: a pinned node:20 image is reported too
    const node20 = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/node:24\.\d+\.\d+/, 'node:20.19.5');
    assert.match(dockerfileProblems(node20).join('\n'), /FROM node:20\.19\.5-bookworm-slim is not a pinned node:24 slim image/);
    // without --omit=optional npm installs the prisma CLI (devOptional), and PGlite with it, in the image
    const withDevOptional = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(
      'npm ci --omit=dev --omit=optional',
      'npm ci --omit=dev',
    );
    assert.match(dockerfileProblems(withDevOptional).join('\n'), /no npm ci --omit=dev --omit=optional/);
  });

  it('quantities compare as Kubernetes reads them', () => {
    assert.equal(quantity('500m'), 0.5);
    assert.ok(quantity('1Gi') > quantity('768Mi'));
    assert.ok(Number.isNaN(quantity('lots')));
  });
});
