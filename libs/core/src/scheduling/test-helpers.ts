/** Factories for scheduling specs: nodes and pods with only what a test cares about. */
import type { KubeObject } from '../api/types';

export type NodeOptions = {
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeralStorage?: string;
  /** Extra allocatable entries, e.g. `{ 'nvidia.com/gpu': '2' }`. */
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
  unschedulable?: boolean;
  deleting?: boolean;
  /** Put the resources under `capacity` instead of `allocatable`. */
  capacityOnly?: boolean;
};

export function makeNode(name: string, o: NodeOptions = {}): KubeObject {
  const resources: Record<string, string> = {};
  resources.cpu = o.cpu ?? '4';
  resources.memory = o.memory ?? '8Gi';
  if (o.pods !== undefined) resources.pods = o.pods;
  if (o.ephemeralStorage !== undefined) resources['ephemeral-storage'] = o.ephemeralStorage;
  Object.assign(resources, o.extra ?? {});
  const spec: Record<string, unknown> = {};
  if (o.taints) spec.taints = o.taints;
  if (o.unschedulable) spec.unschedulable = true;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `node-${name}`,
      labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) },
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec,
    status: {
      ...(o.capacityOnly
        ? { capacity: resources }
        : { allocatable: resources, capacity: resources }),
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

export type PodOptions = {
  namespace?: string;
  cpu?: string;
  memory?: string;
  ephemeralStorage?: string;
  extra?: Record<string, string>;
  /** Controller owner uid. */
  owner?: string;
  nodeName?: string;
  phase?: string;
  priority?: number;
  created?: string;
  tolerations?: unknown[];
  nodeSelector?: Record<string, string>;
  affinity?: unknown;
  deleting?: boolean;
  uid?: string;
  schedulingGates?: Array<{ name: string }>;
};

export function makePod(name: string, o: PodOptions = {}): KubeObject {
  const requests: Record<string, string> = {};
  if (o.cpu !== undefined) requests.cpu = o.cpu;
  if (o.memory !== undefined) requests.memory = o.memory;
  if (o.ephemeralStorage !== undefined) requests['ephemeral-storage'] = o.ephemeralStorage;
  Object.assign(requests, o.extra ?? {});
  const spec: Record<string, unknown> = {
    containers: [
      {
        name: 'main',
        image: 'busybox',
        ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}),
      },
    ],
  };
  if (o.nodeName !== undefined) spec.nodeName = o.nodeName;
  if (o.priority !== undefined) spec.priority = o.priority;
  if (o.tolerations) spec.tolerations = o.tolerations;
  if (o.nodeSelector) spec.nodeSelector = o.nodeSelector;
  if (o.affinity) spec.affinity = o.affinity;
  if (o.schedulingGates) spec.schedulingGates = o.schedulingGates;
  const namespace = o.namespace ?? 'default';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: o.uid ?? `pod-${namespace}-${name}`,
      creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
      ...(o.owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: o.owner,
                uid: o.owner,
                controller: true,
              },
            ],
          }
        : {}),
      ...(o.deleting ? { deletionTimestamp: '2024-01-02T00:00:00Z' } : {}),
    },
    spec,
    status: { phase: o.phase ?? 'Pending' },
  };
}

/** A small deterministic PRNG (mulberry32) for property-style specs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deep-freezes test fixtures so that any mutation by the code under test throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
