// Offline validation of the deployment: the YAML files, both kustomize overlays as `kubectl kustomize`
// builds them (schemas and policies), the monitoring (metric names) and the Dockerfile's shape.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { dockerfileProblems } from '../src/dockerfile.js';
import { filesUnder, isK8sObject, K8S_DIR, kustomize, readYamlFile, ref, REPO_ROOT, type K8sObject } from '../src/manifests.js';
import { allows, selects, type Peer } from '../src/network-policy.js';
import { containerProblems, imagePinned, isService, minimumReplicas, podLabels, podSpec, quantity, references, spec } from '../src/policy.js';
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

const find = (objects: K8sObject[], kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name);
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);

/** The env var's secretKeyRef (or literal value) in a Deployment's main container. */
function envOf(deployment: K8sObject, name: string) {
  return podSpec(deployment)?.containers[0]?.env?.find((variable) => variable.name === name);
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
          return typeof apiVersion === 'string' && typeof kind === 'string' ? [] : [`${relative(REPO_ROOT, file)} document ${index + 1}: no apiVersion or kind`];
        }),
      ),
    );
  });

  it('the Grafana dashboard is a JSON dashboard with panels', () => {
    const dashboard = JSON.parse(readFileSync(join(K8S_DIR, 'monitoring', 'grafana-dashboard.json'), 'utf8')) as { uid?: string; panels?: unknown[] };
    assert.ok(dashboard.uid, 'the dashboard has no uid');
    assert.ok((dashboard.panels?.length ?? 0) > 0, 'the dashboard has no panels');
  });

  it('secret.example.yaml is a valid Secret that no kustomization includes', () => {
    const [secret, ...rest] = readYamlFile(join(K8S_DIR, 'secret.example.yaml'));
    assert.equal(rest.length, 0);
    assert.ok(isK8sObject(secret) && secret.kind === 'Secret', 'secret.example.yaml does not hold a Secret');
    noProblems(schemaProblems(secret));
    const including = filesUnder(K8S_DIR, ['kustomization.yaml']).filter((file) => JSON.stringify(readYamlFile(file)).includes('secret.example'));
    assert.deepEqual(including.map((file) => relative(REPO_ROOT, file)), [], 'the example Secret must not be applied');
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
          else if (!service.some((endpoint) => endpoint.target === `Deployment/${name}`)) problems.push(`Service ${name} does not reach Deployment/${name}`);
          if (name !== 'router') {
            const migrate = podSpec(deployment)?.initContainers?.find((container) => container.command?.includes('packages/kit/dist/src/cli/migrate.js'));
            if (!migrate) problems.push(`Deployment/${name}: no initContainer running packages/kit/dist/src/cli/migrate.js`);
            else if (migrate.command?.at(-1) !== name) problems.push(`Deployment/${name}: the migration runs for "${migrate.command?.at(-1)}"`);
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
        if (!hpas.some((hpa) => spec(hpa).scaleTargetRef?.name === name)) problems.push(`Deployment/${name} has no HorizontalPodAutoscaler`);
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
            if (!keys) return [`${ref(object)} reads ${kind}/${name}, which neither the build, the operator (secret.example.yaml) nor CloudNativePG creates`];
            return key !== undefined && !keys.includes(key) ? [`${ref(object)} reads key ${key} of ${kind}/${name}, which has only ${keys.join(', ')}`] : [];
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
      const prometheus: Peer = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
      const dns = { peer: { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }, port: { number: 53, protocol: 'UDP' as const }, target: 'kube-dns' };
      const endpointsOf = (found: Endpoint[] | string, what: string): Endpoint[] => {
        if (typeof found === 'string') problems.push(`${what}: ${found}`);
        return typeof found === 'string' ? [] : found;
      };
      const expect = (fromName: string, from: Peer, to: Endpoint, open: boolean) => {
        if (allows(objects, from, to.peer, to.port) !== open) {
          problems.push(`${fromName} -> ${to.target} port ${to.port.number}: should be ${open ? 'allowed' : 'denied'}`);
        }
      };
      const service = (name: string) => endpointsOf(urlEndpoints(objects, `http://${name}:${4000 + SERVICES.indexOf(name)}`), `Service/${name}`);
      // Where each service's REDIS_URL and DATABASE_URL lead, read from its own configuration.
      const redis = new Map(SERVICES.map((name) => {
        const url = envOf(find(objects, 'Deployment', name)!, 'REDIS_URL')?.value;
        return [name, url ? endpointsOf(urlEndpoints(objects, url), `REDIS_URL of ${name}`) : []];
      }));
      const databases = new Map(SUBGRAPHS.map((name) => {
        const secret = envOf(find(objects, 'Deployment', name)!, 'DATABASE_URL')?.valueFrom?.secretKeyRef;
        if (!secret?.name) problems.push(`Deployment/${name}: DATABASE_URL is not read from a Secret`);
        return [name, secret?.name ? endpointsOf(databaseEndpoints(objects, secret.name, secret.key), `DATABASE_URL of ${name}`) : []];
      }));

      for (const name of SERVICES) {
        if (!redis.get(name)?.length) problems.push(`Deployment/${name}: REDIS_URL leads to no Redis pod`);
        redis.get(name)!.forEach((endpoint) => expect(name, pod(name), endpoint, true));
        expect(name, pod(name), dns, true);
      }
      service('router').forEach((router) => {
        expect('a client outside the namespace', outside, router, true);
        expect('Prometheus', prometheus, router, true);
      });
      for (const name of SUBGRAPHS) {
        const neighbour = name === 'catalog' ? 'orders' : 'catalog';
        service(name).forEach((subgraph) => {
          expect('router', pod('router'), subgraph, true);
          expect('Prometheus', prometheus, subgraph, true);
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
          endpoints.filter((endpoint) => !own.some((mine) => mine.target === endpoint.target)).forEach((endpoint) => expect(name, pod(name), endpoint, false));
        }
      }
      noProblems(problems);
    });

    it('ships the router dashboard to the Grafana sidecar and the alert rules to Prometheus', () => {
      const objects = build(overlay);
      const dashboard = ofKind(objects, 'ConfigMap').find((map) => map.metadata.labels?.grafana_dashboard === '1');
      assert.ok(dashboard, 'no ConfigMap labelled grafana_dashboard: "1"');
      const file = readFileSync(join(K8S_DIR, 'monitoring', 'grafana-dashboard.json'), 'utf8');
      assert.deepEqual(Object.values(dashboard.data as Record<string, string>).map((json) => JSON.parse(json)), [JSON.parse(file)]);
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
      if (cluster?.apiVersion !== 'postgresql.cnpg.io/v1') return [`Deployment/${name}: DATABASE_URL (Secret ${secret}) does not come from a CloudNativePG Cluster`];
      const problems: string[] = [];
      if (!(spec(cluster).instances >= 2)) problems.push(`${ref(cluster)}: ${spec(cluster).instances} instance(s), no failover`);
      if (spec(cluster).bootstrap?.initdb?.database !== name) problems.push(`${ref(cluster)}: creates database "${spec(cluster).bootstrap?.initdb?.database}", not "${name}"`);
      if (spec(cluster).affinity?.topologyKey !== 'topology.kubernetes.io/zone') problems.push(`${ref(cluster)}: instances are not spread across zones`);
      return problems;
    });
    noProblems(problems);
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
        .filter((workload) => !podSpec(workload)?.topologySpreadConstraints?.some((constraint) => constraint.topologyKey === 'topology.kubernetes.io/zone'))
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
        if (!(replicasProd > replicasDev) || replicasProd < 2) problems.push(`${ref(deployment)}: ${replicasProd} replicas in prod, ${replicasDev} in dev`);
        for (const container of podSpec(deployment)!.containers) {
          const old = podSpec(before)!.containers.find((candidate) => candidate.name === container.name);
          const [memoryDev, memoryProd] = [quantity(old?.resources?.limits?.memory), quantity(container.resources?.limits?.memory)];
          if (!(memoryProd > memoryDev)) {
            problems.push(`${ref(deployment)} container ${container.name}: memory limit ${container.resources?.limits?.memory} in prod, ${old?.resources?.limits?.memory} in dev`);
          }
        }
        return problems;
      }),
    );
  });
});

