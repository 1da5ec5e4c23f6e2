import {
  DEFAULT_BURST_REPLICAS,
  rankPodsForDeletion,
  reconcileReplicaSet,
  setReplicaFailure,
  slowStartBatches,
  podFromTemplate,
} from './replicaset';
import { at, counterSuffix, deepFreeze, pod, replicaSet, T0 } from './test-helpers';

const names = (pods: { metadata: { name?: string } }[]) => pods.map((p) => p.metadata.name);

describe('reconcileReplicaSet', () => {
  it('creates the missing pods from the template, owned by the ReplicaSet', () => {
    const rs = replicaSet({ replicas: 3 });
    rs.spec = {
      ...(rs.spec as object),
      template: {
        metadata: { labels: { app: 'web', tier: 'fe' }, annotations: { note: 'x' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
      },
    };
    const existing = pod({ name: 'web-abc-1', owner: rs, readyAt: 0 });
    const r = reconcileReplicaSet(deepFreeze(rs), deepFreeze([existing]), T0, {
      nameSuffix: counterSuffix(),
    });
    expect(r.createPods).toHaveLength(2);
    const created = r.createPods[0]!;
    expect(created).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-abc-s1',
        generateName: 'web-abc-',
        namespace: 'default',
        labels: { app: 'web', tier: 'fe' },
        annotations: { note: 'x' },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: 'web-abc',
            uid: 'uid-web-abc',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
    });
    expect(names(r.createPods)).toEqual(['web-abc-s1', 'web-abc-s2']);
    expect(r.deletePods).toEqual([]);
    expect(r.events.map((e) => `${e.type} ${e.reason} ${e.message}`)).toEqual([
      'Normal SuccessfulCreate Created pod: web-abc-s1',
      'Normal SuccessfulCreate Created pod: web-abc-s2',
    ]);
    expect(r.events[0]!.involvedObject).toMatchObject({
      kind: 'ReplicaSet',
      name: 'web-abc',
      namespace: 'default',
      uid: 'uid-web-abc',
    });
    expect(r.events[0]!.source.component).toBe('replicaset-controller');
  });

  it('does nothing when the count is right', () => {
    const rs = replicaSet({ replicas: 2 });
    const pods = [pod({ name: 'a', owner: rs }), pod({ name: 'b', owner: rs })];
    const r = reconcileReplicaSet(rs, pods, T0);
    expect(r.createPods).toEqual([]);
    expect(r.deletePods).toEqual([]);
    expect(r.events).toEqual([]);
  });

  it('a scale to the largest int32 still creates at most the burst per sync, in slow-start batches', () => {
    const rs = replicaSet({ replicas: 2147483647 });
    const r = reconcileReplicaSet(rs, [], T0, { nameSuffix: counterSuffix() });
    expect(r.createPods).toHaveLength(DEFAULT_BURST_REPLICAS);
    expect(r.events.filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(500);
    const batches = slowStartBatches(r.createPods.length);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(500);
    expect(batches[0]).toBe(1);
    expect(Math.max(...batches)).toBeLessThanOrEqual(256);
    // The next sync, with those 500 pods there, asks for 500 more, never the whole gap.
    const next = reconcileReplicaSet(rs, r.createPods, T0, { nameSuffix: counterSuffix() });
    expect(next.createPods).toHaveLength(500);
  });

  it('creates at most burstReplicas per reconcile', () => {
    const rs = replicaSet({ replicas: 1000 });
    const r = reconcileReplicaSet(rs, [], T0, { burstReplicas: 500, nameSuffix: counterSuffix() });
    expect(r.createPods).toHaveLength(500);
    const defaults = reconcileReplicaSet(rs, [], T0);
    expect(defaults.createPods).toHaveLength(500);
    // default random suffixes are distinct, five safe characters
    const suffixes = new Set(
      defaults.createPods.map((p) => p.metadata.name!.slice('web-abc-'.length)),
    );
    expect(suffixes.size).toBeGreaterThan(490);
    for (const s of suffixes) expect(s).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('deletes surplus pods, least valuable first', () => {
    const rs = replicaSet({ replicas: 2 });
    const pods = [
      pod({ name: 'running-ready-old', owner: rs, nodeName: 'n1', readyAt: 0 }),
      pod({ name: 'unscheduled', owner: rs }),
      pod({ name: 'pending-scheduled', owner: rs, nodeName: 'n2' }),
      pod({ name: 'running-not-ready', owner: rs, nodeName: 'n3', phase: 'Running' }),
    ];
    const r = reconcileReplicaSet(rs, pods, at(3600));
    expect(names(r.deletePods)).toEqual(['unscheduled', 'pending-scheduled']);
    expect(r.events.map((e) => e.message)).toEqual([
      'Deleted pod: unscheduled',
      'Deleted pod: pending-scheduled',
    ]);
    expect(r.createPods).toEqual([]);
  });

  it('counts neither terminal nor terminating pods, replaces them and deletes the failed ones', () => {
    const rs = replicaSet({ replicas: 3 });
    const pods = [
      pod({ name: 'ok', owner: rs, readyAt: 0, nodeName: 'n1' }),
      pod({ name: 'failed', owner: rs, phase: 'Failed', nodeName: 'n1' }),
      pod({ name: 'done', owner: rs, phase: 'Succeeded', nodeName: 'n1' }),
      pod({ name: 'going', owner: rs, readyAt: 0, deleting: true, nodeName: 'n1' }),
      pod({ name: 'failed-going', owner: rs, phase: 'Failed', deleting: true }),
    ];
    const r = reconcileReplicaSet(rs, pods, at(10), { nameSuffix: counterSuffix() });
    expect(names(r.deletePods)).toEqual(['failed', 'done']);
    expect(r.createPods).toHaveLength(2);
    expect(r.status.replicas).toBe(1);
    const keep = reconcileReplicaSet(rs, pods, at(10), { deleteTerminalPods: false });
    expect(keep.deletePods).toEqual([]);
    expect(keep.createPods).toHaveLength(2);
  });

  it('adopts matching orphans and releases owned pods that no longer match', () => {
    const rs = replicaSet({ replicas: 2 });
    const other = replicaSet({ name: 'other', uid: 'uid-other' });
    const orphan = pod({ name: 'orphan' });
    const foreign = pod({ name: 'foreign', owner: other });
    const relabelled = pod({ name: 'relabelled', owner: rs, labels: { app: 'db' } });
    const nonMatchingOrphan = pod({ name: 'stranger', labels: { app: 'db' } });
    const elsewhere = pod({ name: 'elsewhere', namespace: 'other' });
    const dyingOrphan = pod({ name: 'dying', deleting: true });
    const r = reconcileReplicaSet(
      deepFreeze(rs),
      deepFreeze([orphan, foreign, relabelled, nonMatchingOrphan, elsewhere, dyingOrphan]),
      T0,
      { nameSuffix: counterSuffix() },
    );
    expect(names(r.adopt)).toEqual(['orphan']);
    expect(r.adopt[0]!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ uid: 'uid-web-abc', controller: true, blockOwnerDeletion: true }),
    ]);
    expect(r.adopt[0]!.metadata.resourceVersion).toBe('1');
    expect(names(r.release)).toEqual(['relabelled']);
    expect(r.release[0]!.metadata.ownerReferences).toBeUndefined();
    // the adopted orphan counts: one more pod is needed
    expect(r.createPods).toHaveLength(1);
    expect(r.status.replicas).toBe(1);
  });

  it('keeps other owner references when releasing', () => {
    const rs = replicaSet({ replicas: 0 });
    const p = pod({ name: 'p', owner: rs, labels: { app: 'db' } });
    p.metadata.ownerReferences!.push({ apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'c1' });
    const r = reconcileReplicaSet(rs, [p], T0);
    expect(r.release[0]!.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'c1' },
    ]);
  });

  it('takes no pod actions while the ReplicaSet is being deleted', () => {
    const rs = replicaSet({ replicas: 3, deleting: true });
    const r = reconcileReplicaSet(
      rs,
      [pod({ name: 'orphan' }), pod({ name: 'mine', owner: rs })],
      T0,
    );
    expect(r.createPods).toEqual([]);
    expect(r.deletePods).toEqual([]);
    expect(r.adopt).toEqual([]);
    expect(r.status.replicas).toBe(1);
  });

  it('takes no action with a missing or empty selector', () => {
    const rs = replicaSet({ replicas: 3 });
    (rs.spec as Record<string, unknown>).selector = {};
    const r = reconcileReplicaSet(rs, [pod({ name: 'orphan' })], T0);
    expect(r.createPods).toEqual([]);
    expect(r.adopt).toEqual([]);
  });

  it('supports matchExpressions selectors', () => {
    const rs = replicaSet({ replicas: 1 });
    (rs.spec as Record<string, unknown>).selector = {
      matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'www'] }],
    };
    const r = reconcileReplicaSet(rs, [pod({ name: 'o', labels: { app: 'www' } })], T0);
    expect(names(r.adopt)).toEqual(['o']);
    expect(r.createPods).toEqual([]);
  });

  it('reports status with availability after minReadySeconds and asks to be requeued', () => {
    const rs = replicaSet({ replicas: 4, minReadySeconds: 30, generation: 7 });
    rs.status = {
      conditions: [
        { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota' },
        { type: 'Custom', status: 'True' },
      ],
    };
    const pods = [
      pod({ name: 'a', owner: rs, readyAt: 0 }),
      pod({ name: 'b', owner: rs, readyAt: 50 }),
      pod({ name: 'c', owner: rs }),
      pod({ name: 'd', owner: rs, readyAt: 40, labels: { app: 'web', extra: '1' } }),
    ];
    const now = at(60);
    const r = reconcileReplicaSet(rs, pods, now);
    expect(r.status).toEqual({
      replicas: 4,
      fullyLabeledReplicas: 4,
      readyReplicas: 3,
      availableReplicas: 1,
      observedGeneration: 7,
      conditions: [{ type: 'Custom', status: 'True' }],
    });
    // d becomes available just after 70 s
    expect(r.requeueAfterMs).toBe(10_001);
  });

  it('counts fully labelled replicas against the template labels', () => {
    const rs = replicaSet({
      replicas: 2,
      labels: { app: 'web', tier: 'fe' },
      selector: { app: 'web' },
    });
    const pods = [
      pod({ name: 'a', owner: rs, labels: { app: 'web', tier: 'fe' } }),
      pod({ name: 'b', owner: rs, labels: { app: 'web' } }),
    ];
    expect(reconcileReplicaSet(rs, pods, T0).status.fullyLabeledReplicas).toBe(1);
  });

  it('does not requeue without minReadySeconds', () => {
    const rs = replicaSet({ replicas: 1 });
    const r = reconcileReplicaSet(rs, [pod({ name: 'a', owner: rs, readyAt: 0 })], T0);
    expect(r.requeueAfterMs).toBeUndefined();
    expect(r.status.availableReplicas).toBe(1);
  });
});

