// A small NetworkPolicy evaluator (pod and namespace selectors, ports by number or name; ipBlocks are
// ignored), enough to check that the intended flows are open and the others closed.
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import type { K8sObject } from './manifests.js';

type Labels = Record<string, string>;
export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A pod somewhere in the cluster. */
export interface Peer {
  namespace: string;
  labels: Labels;
}

export interface Port {
  number: number;
  name?: string;
  protocol?: 'TCP' | 'UDP';
}

export function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return false;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    byLabel &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case 'In':
          return labels[key] !== undefined && values.includes(labels[key]);
        case 'NotIn':
          return labels[key] === undefined || !values.includes(labels[key]);
        case 'Exists':
          return key in labels;
        case 'DoesNotExist':
          return !(key in labels);
        default:
          throw new Error(`unknown label selector operator ${operator}`);
      }
    })
  );
}

/** Every namespace carries its own name as kubernetes.io/metadata.name (Kubernetes >= 1.21). */
function namespaceLabels(namespace: string): Labels {
  return { 'kubernetes.io/metadata.name': namespace };
}

function peerMatches(rule: INetworkPolicyPeer, policyNamespace: string, peer: Peer): boolean {
  if (rule.ipBlock) return false;
  const inNamespace = rule.namespaceSelector
    ? selects(rule.namespaceSelector as LabelSelector, namespaceLabels(peer.namespace))
    : peer.namespace === policyNamespace;
  return inNamespace && (!rule.podSelector || selects(rule.podSelector as LabelSelector, peer.labels));
}

function portMatches(rules: INetworkPolicyPort[] | undefined, port: Port): boolean {
  if (!rules || rules.length === 0) return true;
  return rules.some(
    (rule) =>
      (rule.protocol ?? 'TCP') === (port.protocol ?? 'TCP') &&
      (rule.port === undefined || rule.port === port.number || (port.name !== undefined && rule.port === port.name)),
  );
}

/** A NetworkPolicy among the kustomize output (its spec as kubernetes-models types it). */
function isNetworkPolicy(object: K8sObject): object is INetworkPolicy & K8sObject {
  return object.kind === 'NetworkPolicy';
}

/** Whether the policies let `from` open a connection to `to` on `port` (both directions' policies apply). */
export function allows(objects: K8sObject[], from: Peer, to: Peer, port: Port): boolean {
  const policies = objects.filter(isNetworkPolicy);
  const side = (pod: Peer, type: 'Ingress' | 'Egress') =>
    policies.filter(
      (policy) =>
        (policy.metadata.namespace ?? 'default') === pod.namespace &&
        selects((policy.spec?.podSelector ?? {}) as LabelSelector, pod.labels) &&
        (policy.spec?.policyTypes ?? ['Ingress']).includes(type),
    );
  const egress = side(from, 'Egress');
  const egressAllowed =
    egress.length === 0 ||
    egress.some((policy) =>
      (policy.spec?.egress ?? []).some(
        (rule) =>
          (!rule.to?.length || rule.to.some((peer) => peerMatches(peer, policy.metadata.namespace ?? '', to))) &&
          portMatches(rule.ports, port),
      ),
    );
  const ingress = side(to, 'Ingress');
  const ingressAllowed =
    ingress.length === 0 ||
    ingress.some((policy) =>
      (policy.spec?.ingress ?? []).some(
        (rule) =>
          (!rule.from?.length || rule.from.some((peer) => peerMatches(peer, policy.metadata.namespace ?? '', from))) &&
          portMatches(rule.ports, port),
      ),
    );
  return egressAllowed && ingressAllowed;
}