describe('monitoring', () => {
  interface Panel { title?: string; targets?: { expr?: string }[]; panels?: Panel[] }
  const dashboard = JSON.parse(readFileSync(join(K8S_DIR, 'monitoring', 'grafana-dashboard.json'), 'utf8')) as {
    panels: Panel[];
    templating?: { list: { name: string; type: string; query?: string | { query: string } }[] };
  };
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  const rules = readYamlFile(join(K8S_DIR, 'monitoring', 'prometheus-rules.yaml'))
    .filter(isK8sObject)
    .flatMap((rule) => (spec(rule).groups ?? []).flatMap((group: { rules: unknown[] }) => group.rules)) as
    { alert?: string; expr: string; labels?: { severity?: string }; annotations?: { summary?: string } }[];

  it('the dashboard queries only metrics and labels the services export', () => {
    const queries = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr ?? '' })));
    assert.ok(queries.length > 0, 'the dashboard has no queries');
    const variables = (dashboard.templating?.list ?? []).filter((variable) => variable.type === 'query');
    noProblems([
      ...queries.flatMap(({ where, expr }) => promqlProblems(expr, where)),
      ...variables.flatMap((variable) =>
        variableQueryProblems(typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? ''), `variable $${variable.name}`),
      ),
    ]);
  });

  it('the dashboard shows every router and process metric', () => {
    const used = new Set(panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricsOf(target.expr ?? ''))));
    const missing = Object.keys(METRICS)
      .filter((name) => /^(router_|process_|nodejs_)/.test(name))
      .filter((name) => ![name, `${name}_bucket`, `${name}_count`, `${name}_sum`].some((series) => used.has(series)));
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

  it('alerts on router errors and latency, a subgraph down, dead letters, consumer lag and outbox lag', () => {
    const alerting = (pattern: RegExp) => rules.some((rule) => rule.alert && pattern.test(rule.expr));
    const required: [string, RegExp][] = [
      ['router error rate', /router_operations_total\{[^}]*outcome="error"/],
      ['router p95 latency', /histogram_quantile\(0\.95,[\s\S]*router_operation_duration_seconds_bucket/],
      ['subgraph down', /\bup\{[^}]*job=~"[^"]*catalog/],
      ['dead letters growing', /\bevents_dead_letters\b/],
      ['consumer lag', /\bevents_consumer_lag\b/],
      ['outbox lag', /\bevents_outbox_oldest_age_seconds\b/],
    ];
    assert.deepEqual(required.filter(([, pattern]) => !alerting(pattern)).map(([name]) => name), [], 'alerts missing');
  });
});