describe('rankPodsForDeletion', () => {
  const now = at(100_000);
  const order = (pods: ReturnType<typeof pod>[], opts = {}) =>
    names(rankPodsForDeletion([...pods].reverse(), now, opts));

  it('puts unscheduled before scheduled', () => {
    expect(order([pod({ name: 'a' }), pod({ name: 'b', nodeName: 'n' })])).toEqual(['a', 'b']);
  });

  it('orders phases Pending < Unknown < Running', () => {
    const pods = [
      pod({ name: 'pending', nodeName: 'n1', phase: 'Pending' }),
      pod({ name: 'unknown', nodeName: 'n2', phase: 'Unknown' }),
      pod({ name: 'running', nodeName: 'n3', phase: 'Running' }),
    ];
    expect(order(pods)).toEqual(['pending', 'unknown', 'running']);
  });

  it('puts not ready before ready', () => {
    const pods = [
      pod({ name: 'not-ready', nodeName: 'n1', phase: 'Running' }),
      pod({ name: 'ready', nodeName: 'n2', readyAt: 0 }),
    ];
    expect(order(pods)).toEqual(['not-ready', 'ready']);
  });

  it('honours pod-deletion-cost', () => {
    const pods = [
      pod({
        name: 'cheap',
        nodeName: 'n1',
        readyAt: 0,
        annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-5' },
      }),
      pod({ name: 'default', nodeName: 'n2', readyAt: 0 }),
      pod({
        name: 'dear',
        nodeName: 'n3',
        readyAt: 0,
        annotations: { 'controller.kubernetes.io/pod-deletion-cost': '100' },
      }),
      pod({
        name: 'garbage',
        nodeName: 'n4',
        readyAt: 0,
        annotations: { 'controller.kubernetes.io/pod-deletion-cost': 'x' },
      }),
    ];
    const ranked = order(pods);
    expect(ranked[0]).toBe('cheap');
    expect(ranked[3]).toBe('dear');
  });

  it('puts pods on crowded nodes first', () => {
    const pods = [
      pod({ name: 'alone', nodeName: 'n1', readyAt: 0, createdAt: 0 }),
      pod({ name: 'crowded-1', nodeName: 'n2', readyAt: 0, createdAt: 0 }),
      pod({ name: 'crowded-2', nodeName: 'n2', readyAt: 0, createdAt: 0 }),
    ];
    expect(order(pods)[2]).toBe('alone');
  });

  it('puts the more recently ready first (log scale buckets tie to the uid)', () => {
    const pods = [
      pod({ name: 'recent', uid: 'z', nodeName: 'n1', readyAt: 99_990 }),
      pod({ name: 'old', uid: 'a', nodeName: 'n2', readyAt: 0 }),
    ];
    expect(order(pods)).toEqual(['recent', 'old']);
    // 1000 s and 1010 s ago fall in the same power-of-two bucket: uid decides
    const same = [
      pod({ name: 'x', uid: 'b', nodeName: 'n1', readyAt: 99_000 }),
      pod({ name: 'y', uid: 'a', nodeName: 'n2', readyAt: 98_990 }),
    ];
    expect(order(same)).toEqual(['y', 'x']);
    expect(order(same, { logarithmicScaleDown: false })).toEqual(['x', 'y']);
  });

  it('puts more restarts first, then newer pods', () => {
    const restarts = [
      pod({ name: 'crashy', nodeName: 'n1', phase: 'Running', restarts: 5 }),
      pod({ name: 'calm', nodeName: 'n2', phase: 'Running', restarts: 0 }),
    ];
    expect(order(restarts)).toEqual(['crashy', 'calm']);
    const ages = [
      pod({ name: 'new', nodeName: 'n1', createdAt: 99_000 }),
      pod({ name: 'old', nodeName: 'n2', createdAt: 0 }),
    ];
    expect(order(ages)).toEqual(['new', 'old']);
  });
});

describe('helpers', () => {
  it('slowStartBatches doubles from the initial size', () => {
    expect(slowStartBatches(0)).toEqual([]);
    expect(slowStartBatches(1)).toEqual([1]);
    expect(slowStartBatches(10)).toEqual([1, 2, 4, 3]);
    expect(slowStartBatches(500)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 245]);
  });

  it('setReplicaFailure replaces the failure condition', () => {
    const status = { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 0, availableReplicas: 0 };
    expect(setReplicaFailure(status, 'FailedCreate', 'exceeded quota', T0).conditions).toEqual([
      {
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: 'exceeded quota',
        lastTransitionTime: '2024-05-01T12:00:00Z',
      },
    ]);
  });

  it('podFromTemplate cuts long prefixes like generateName', () => {
    const rs = replicaSet({ name: 'x'.repeat(70) });
    const p = podFromTemplate(rs, () => 'abcde');
    expect(p.metadata.name).toBe(`${'x'.repeat(58)}abcde`);
    expect(p.metadata.generateName).toBe(`${'x'.repeat(70)}-`);
  });
});
