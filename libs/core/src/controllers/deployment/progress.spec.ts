import { reconcileDeployment } from '.';
import { at, ts } from '../test-helpers';
import { type Obj, deployment, ownedRS, podsFor, cond } from './test-helpers';

describe('reconcileDeployment: progress', () => {
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
});