describe('Dockerfile', () => {
  it('is multi-stage, on a pinned node:20 slim image, selected by ARG SERVICE, and runs as a numeric non-root user', () => {
    noProblems(dockerfileProblems(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')));
  });

  it('.dockerignore keeps local node_modules and build output out of the build context', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    for (const pattern of ['**/node_modules', '**/dist', '.git']) assert.ok(ignored.includes(pattern), `.dockerignore lacks ${pattern}`);
  });
});

// The checks above pass on good input; these show that they also fail on bad input.
describe('the checks catch mistakes', () => {
  it('an unknown metric, a misspelt label and a label no metric has', () => {
    assert.match(promqlProblems('sum(rate(router_operation_total[5m]))', 'x').join(), /unknown metric "router_operation_total"/);
    assert.match(promqlProblems('rate(router_operations_total{outcom="error"}[5m])', 'x').join(), /no label "outcom"/);
    assert.match(promqlProblems('sum by (subgraph) (rate(router_operations_total[5m]))', 'x').join(), /label "subgraph"/);
    const good = 'histogram_quantile(0.99, sum by (le, subgraph) (rate(router_subgraph_request_duration_seconds_bucket{job="router"}[$__rate_interval])))';
    assert.deepEqual(promqlProblems(good, 'x'), []);
    assert.match(variableQueryProblems('label_values(router_rejections_total, client_name)', 'x').join(), /no label "client_name"/);
  });

  it('a container without limits, on :latest, as root, with a writable root filesystem', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bad' },
      spec: {
        template: { metadata: { labels: {} }, spec: { containers: [{ name: 'app', image: 'nginx:latest', resources: { requests: { cpu: '1', memory: '1Gi' } } }] } },
      },
    } as K8sObject;
    const problems = containerProblems(deployment).join('\n');
    for (const expected of ['no resources.limits.cpu', 'not pinned', 'runAsNonRoot', 'readOnlyRootFilesystem', 'drop ALL', 'no readinessProbe', 'no livenessProbe']) {
      assert.ok(problems.includes(expected), `not reported: ${expected}\n${problems}`);
    }
    assert.equal(imagePinned('registry.example.com:5000/commerce/router'), false);
    assert.equal(imagePinned('registry.example.com:5000/commerce/router:0.1.0'), true);
    assert.equal(isService(deployment), false);
  });

  it('a single-stage Dockerfile on node:latest running as root', () => {
    const problems = dockerfileProblems('FROM node:latest\nCOPY . .\nRUN npm install\nCMD npm start\n').join('\n');
    for (const expected of ['not multi-stage', 'not a pinned node:20 slim', 'ARG SERVICE', 'npm ci', 'as root', 'NODE_ENV', 'exec-form CMD']) {
      assert.ok(problems.includes(expected), `not reported: ${expected}\n${problems}`);
    }
  });

  it('quantities compare as Kubernetes reads them', () => {
    assert.equal(quantity('500m'), 0.5);
    assert.ok(quantity('1Gi') > quantity('768Mi'));
    assert.ok(Number.isNaN(quantity('lots')));
  });
});
