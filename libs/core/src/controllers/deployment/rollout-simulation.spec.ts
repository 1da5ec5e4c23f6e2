/** Many reconciles of a Deployment and its ReplicaSets against simulated pods. */
import { type KubeObject } from '../../api/types';
import { resolveFenceposts, type DeploymentReconcileResult } from '.';
import { counterSuffix, T0 } from '../test-helpers';
import {
  type Obj,
  template,
  deployment,
  type World,
  step,
  becomeReady,
  rolledBack,
  cond,
} from './test-helpers';

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
  expect(
    cond({ status: w.deploy.status } as unknown as DeploymentReconcileResult, 'Progressing')!
      .reason,
  ).toBe('NewReplicaSetAvailable');

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
    const undone = rolledBack(w.deploy, w.rss);
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
