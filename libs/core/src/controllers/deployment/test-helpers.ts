/** Deployments, their ReplicaSets and pods, and a small simulated cluster, for the specs. */
import { formatTimestamp, type KubeObject } from '../../api/types';
import {
  applyReplicaSetUpdate,
  podTemplateHash,
  reconcileDeployment,
  type DeploymentReconcileResult,
  planRollback,
} from '.';
import { reconcileReplicaSet } from '../replicaset';
import { deepFreeze, ownerRef, pod, ts } from '../test-helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed fixtures
export type Obj = Record<string, any>;

export function template(image = 'nginx:1'): Obj {
  return {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image }] },
  };
}

export function deployment(o: {
  replicas?: number;
  image?: string;
  strategy?: Obj;
  paused?: boolean;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  generation?: number;
  status?: Obj;
  annotations?: Record<string, string>;
  deleting?: boolean;
}): KubeObject {
  const d: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'uid-web',
      resourceVersion: '5',
      generation: o.generation ?? 1,
      creationTimestamp: ts(0),
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.deleting ? { deletionTimestamp: ts(0) } : {}),
    },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: 'web' } },
      template: template(o.image),
      strategy: o.strategy ?? {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      ...(o.paused !== undefined ? { paused: o.paused } : {}),
      ...(o.minReadySeconds !== undefined ? { minReadySeconds: o.minReadySeconds } : {}),
      revisionHistoryLimit: o.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
    },
  };
  if (o.status) d.status = o.status;
  return d;
}

/** A ReplicaSet of `deploy` for the given image, as the controller would have created it. */
export function ownedRS(
  deploy: KubeObject,
  o: {
    image?: string;
    replicas: number;
    revision: number;
    createdAt?: number;
    desired?: number;
    max?: number;
    statusReplicas?: number;
    extraAnnotations?: Record<string, string>;
  },
): KubeObject {
  const t = template(o.image);
  const hash = podTemplateHash(t);
  const labels = { app: 'web', 'pod-template-hash': hash };
  const annotations: Record<string, string> = {
    'deployment.kubernetes.io/revision': String(o.revision),
    ...o.extraAnnotations,
  };
  if (o.desired !== undefined) {
    annotations['deployment.kubernetes.io/desired-replicas'] = String(o.desired);
  }
  if (o.max !== undefined) annotations['deployment.kubernetes.io/max-replicas'] = String(o.max);
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'default',
      uid: `uid-rs-${hash}`,
      resourceVersion: '7',
      generation: 1,
      labels,
      annotations,
      creationTimestamp: ts(o.createdAt ?? 0),
      ownerReferences: [ownerRef(deploy)],
    },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: labels },
      template: { ...t, metadata: { labels } },
    },
    status: { replicas: o.statusReplicas ?? 0, observedGeneration: 1 },
  };
}

export function podsFor(
  rs: KubeObject,
  n: number,
  o: { readyAt?: number | false; from?: number } = {},
) {
  const out: KubeObject[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      pod({
        name: `${rs.metadata.name}-${(o.from ?? 0) + i}`,
        owner: rs,
        labels: rs.metadata.labels,
        nodeName: 'n1',
        readyAt: o.readyAt === undefined ? 0 : o.readyAt,
      }),
    );
  }
  return out;
}

export const messages = (r: DeploymentReconcileResult) => r.events.map((e) => e.message);
export const scales = (r: DeploymentReconcileResult) =>
  r.scaleReplicaSets.map((u) => `${u.rs.metadata.name}=${u.replicas}`);
export const cond = (r: DeploymentReconcileResult, type: string) =>
  r.status.conditions.find((c) => c.type === type);

export interface World {
  deploy: KubeObject;
  rss: KubeObject[];
  pods: KubeObject[];
  now: Date;
  uid: number;
}

export function step(w: World, suffix: () => string): DeploymentReconcileResult {
  const r = reconcileDeployment(
    deepFreeze(w.deploy),
    deepFreeze([...w.rss]),
    deepFreeze([...w.pods]),
    w.now,
  );
  const stamp = formatTimestamp(w.now);
  if (r.createReplicaSet) {
    const rs = structuredClone(r.createReplicaSet);
    rs.metadata.uid = `rs-${++w.uid}`;
    rs.metadata.creationTimestamp = stamp;
    rs.metadata.generation = 1;
    rs.status = { observedGeneration: 1 };
    w.rss = [...w.rss, rs];
  }
  for (const u of r.scaleReplicaSets) {
    const next = applyReplicaSetUpdate(u);
    w.rss = w.rss.map((rs) => (rs.metadata.uid === u.rs.metadata.uid ? next : rs));
  }
  const deleted = new Set(r.deleteReplicaSets.map((rs) => rs.metadata.uid));
  w.rss = w.rss.filter((rs) => !deleted.has(rs.metadata.uid));
  w.deploy = {
    ...w.deploy,
    metadata: {
      ...w.deploy.metadata,
      ...(r.deploymentAnnotations ? { annotations: r.deploymentAnnotations } : {}),
    },
    status: structuredClone(r.status),
  };
  for (const rs of w.rss) {
    const rr = reconcileReplicaSet(deepFreeze(rs), deepFreeze([...w.pods]), w.now, {
      nameSuffix: suffix,
    });
    for (const p of rr.createPods) {
      const created = structuredClone(p);
      created.metadata.uid = `pod-${++w.uid}`;
      created.metadata.creationTimestamp = stamp;
      (created.spec as Obj).nodeName = 'n1';
      created.status = { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False' }] };
      w.pods = [...w.pods, created];
    }
    const gone = new Set(rr.deletePods.map((p) => p.metadata.uid));
    w.pods = w.pods.filter((p) => !gone.has(p.metadata.uid));
    w.rss = w.rss.map((x) => (x === rs ? { ...rs, status: structuredClone(rr.status) } : x));
  }
  return r;
}

export function becomeReady(w: World): void {
  w.pods = w.pods.map((p) =>
    (p.status as Obj).phase === 'Pending'
      ? {
          ...p,
          status: {
            phase: 'Running',
            conditions: [
              { type: 'Ready', status: 'True', lastTransitionTime: formatTimestamp(w.now) },
            ],
          },
        }
      : p,
  );
}

/** What planRollback gives for a rollback that can happen (the test fails otherwise). */
export function rolledBack(
  deploy: KubeObject,
  replicaSets: readonly KubeObject[],
  toRevision?: number,
): KubeObject {
  const plan = planRollback(deploy, replicaSets, toRevision);
  if (!plan.ok) throw new Error(plan.message);
  return plan.deployment;
}
