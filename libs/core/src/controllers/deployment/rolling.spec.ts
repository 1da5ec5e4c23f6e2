import { applyReplicaSetUpdate, podTemplateHash, reconcileDeployment } from '.';
import { at, deepFreeze, T0 } from '../test-helpers';
import { type Obj, template, deployment, ownedRS, podsFor, messages, scales } from './test-helpers';

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
