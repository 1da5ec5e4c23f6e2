import type { KubeObject } from '../api/types';
import {
  applyReplicaSetUpdate,
  equalIgnoreHash,
  maxSurgeOf,
  maxUnavailableOf,
  planRollback,
  podTemplateHash,
  reconcileDeployment,
  resolveFenceposts,
  rollbackTemplate,
  type DeploymentReconcileResult,
} from './deployment';
import { reconcileReplicaSet } from './replicaset';
import { at, counterSuffix, deepFreeze, ownerRef, pod, T0, ts } from './test-helpers';
import { formatTimestamp } from '../api/types';

type Obj = Record<string, any>;

function template(image = 'nginx:1'): Obj {
  return {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image }] },
  };
}

function deployment(o: {
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
function ownedRS(
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

function podsFor(rs: KubeObject, n: number, o: { readyAt?: number | false; from?: number } = {}) {
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

const messages = (r: DeploymentReconcileResult) => r.events.map((e) => e.message);
const scales = (r: DeploymentReconcileResult) =>
  r.scaleReplicaSets.map((u) => `${u.rs.metadata.name}=${u.replicas}`);
const cond = (r: DeploymentReconcileResult, type: string) =>
  r.status.conditions.find((c) => c.type === type);

describe('podTemplateHash', () => {
  it('is stable, independent of key order, and uses safe characters', () => {
    const a = podTemplateHash({ metadata: { labels: { app: 'web' } }, spec: { x: 1, y: 2 } });
    const b = podTemplateHash({ spec: { y: 2, x: 1 }, metadata: { labels: { app: 'web' } } });
    expect(a).toBe(b);
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(podTemplateHash(template('nginx:2'))).not.toBe(podTemplateHash(template('nginx:1')));
  });

  it('changes with the collision count', () => {
    const t = template();
    const hashes = new Set([
      podTemplateHash(t),
      podTemplateHash(t, 0),
      podTemplateHash(t, 1),
      podTemplateHash(t, 2),
    ]);
    expect(hashes.size).toBe(4);
    expect(podTemplateHash(t, 1)).toBe(podTemplateHash(t, 1));
  });
});

describe('resolveFenceposts', () => {
  it('rounds surge up and unavailable down', () => {
    expect(resolveFenceposts('25%', '25%', 3)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(resolveFenceposts('25%', '25%', 10)).toEqual({ maxSurge: 3, maxUnavailable: 2 });
    expect(resolveFenceposts(2, 1, 10)).toEqual({ maxSurge: 2, maxUnavailable: 1 });
    expect(resolveFenceposts('10%', '10%', 5)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('makes maxUnavailable 1 when both resolve to zero', () => {
    expect(resolveFenceposts(0, '10%', 5)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(resolveFenceposts('0%', '0%', 100)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('gives Recreate no surge and no unavailability budget; caps unavailable at replicas', () => {
    const d = deployment({ strategy: { type: 'Recreate' } });
    expect(maxSurgeOf(d)).toBe(0);
    expect(maxUnavailableOf(d)).toBe(0);
    const few = deployment({
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 5 } },
    });
    expect(maxUnavailableOf(few)).toBe(2);
  });
});

describe('equalIgnoreHash', () => {
  it('ignores only the pod-template-hash label', () => {
    const a = template();
    const b = { ...template(), metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } } };
    expect(equalIgnoreHash(a, b)).toBe(true);
    expect(equalIgnoreHash(a, template('nginx:2'))).toBe(false);
    expect(equalIgnoreHash(a, { ...template(), metadata: { labels: { app: 'www' } } })).toBe(false);
  });
});

describe('reconcileDeployment: a new Deployment', () => {
  it('creates the first ReplicaSet at full size with revision 1', () => {
    const d = deepFreeze(
      deployment({ replicas: 3, annotations: { 'kubernetes.io/change-cause': 'v1' } }),
    );
    const r = reconcileDeployment(d, [], [], T0);
    const hash = podTemplateHash(template());
    const rs = r.createReplicaSet!;
    expect(rs).toEqual({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `web-${hash}`,
        namespace: 'default',
        labels: { app: 'web', 'pod-template-hash': hash },
        annotations: {
          'kubernetes.io/change-cause': 'v1',
          'deployment.kubernetes.io/revision': '1',
          'deployment.kubernetes.io/desired-replicas': '3',
          'deployment.kubernetes.io/max-replicas': '4',
        },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: 'web',
            uid: 'uid-web',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        replicas: 3,
        minReadySeconds: 0,
        selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } },
        template: {
          metadata: { labels: { app: 'web', 'pod-template-hash': hash } },
          spec: { containers: [{ name: 'app', image: 'nginx:1' }] },
        },
      },
    });
    expect(messages(r)).toEqual([`Scaled up replica set web-${hash} from 0 to 3`]);
    expect(r.events[0]).toMatchObject({
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      involvedObject: { kind: 'Deployment', name: 'web', namespace: 'default' },
      source: { component: 'deployment-controller' },
    });
    expect(r.deploymentAnnotations).toEqual({
      'kubernetes.io/change-cause': 'v1',
      'deployment.kubernetes.io/revision': '1',
    });
    expect(r.status).toMatchObject({
      observedGeneration: 1,
      replicas: 0,
      updatedReplicas: 0,
      readyReplicas: 0,
      availableReplicas: 0,
      unavailableReplicas: 3,
    });
    expect(cond(r, 'Available')).toEqual({
      type: 'Available',
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
      message: 'Deployment does not have minimum availability.',
      lastUpdateTime: '2024-05-01T12:00:00Z',
      lastTransitionTime: '2024-05-01T12:00:00Z',
    });
    expect(cond(r, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetCreated',
      message: `Created new replica set "web-${hash}"`,
    });
    expect(r.status.collisionCount).toBeUndefined();
  });

  it('reports a complete rollout once all pods are available', () => {
    const d = deployment({ replicas: 3 });
    const rs = ownedRS(d, { replicas: 3, revision: 1, desired: 3, max: 4, statusReplicas: 3 });
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
    d.status = {
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'ReplicaSetUpdated',
          message: `ReplicaSet "${rs.metadata.name}" is progressing.`,
          lastUpdateTime: ts(0),
          lastTransitionTime: ts(0),
        },
      ],
    };
    const r = reconcileDeployment(deepFreeze(d), [rs], podsFor(rs, 3), at(30));
    expect(r.createReplicaSet).toBeUndefined();
    expect(r.scaleReplicaSets).toEqual([]);
    expect(r.deploymentAnnotations).toBeUndefined();
    expect(r.status).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      unavailableReplicas: 0,
    });
    expect(cond(r, 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
    });
    expect(cond(r, 'Progressing')).toEqual({
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${rs.metadata.name}" has successfully progressed.`,
      lastUpdateTime: ts(30),
      lastTransitionTime: ts(0),
    });
    expect(r.requeueAfterMs).toBeUndefined();
  });

  it('records Found new replica set when there is no Progressing condition yet', () => {
    const d = deployment({ replicas: 1 });
    const rs = ownedRS(d, { replicas: 1, revision: 1, desired: 1 });
    const r = reconcileDeployment(d, [rs], [], T0);
    // the status pass that follows sees no progress yet, so the reason stays
    expect(cond(r, 'Progressing')).toMatchObject({
      reason: 'FoundNewReplicaSet',
      message: `Found new replica set "${rs.metadata.name}"`,
    });
  });
});

describe('reconcileDeployment: rolling update', () => {
  const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } };

  it('surges the new ReplicaSet and scales the old one down within the budget', () => {
    const d = deployment({ replicas: 10, image: 'nginx:2', strategy });
    const old = ownedRS(d, { replicas: 10, revision: 1, desired: 10, max: 13, statusReplicas: 10 });
    const r = reconcileDeployment(
      deepFreeze(d),
      deepFreeze([old]),
      deepFreeze(podsFor(old, 10)),
      T0,
    );
    const newName = `web-${podTemplateHash(template('nginx:2'))}`;
    expect(r.createReplicaSet!.metadata.name).toBe(newName);
    expect((r.createReplicaSet!.spec as Obj).replicas).toBe(3);
    expect(r.createReplicaSet!.metadata.annotations!['deployment.kubernetes.io/revision']).toBe(
      '2',
    );
    expect(scales(r)).toEqual([`${old.metadata.name}=8`]);
    expect(messages(r)).toEqual([
      `Scaled up replica set ${newName} from 0 to 3`,
      `Scaled down replica set ${old.metadata.name} from 10 to 8`,
    ]);
    expect(r.deploymentAnnotations).toEqual({ 'deployment.kubernetes.io/revision': '2' });
  });

  it('does not scale old pods down while the new ones are unavailable', () => {
    const d = deployment({ replicas: 10, image: 'nginx:2', strategy });
    const old = ownedRS(d, { replicas: 8, revision: 1, desired: 10, max: 13 });
    const neu = ownedRS(d, {
      image: 'nginx:2',
      replicas: 5,
      revision: 2,
      desired: 10,
      max: 13,
      createdAt: 10,
    });
    const pods = [...podsFor(old, 8), ...podsFor(neu, 5, { readyAt: false })];
    const r = reconcileDeployment(d, [old, neu], pods, at(20));
    // 13 - 8 (min available) - 5 (new unavailable) = 0
    expect(r.scaleReplicaSets).toEqual([]);
    expect(r.events).toEqual([]);
  });

  it('removes unhealthy old replicas first', () => {
    const d = deployment({ replicas: 10, image: 'nginx:2', strategy });
    const old = ownedRS(d, { replicas: 10, revision: 1, desired: 10, max: 13 });
    const neu = ownedRS(d, {
      image: 'nginx:2',
      replicas: 3,
      revision: 2,
      desired: 10,
      max: 13,
      createdAt: 10,
    });
    const pods = [
      ...podsFor(old, 7),
      ...podsFor(old, 3, { readyAt: false, from: 7 }),
      ...podsFor(neu, 3),
    ];
    const r = reconcileDeployment(d, [old, neu], pods, at(20));
    // max scale-down 13 - 8 - 0 = 5: 3 unhealthy, then 10 available - 8 = 2 more
    expect(scales(r)).toEqual([`${old.metadata.name}=5`]);
    expect(messages(r)).toEqual([
      `Scaled down replica set ${old.metadata.name} from 10 to 7`,
      `Scaled down replica set ${old.metadata.name} from 7 to 5`,
    ]);
  });

  it('does not count pods of an old ReplicaSet above its size as available', () => {
    const d = deployment({
      replicas: 4,
      image: 'nginx:2',
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
    });
    // The old ReplicaSet was scaled 4 → 3, but its controller has not deleted a pod yet.
    const old = ownedRS(d, { replicas: 3, revision: 1, desired: 4, max: 4 });
    const neu = ownedRS(d, {
      image: 'nginx:2',
      replicas: 1,
      revision: 2,
      desired: 4,
      max: 4,
      createdAt: 10,
    });
    const pods = [...podsFor(old, 4), ...podsFor(neu, 1, { readyAt: false })];
    const r = reconcileDeployment(d, [old, neu], pods, at(20));
    expect(r.scaleReplicaSets).toEqual([]);
  });

  it('scales a too-large new ReplicaSet down to the replica count', () => {
    const d = deployment({ replicas: 2 });
    const rs = ownedRS(d, { replicas: 5, revision: 1, desired: 2, max: 3 });
    const r = reconcileDeployment(d, [rs], podsFor(rs, 5), T0);
    expect(scales(r)).toEqual([`${rs.metadata.name}=2`]);
  });

  it('asks to be requeued when the progress deadline would pass', () => {
    const d = deployment({ replicas: 2, progressDeadlineSeconds: 60 });
    const rs = ownedRS(d, { replicas: 2, revision: 1, desired: 2, max: 3 });
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
    d.status = {
      replicas: 2,
      updatedReplicas: 2,
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'ReplicaSetUpdated',
          message: 'x',
          lastUpdateTime: ts(0),
          lastTransitionTime: ts(0),
        },
      ],
    };
    const pods = podsFor(rs, 2, { readyAt: false });
    const r = reconcileDeployment(d, [rs], pods, at(20));
    expect(cond(r, 'Progressing')!.reason).toBe('ReplicaSetUpdated');
    expect(r.requeueAfterMs).toBe(40_001);

    const late = reconcileDeployment(d, [rs], pods, at(61));
    expect(cond(late, 'Progressing')).toEqual({
      type: 'Progressing',
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.`,
      lastUpdateTime: ts(61),
      lastTransitionTime: ts(61),
    });
    expect(late.requeueAfterMs).toBeUndefined();
  });

  it('refreshes lastUpdateTime when the rollout progresses', () => {
    const d = deployment({ replicas: 2, progressDeadlineSeconds: 60 });
    const rs = ownedRS(d, { replicas: 2, revision: 1, desired: 2, max: 3 });
    d.status = {
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 0,
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'ReplicaSetUpdated',
          message: 'x',
          lastUpdateTime: ts(0),
          lastTransitionTime: ts(0),
        },
      ],
    };
    const pods = [...podsFor(rs, 1), ...podsFor(rs, 1, { readyAt: false, from: 1 })];
    const r = reconcileDeployment(d, [rs], pods, at(50));
    expect(cond(r, 'Progressing')).toMatchObject({
      reason: 'ReplicaSetUpdated',
      message: `ReplicaSet "${rs.metadata.name}" is progressing.`,
      lastUpdateTime: ts(50),
      lastTransitionTime: ts(0),
    });
    expect(r.requeueAfterMs).toBe(60_001);
  });

  it('requeues when a ready pod becomes available after minReadySeconds', () => {
    const d = deployment({ replicas: 1, minReadySeconds: 10 });
    const rs = ownedRS(d, { replicas: 1, revision: 1, desired: 1, max: 2 });
    (rs.spec as Obj).minReadySeconds = 10;
    const r = reconcileDeployment(d, [rs], podsFor(rs, 1, { readyAt: 5 }), at(8));
    expect(r.status.readyReplicas).toBe(1);
    expect(r.status.availableReplicas).toBe(0);
    expect(r.requeueAfterMs).toBe(7_001);
  });

  it('syncs minReadySeconds and copied annotations onto the new ReplicaSet', () => {
    const d = deployment({ replicas: 1, minReadySeconds: 5, annotations: { team: 'a' } });
    const rs = ownedRS(d, { replicas: 1, revision: 1, desired: 1, max: 2 });
    const r = reconcileDeployment(d, [rs], podsFor(rs, 1), at(100));
    expect(r.scaleReplicaSets).toHaveLength(1);
    const u = r.scaleReplicaSets[0]!;
    expect(u.replicas).toBe(1);
    expect(u.minReadySeconds).toBe(5);
    expect(u.annotations).toMatchObject({ team: 'a', 'deployment.kubernetes.io/revision': '1' });
    const written = applyReplicaSetUpdate(u);
    expect((written.spec as Obj).minReadySeconds).toBe(5);
    expect(written.metadata.annotations!.team).toBe('a');
    expect(written.metadata.resourceVersion).toBe('7');
    expect((rs.spec as Obj).minReadySeconds).toBeUndefined();
  });
});

describe('reconcileDeployment: Recreate', () => {
  const strategy = { type: 'Recreate' };

  it('scales old to zero, waits for its pods, then creates the new ReplicaSet', () => {
    const d = deployment({ replicas: 3, image: 'nginx:2', strategy });
    const old = ownedRS(d, { replicas: 3, revision: 1, desired: 3, max: 3, statusReplicas: 3 });
    const step1 = reconcileDeployment(d, [old], podsFor(old, 3), T0);
    expect(step1.createReplicaSet).toBeUndefined();
    expect(scales(step1)).toEqual([`${old.metadata.name}=0`]);
    expect(messages(step1)).toEqual([`Scaled down replica set ${old.metadata.name} from 3 to 0`]);

    const scaled = applyReplicaSetUpdate(step1.scaleReplicaSets[0]!);
    const terminating = podsFor(old, 3).map((p) => ({
      ...p,
      metadata: { ...p.metadata, deletionTimestamp: ts(1) },
    }));
    const step2 = reconcileDeployment(d, [scaled], terminating, at(2));
    expect(step2.createReplicaSet).toBeUndefined();
    expect(step2.scaleReplicaSets).toEqual([]);

    // its controller has reported the pods gone
    const settled = { ...scaled, status: { replicas: 0, observedGeneration: 1 } };
    const step3 = reconcileDeployment(d, [settled], [], at(5));
    const name = `web-${podTemplateHash(template('nginx:2'))}`;
    expect(step3.createReplicaSet!.metadata.name).toBe(name);
    expect((step3.createReplicaSet!.spec as Obj).replicas).toBe(3);
    expect(step3.createReplicaSet!.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '2',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '3',
    });
    expect(messages(step3)).toEqual([`Scaled up replica set ${name} from 0 to 3`]);
  });

  it('waits while the old ReplicaSet still reports replicas', () => {
    const d = deployment({ replicas: 3, image: 'nginx:2', strategy });
    const old = ownedRS(d, { replicas: 0, revision: 1, desired: 3, max: 3, statusReplicas: 1 });
    expect(reconcileDeployment(d, [old], [], T0).createReplicaSet).toBeUndefined();
  });

  it('needs every pod available for the Available condition', () => {
    const d = deployment({ replicas: 3, strategy });
    const rs = ownedRS(d, { replicas: 3, revision: 1, desired: 3, max: 3 });
    const pods = [...podsFor(rs, 2), ...podsFor(rs, 1, { readyAt: false, from: 2 })];
    expect(cond(reconcileDeployment(d, [rs], pods, T0), 'Available')!.status).toBe('False');
  });
});

describe('reconcileDeployment: scaling', () => {
  it('scales the only active ReplicaSet to the new replica count', () => {
    const d = deployment({ replicas: 5 });
    const rs = ownedRS(d, { replicas: 3, revision: 1, desired: 3, max: 4 });
    const r = reconcileDeployment(d, [rs], podsFor(rs, 3), T0);
    expect(scales(r)).toEqual([`${rs.metadata.name}=5`]);
    expect(r.scaleReplicaSets[0]!.annotations).toMatchObject({
      'deployment.kubernetes.io/desired-replicas': '5',
      'deployment.kubernetes.io/max-replicas': '7',
    });
    expect(messages(r)).toEqual([`Scaled up replica set ${rs.metadata.name} from 3 to 5`]);
  });

  it('scales proportionally during a rollout', () => {
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } };
    const d = deployment({ replicas: 20, image: 'nginx:2', strategy, status: { replicas: 13 } });
    const old = ownedRS(d, { replicas: 8, revision: 1, desired: 10, max: 13 });
    const neu = ownedRS(d, {
      image: 'nginx:2',
      replicas: 5,
      revision: 2,
      desired: 10,
      max: 13,
      createdAt: 10,
    });
    const r = reconcileDeployment(d, [old, neu], [...podsFor(old, 8), ...podsFor(neu, 5)], T0);
    // allowed 23, current 13: +10 split 8:5 → +6 and +4
    expect(scales(r).sort()).toEqual([`${old.metadata.name}=14`, `${neu.metadata.name}=9`].sort());
    for (const u of r.scaleReplicaSets) {
      expect(u.annotations).toMatchObject({
        'deployment.kubernetes.io/desired-replicas': '20',
        'deployment.kubernetes.io/max-replicas': '23',
      });
    }
    expect(messages(r)).toEqual([
      `Scaled up replica set ${old.metadata.name} from 8 to 14`,
      `Scaled up replica set ${neu.metadata.name} from 5 to 9`,
    ]);
  });

  it('scales proportionally down, older first among equals', () => {
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    const d = deployment({ replicas: 2, image: 'nginx:2', strategy, status: { replicas: 5 } });
    const old = ownedRS(d, { replicas: 2, revision: 1, desired: 4, max: 5 });
    const neu = ownedRS(d, {
      image: 'nginx:2',
      replicas: 3,
      revision: 2,
      desired: 4,
      max: 5,
      createdAt: 10,
    });
    const r = reconcileDeployment(d, [old, neu], [], T0);
    const total = r.scaleReplicaSets.reduce((n, u) => n + u.replicas, 0);
    expect(total).toBe(3);
    expect(r.createReplicaSet).toBeUndefined();
  });

  it('scales old ReplicaSets to zero when the new one is saturated', () => {
    const d = deployment({ replicas: 3, image: 'nginx:2', status: { replicas: 4 } });
    const old = ownedRS(d, { replicas: 1, revision: 1, desired: 3, max: 4 });
    const neu = ownedRS(d, {
      image: 'nginx:2',
      replicas: 3,
      revision: 2,
      desired: 3,
      max: 4,
      createdAt: 10,
    });
    // not a scaling event (all desired = 3): a rollout step scales the old one down
    const r = reconcileDeployment(d, [old, neu], [...podsFor(old, 1), ...podsFor(neu, 3)], T0);
    expect(scales(r)).toEqual([`${old.metadata.name}=0`]);
  });
});

describe('reconcileDeployment: paused', () => {
  it('does not roll out a new template, only marks the Deployment paused', () => {
    const d = deployment({ replicas: 3, image: 'nginx:2', paused: true });
    const rs = ownedRS(d, { replicas: 3, revision: 1, desired: 3, max: 4 });
    const r = reconcileDeployment(d, [rs], podsFor(rs, 3), T0);
    expect(r.createReplicaSet).toBeUndefined();
    expect(r.scaleReplicaSets).toEqual([]);
    expect(cond(r, 'Progressing')).toMatchObject({
      status: 'Unknown',
      reason: 'DeploymentPaused',
      message: 'Deployment is paused',
    });
    expect(r.status.updatedReplicas).toBe(0);
  });

  it('still scales the current ReplicaSet', () => {
    const d = deployment({ replicas: 6, image: 'nginx:2', paused: true });
    const rs = ownedRS(d, { replicas: 3, revision: 1, desired: 3, max: 4 });
    const r = reconcileDeployment(d, [rs], podsFor(rs, 3), T0);
    expect(scales(r)).toEqual([`${rs.metadata.name}=6`]);
  });

  it('marks the Deployment resumed, then rolls out', () => {
    const d = deployment({
      replicas: 3,
      image: 'nginx:2',
      paused: false,
      status: {
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        conditions: [
          {
            type: 'Progressing',
            status: 'Unknown',
            reason: 'DeploymentPaused',
            message: 'Deployment is paused',
            lastUpdateTime: ts(0),
            lastTransitionTime: ts(0),
          },
        ],
      },
    });
    const rs = ownedRS(d, { replicas: 3, revision: 1, desired: 3, max: 4 });
    const r = reconcileDeployment(d, [rs], podsFor(rs, 3), at(10));
    expect(r.createReplicaSet).toBeDefined();
    // the creation replaces the resumed condition
    expect(cond(r, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetCreated',
      lastTransitionTime: ts(10),
    });
  });
});

describe('reconcileDeployment: history, rollback, ownership', () => {
  it('re-uses the matching old ReplicaSet on rollback, bumping its revision', () => {
    const d = deployment({ replicas: 3, image: 'nginx:1' });
    const v1 = ownedRS(d, { image: 'nginx:1', replicas: 0, revision: 1, desired: 3, max: 4 });
    const v2 = ownedRS(d, {
      image: 'nginx:2',
      replicas: 3,
      revision: 2,
      desired: 3,
      max: 4,
      createdAt: 10,
    });
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '2' };
    const r = reconcileDeployment(d, [v1, v2], podsFor(v2, 3), at(20));
    expect(r.createReplicaSet).toBeUndefined();
    const up = r.scaleReplicaSets.find((u) => u.rs === v1)!;
    expect(up.replicas).toBe(1);
    expect(up.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    expect(r.deploymentAnnotations).toEqual({ 'deployment.kubernetes.io/revision': '3' });
  });

  it('deletes old, empty ReplicaSets beyond revisionHistoryLimit once complete', () => {
    const d = deployment({ replicas: 1, image: 'nginx:9', revisionHistoryLimit: 2 });
    const olds = [1, 2, 3, 4].map((i) =>
      ownedRS(d, { image: `nginx:${i}`, replicas: 0, revision: i, createdAt: i }),
    );
    const current = ownedRS(d, {
      image: 'nginx:9',
      replicas: 1,
      revision: 5,
      desired: 1,
      max: 2,
      createdAt: 9,
    });
    const busy = podsFor(olds[0]!, 1, { readyAt: false }).map((p) => ({
      ...p,
      metadata: { ...p.metadata, deletionTimestamp: ts(0) },
    }));
    const r = reconcileDeployment(d, [...olds, current], [...busy, ...podsFor(current, 1)], at(30));
    // the two oldest are candidates; revision 1 still has a terminating pod
    expect(r.deleteReplicaSets.map((rs) => rs.metadata.name)).toEqual([olds[1]!.metadata.name]);
  });

  it('keeps history while the rollout is not complete', () => {
    const d = deployment({ replicas: 1, image: 'nginx:9', revisionHistoryLimit: 0 });
    const old = ownedRS(d, { image: 'nginx:1', replicas: 0, revision: 1 });
    const current = ownedRS(d, {
      image: 'nginx:9',
      replicas: 1,
      revision: 2,
      desired: 1,
      max: 2,
      createdAt: 9,
    });
    const r = reconcileDeployment(
      d,
      [old, current],
      podsFor(current, 1, { readyAt: false }),
      at(30),
    );
    expect(r.deleteReplicaSets).toEqual([]);
  });

  it('adopts a matching orphan ReplicaSet and releases one that no longer matches', () => {
    const d = deployment({ replicas: 1 });
    const orphan = ownedRS(d, { replicas: 1, revision: 1, desired: 1, max: 2 });
    delete orphan.metadata.ownerReferences;
    const foreign = ownedRS(d, { image: 'other', replicas: 1, revision: 1 });
    foreign.metadata.ownerReferences = [{ ...ownerRef(d), uid: 'someone-else' }];
    const stray = ownedRS(d, { image: 'stray', replicas: 0, revision: 1 });
    stray.metadata.labels = { app: 'db' };
    const r = reconcileDeployment(d, [orphan, foreign, stray], [], T0);
    expect(r.adoptReplicaSets.map((x) => x.metadata.name)).toEqual([orphan.metadata.name]);
    expect(r.adoptReplicaSets[0]!.metadata.ownerReferences![0]!.uid).toBe('uid-web');
    expect(r.releaseReplicaSets.map((x) => x.metadata.name)).toEqual([stray.metadata.name]);
    expect(r.createReplicaSet).toBeUndefined();
  });

  it('hashes again on a name collision and records collisionCount', () => {
    const d = deployment({ replicas: 1 });
    const squatter = ownedRS(d, { image: 'different', replicas: 0, revision: 1 });
    squatter.metadata.name = `web-${podTemplateHash(template())}`;
    squatter.metadata.ownerReferences = [{ ...ownerRef(d), uid: 'other-owner' }];
    const r = reconcileDeployment(d, [squatter], [], T0);
    expect(r.createReplicaSet!.metadata.name).toBe(`web-${podTemplateHash(template(), 1)}`);
    expect(r.status.collisionCount).toBe(1);
  });

  it('keeps the stored collisionCount in the hash', () => {
    const d = deployment({ replicas: 1, status: { collisionCount: 2 } });
    const r = reconcileDeployment(d, [], [], T0);
    expect(r.createReplicaSet!.metadata.name).toBe(`web-${podTemplateHash(template(), 2)}`);
    expect(r.status.collisionCount).toBe(2);
  });

  it('only reports status while the Deployment is being deleted', () => {
    const d = deployment({ replicas: 3, deleting: true });
    const r = reconcileDeployment(d, [], [], T0);
    expect(r.createReplicaSet).toBeUndefined();
    expect(r.scaleReplicaSets).toEqual([]);
    expect(r.status.replicas).toBe(0);
  });

  it('warns about an empty selector and does nothing else', () => {
    const d = deployment({});
    (d.spec as Obj).selector = {};
    const r = reconcileDeployment(d, [], [], T0);
    expect(r.createReplicaSet).toBeUndefined();
    expect(r.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning SelectingAll']);
  });

  it('promotes a ReplicaSet failure condition', () => {
    const d = deployment({ replicas: 1 });
    const rs = ownedRS(d, { replicas: 1, revision: 1, desired: 1, max: 2 });
    rs.status = {
      conditions: [
        {
          type: 'ReplicaFailure',
          status: 'True',
          reason: 'FailedCreate',
          message: 'pods "web-x" is forbidden: exceeded quota',
          lastTransitionTime: ts(0),
        },
      ],
    };
    const r = reconcileDeployment(d, [rs], [], at(5));
    expect(cond(r, 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreate' });
  });
});

describe('planRollback / rollbackTemplate', () => {
  const d = deployment({
    replicas: 3,
    image: 'nginx:3',
    annotations: { 'deployment.kubernetes.io/revision': '3', 'kubernetes.io/change-cause': 'v3' },
  });
  const rss = [1, 2, 3].map((i) =>
    ownedRS(d, {
      image: `nginx:${i}`,
      replicas: i === 3 ? 3 : 0,
      revision: i,
      createdAt: i,
      extraAnnotations: { 'kubernetes.io/change-cause': `v${i}` },
    }),
  );

  it('goes back to the previous revision by default', () => {
    const out = rollbackTemplate(deepFreeze(d), deepFreeze(rss))!;
    expect((out.spec as Obj).template).toEqual({
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'nginx:2' }] },
    });
    expect(out.metadata.annotations).toEqual({
      'deployment.kubernetes.io/revision': '3',
      'kubernetes.io/change-cause': 'v2',
    });
    expect((d.spec as Obj).template.spec.containers[0].image).toBe('nginx:3');
  });

  it('goes to a given revision, or says why not', () => {
    expect(
      ((rollbackTemplate(d, rss, 1)!.spec as Obj).template as Obj).spec.containers[0].image,
    ).toBe('nginx:1');
    expect(rollbackTemplate(d, rss, 7)).toBeUndefined();
    expect(planRollback(d, rss, 7)).toEqual({
      ok: false,
      reason: 'RevisionNotFound',
      message: 'unable to find specified revision 7 in history',
    });
    expect(planRollback(d, [rss[2]!])).toMatchObject({
      ok: false,
      reason: 'NoHistory',
      message: 'no rollout history found for deployment "web"',
    });
    expect(planRollback(d, rss, 3)).toMatchObject({
      ok: true,
      changed: false,
      message: 'skipped rollback (current template already matches revision 3)',
    });
    expect(planRollback({ ...d, spec: { ...(d.spec as Obj), paused: true } }, rss)).toMatchObject({
      ok: false,
      reason: 'Paused',
    });
  });

  it('ignores ReplicaSets of other Deployments', () => {
    const foreign = ownedRS(d, { image: 'evil', replicas: 0, revision: 9 });
    foreign.metadata.ownerReferences = [{ ...ownerRef(d), uid: 'x' }];
    expect(
      ((rollbackTemplate(d, [...rss, foreign])!.spec as Obj).template as Obj).spec.containers[0]
        .image,
    ).toBe('nginx:2');
  });
});

// ---------------------------------------------------------------------------------------------
// Simulation: Deployment + ReplicaSet controllers + pods that become ready one tick later.
// ---------------------------------------------------------------------------------------------

interface World {
  deploy: KubeObject;
  rss: KubeObject[];
  pods: KubeObject[];
  now: Date;
  uid: number;
}

function step(w: World, suffix: () => string): DeploymentReconcileResult {
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

function becomeReady(w: World): void {
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

function simulate(replicas: number, maxSurge: number | string, maxUnavailable: number | string) {
  const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } };
  const { maxSurge: surge, maxUnavailable: unavailable } = resolveFenceposts(
    maxSurge,
    maxUnavailable,
    replicas,
  );
  const suffix = counterSuffix('p');
  const w: World = {
    deploy: deployment({ replicas, strategy }),
    rss: [],
    pods: [],
    now: T0,
    uid: 0,
  };
  // Initial rollout.
  for (let i = 0; i < 10; i++) {
    step(w, suffix);
    w.now = new Date(w.now.getTime() + 1000);
    becomeReady(w);
  }
  step(w, suffix);
  expect(w.pods).toHaveLength(replicas);
  expect(cond({ status: w.deploy.status } as any, 'Progressing')!.reason).toBe(
    'NewReplicaSetAvailable',
  );

  // Update the image: roll.
  w.deploy = {
    ...w.deploy,
    metadata: { ...w.deploy.metadata, generation: 2 },
    spec: { ...(w.deploy.spec as Obj), template: template('nginx:2') },
  };
  let minReady = Infinity;
  let maxTotal = 0;
  let steps = 0;
  for (; steps < 200; steps++) {
    step(w, suffix);
    const active = w.pods.length;
    const ready = w.pods.filter((p) => (p.status as Obj).conditions?.[0]?.status === 'True').length;
    minReady = Math.min(minReady, ready);
    maxTotal = Math.max(maxTotal, active);
    const s = w.deploy.status as Obj;
    if (
      s.updatedReplicas === replicas &&
      s.availableReplicas === replicas &&
      s.replicas === replicas
    )
      break;
    w.now = new Date(w.now.getTime() + 1000);
    becomeReady(w);
  }
  const image = (p: KubeObject) => (p.spec as Obj).containers[0].image;
  return { w, minReady, maxTotal, steps, surge, unavailable, images: w.pods.map(image) };
}

describe('rolling update simulation', () => {
  it.each([
    [10, '25%', '25%'],
    [10, 3, 2],
    [5, 0, 1],
    [5, 1, 0],
    [3, '25%', '25%'],
    [1, '25%', '25%'],
    [7, '50%', '0%'],
    [4, 0, '100%'],
  ])(
    'replicas %p, maxSurge %p, maxUnavailable %p: stays within bounds and completes',
    (replicas, surge, unavailable) => {
      const out = simulate(replicas, surge, unavailable);
      expect(out.steps).toBeLessThan(200);
      expect(out.images).toEqual(Array(replicas).fill('nginx:2'));
      expect(out.minReady).toBeGreaterThanOrEqual(replicas - out.unavailable);
      expect(out.maxTotal).toBeLessThanOrEqual(replicas + out.surge);
      const status = out.w.deploy.status as Obj;
      expect(status.observedGeneration).toBe(2);
      expect(out.w.deploy.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('2');
      // the old ReplicaSet is kept (history) at zero replicas
      expect(out.w.rss.map((rs) => (rs.spec as Obj).replicas).sort()).toEqual([0, replicas]);
    },
  );
});

describe('rollout simulation: changes mid-rollout', () => {
  const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } };
  const image = (p: KubeObject) => (p.spec as Obj).containers[0].image;
  const readyCount = (w: World) =>
    w.pods.filter((p) => (p.status as Obj).conditions?.[0]?.status === 'True').length;
  const done = (w: World, replicas: number) => {
    const s = w.deploy.status as Obj;
    return (
      s.updatedReplicas === replicas && s.availableReplicas === replicas && s.replicas === replicas
    );
  };
  const tick = (w: World) => {
    w.now = new Date(w.now.getTime() + 1000);
    becomeReady(w);
  };
  const setSpec = (w: World, patch: Obj) => {
    w.deploy = {
      ...w.deploy,
      metadata: { ...w.deploy.metadata, generation: (w.deploy.metadata.generation ?? 1) + 1 },
      spec: { ...(w.deploy.spec as Obj), ...patch },
    };
  };
  const settle = (w: World, suffix: () => string, replicas: number) => {
    for (let i = 0; i < 100 && !(step(w, suffix), done(w, replicas)); i++) tick(w);
  };

  it('scales up in the middle of a rolling update and still finishes within bounds', () => {
    const suffix = counterSuffix('p');
    const w: World = {
      deploy: deployment({ replicas: 6, strategy }),
      rss: [],
      pods: [],
      now: T0,
      uid: 0,
    };
    settle(w, suffix, 6);
    setSpec(w, { template: template('nginx:2') });
    step(w, suffix);
    tick(w);
    step(w, suffix);
    setSpec(w, { replicas: 12 });
    let maxTotal = 0;
    for (let i = 0; i < 100; i++) {
      step(w, suffix);
      maxTotal = Math.max(maxTotal, w.pods.length);
      if (done(w, 12)) break;
      tick(w);
    }
    expect(maxTotal).toBeLessThanOrEqual(14);
    expect(w.pods.map(image)).toEqual(Array(12).fill('nginx:2'));
  });

  it('rolls back in the middle of a rolling update to the old ReplicaSet', () => {
    const suffix = counterSuffix('p');
    const w: World = {
      deploy: deployment({ replicas: 6, strategy }),
      rss: [],
      pods: [],
      now: T0,
      uid: 0,
    };
    settle(w, suffix, 6);
    const v1 = w.rss[0]!;
    setSpec(w, { template: template('nginx:broken') });
    for (let i = 0; i < 3; i++) {
      step(w, suffix); // the new pods never become ready
      w.now = new Date(w.now.getTime() + 1000);
    }
    expect(readyCount(w)).toBeGreaterThanOrEqual(5);
    const undone = rollbackTemplate(w.deploy, w.rss)!;
    expect(((undone.spec as Obj).template as Obj).spec.containers[0].image).toBe('nginx:1');
    w.deploy = { ...undone, metadata: { ...undone.metadata, generation: 3 } };
    settle(w, suffix, 6);
    expect(w.pods.map(image)).toEqual(Array(6).fill('nginx:1'));
    const back = w.rss.find((rs) => rs.metadata.uid === v1.metadata.uid)!;
    expect(back.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    expect(w.deploy.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('reports ProgressDeadlineExceeded when new pods never become ready', () => {
    const suffix = counterSuffix('p');
    const w: World = {
      deploy: deployment({ replicas: 2, strategy, progressDeadlineSeconds: 30 }),
      rss: [],
      pods: [],
      now: T0,
      uid: 0,
    };
    settle(w, suffix, 2);
    setSpec(w, { template: template('nginx:broken') });
    let r: DeploymentReconcileResult | undefined;
    for (let i = 0; i < 5; i++) {
      r = step(w, suffix);
      w.now = new Date(w.now.getTime() + (r.requeueAfterMs ?? 1000));
    }
    const c = (w.deploy.status as Obj).conditions.find((x: Obj) => x.type === 'Progressing');
    expect(c).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(readyCount(w)).toBeGreaterThanOrEqual(1); // replicas - maxUnavailable
  });

  it('never runs old and new pods together with Recreate', () => {
    const suffix = counterSuffix('p');
    const w: World = {
      deploy: deployment({ replicas: 4, strategy: { type: 'Recreate' } }),
      rss: [],
      pods: [],
      now: T0,
      uid: 0,
    };
    settle(w, suffix, 4);
    setSpec(w, { template: template('nginx:2') });
    for (let i = 0; i < 20; i++) {
      step(w, suffix);
      expect(new Set(w.pods.map(image)).size).toBeLessThanOrEqual(1);
      if (done(w, 4)) break;
      tick(w);
    }
    expect(w.pods.map(image)).toEqual(Array(4).fill('nginx:2'));
  });
});
