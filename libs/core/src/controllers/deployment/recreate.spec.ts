import { applyReplicaSetUpdate, podTemplateHash, reconcileDeployment } from '.';
import { at, T0, ts } from '../test-helpers';
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
