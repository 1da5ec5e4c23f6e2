/** Object factories for the controllers' unit tests. */
import { formatTimestamp, type KubeObject, type OwnerReference } from '../api/types';

export const T0 = new Date('2024-05-01T12:00:00Z');

export function at(seconds: number, base: Date = T0): Date {
  return new Date(base.getTime() + seconds * 1000);
}

export function ts(seconds: number, base: Date = T0): string {
  return formatTimestamp(at(seconds, base));
}

export function ownerRef(owner: KubeObject, controller = true): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller,
    blockOwnerDeletion: true,
  };
}

export interface PodOptions {
  name: string;
  uid?: string;
  namespace?: string;
  labels?: Record<string, string>;
  owner?: KubeObject;
  phase?: string;
  /** Ready since this many seconds after T0 (a number), or not ready (false/undefined). */
  readyAt?: number | false;
  nodeName?: string;
  createdAt?: number;
  restarts?: number;
  deleting?: boolean;
  annotations?: Record<string, string>;
  tolerations?: unknown[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export function pod(o: PodOptions): KubeObject {
  const ready = typeof o.readyAt === 'number';
  const p: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: o.namespace ?? 'default',
      uid: o.uid ?? `uid-${o.name}`,
      resourceVersion: '1',
      labels: o.labels ?? { app: 'web' },
      creationTimestamp: ts(o.createdAt ?? 0),
    },
    spec: {
      containers: [
        { name: 'app', image: 'nginx', ...(o.resources ? { resources: o.resources } : {}) },
      ],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
    },
    status: {
      phase: o.phase ?? (ready ? 'Running' : 'Pending'),
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          ...(ready ? { lastTransitionTime: ts(o.readyAt as number) } : {}),
        },
      ],
      containerStatuses: [{ name: 'app', ready, restartCount: o.restarts ?? 0 }],
    },
  };
  if (o.owner) p.metadata.ownerReferences = [ownerRef(o.owner)];
  if (o.deleting) p.metadata.deletionTimestamp = ts(0);
  if (o.annotations) p.metadata.annotations = o.annotations;
  return p;
}

export function replicaSet(o: {
  name?: string;
  uid?: string;
  replicas?: number;
  minReadySeconds?: number;
  labels?: Record<string, string>;
  selector?: Record<string, string>;
  generation?: number;
  owner?: KubeObject;
  annotations?: Record<string, string>;
  template?: Record<string, unknown>;
  createdAt?: number;
  status?: Record<string, unknown>;
  deleting?: boolean;
}): KubeObject {
  const name = o.name ?? 'web-abc';
  const labels = o.labels ?? { app: 'web' };
  const rs: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'default',
      uid: o.uid ?? `uid-${name}`,
      resourceVersion: '10',
      generation: o.generation ?? 1,
      labels,
      creationTimestamp: ts(o.createdAt ?? 0),
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      replicas: o.replicas ?? 3,
      ...(o.minReadySeconds !== undefined ? { minReadySeconds: o.minReadySeconds } : {}),
      selector: { matchLabels: o.selector ?? labels },
      template: o.template ?? {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
    },
    ...(o.status ? { status: o.status } : {}),
  };
  if (o.owner) rs.metadata.ownerReferences = [ownerRef(o.owner)];
  if (o.deleting) rs.metadata.deletionTimestamp = ts(0);
  return rs;
}

/** A suffix generator that yields s1, s2, s3 … */
export function counterSuffix(prefix = 's'): () => string {
  let n = 0;
  return () => `${prefix}${++n}`;
}

/** Freezes an object graph so a test fails if a decision mutates its input. */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v as object)) deepFreeze(child);
  }
  return v;
}
