import { podTemplateHash, reconcileDeployment } from '.';
import { at, deepFreeze, ownerRef, T0, ts } from '../test-helpers';
import {
  type Obj,
  template,
  deployment,
  ownedRS,
  podsFor,
  messages,
  scales,
  cond,
} from './test-helpers';

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
