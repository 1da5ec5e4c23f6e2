import type { KubeObject } from '../api/types';
import {
  defaultNotReadyTolerations,
  disruptionState,
  evictionsPaused,
  evictionEvent,
  markPodsNotReady,
  podsToEvict,
  reconcileNodeHealth,
} from './node-lifecycle';
import { tolerationToleratesTaint as toleratesTaint } from '../scheduling/taints';
import { at, deepFreeze, pod, ts } from './test-helpers';

type Obj = Record<string, any>;

function readyConditions(status = 'True', heartbeat = 0): Obj[] {
  return [
    {
      type: 'Ready',
      status,
      reason: status === 'True' ? 'KubeletReady' : 'KubeletNotReady',
      message: status === 'True' ? 'kubelet is posting ready status' : 'not ready',
      lastHeartbeatTime: ts(heartbeat),
      lastTransitionTime: ts(0),
    },
    {
      type: 'MemoryPressure',
      status: 'False',
      reason: 'KubeletHasSufficientMemory',
      message: 'kubelet has sufficient memory available',
      lastHeartbeatTime: ts(heartbeat),
      lastTransitionTime: ts(0),
    },
    {
      type: 'NetworkUnavailable',
      status: 'False',
      reason: 'RouteCreated',
      message: 'ok',
      lastHeartbeatTime: ts(heartbeat),
      lastTransitionTime: ts(0),
    },
  ];
}

function node(o: { conditions?: Obj[]; taints?: Obj[]; unschedulable?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', uid: 'uid-n1', resourceVersion: '3', creationTimestamp: ts(-1000) },
    spec: {
      ...(o.taints ? { taints: o.taints } : {}),
      ...(o.unschedulable ? { unschedulable: true } : {}),
    },
    status: { conditions: o.conditions ?? readyConditions() },
  };
}

function lease(renewedAt: number): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'n1', namespace: 'kube-node-lease' },
    spec: {
      holderIdentity: 'n1',
      leaseDurationSeconds: 40,
      renewTime: `${ts(renewedAt).slice(0, -1)}.000000Z`,
    },
  };
}

const UNREACHABLE_NO_EXECUTE = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
const UNREACHABLE_NO_SCHEDULE = { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' };

describe('reconcileNodeHealth', () => {
  it('leaves a node with a fresh lease alone and says when to look again', () => {
    const r = reconcileNodeHealth(deepFreeze(node()), deepFreeze(lease(30)), at(50));
    expect(r).toEqual({
      addTaints: [],
      removeTaints: [],
      ready: 'True',
      events: [],
      requeueAfterMs: 20_001,
    });
  });

  it('marks the node Unknown when the lease is older than the grace period', () => {
    const r = reconcileNodeHealth(deepFreeze(node()), deepFreeze(lease(0)), at(41));
    expect(r.ready).toBe('Unknown');
    expect(r.conditions).toEqual([
      {
        type: 'Ready',
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastHeartbeatTime: ts(0),
        lastTransitionTime: ts(41),
      },
      {
        type: 'MemoryPressure',
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastHeartbeatTime: ts(0),
        lastTransitionTime: ts(41),
      },
      // NetworkUnavailable is not the kubelet's to report: untouched
      readyConditions()[2],
      {
        type: 'DiskPressure',
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: ts(-1000),
        lastTransitionTime: ts(41),
      },
      {
        type: 'PIDPressure',
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: ts(-1000),
        lastTransitionTime: ts(41),
      },
    ]);
    expect(r.addTaints).toEqual([
      { ...UNREACHABLE_NO_EXECUTE, timeAdded: ts(41) },
      UNREACHABLE_NO_SCHEDULE,
    ]);
    expect(r.removeTaints).toEqual([]);
    expect(r.taints).toEqual(r.addTaints);
    expect(r.events.map((e) => `${e.type} ${e.reason} ${e.message}`)).toEqual([
      'Normal NodeNotReady Node n1 status is now: NodeNotReady',
    ]);
    expect(r.events[0]!.involvedObject).toMatchObject({ kind: 'Node', name: 'n1' });
    expect(r.requeueAfterMs).toBeUndefined();
  });

  it('honours a custom grace period and the Ready heartbeat when newer than the lease', () => {
    expect(reconcileNodeHealth(node(), lease(0), at(11), { gracePeriodMs: 10_000 }).ready).toBe(
      'Unknown',
    );
    const n = node({ conditions: readyConditions('True', 30) });
    expect(reconcileNodeHealth(n, lease(0), at(60)).ready).toBe('True');
    expect(reconcileNodeHealth(n, undefined, at(60)).ready).toBe('True');
    expect(reconcileNodeHealth(n, undefined, at(71)).ready).toBe('Unknown');
  });

  it('keeps the original timeAdded and does not repeat the event when already Unknown', () => {
    const first = reconcileNodeHealth(node(), lease(0), at(41));
    const marked = node({ conditions: first.conditions, taints: first.taints });
    const again = reconcileNodeHealth(deepFreeze(marked), lease(0), at(100));
    expect(again.conditions).toBeUndefined();
    expect(again.taints).toBeUndefined();
    expect(again.addTaints).toEqual([]);
    expect(again.events).toEqual([]);
  });

  it('restores Ready when the lease is renewed after the node was marked Unknown', () => {
    const first = reconcileNodeHealth(node(), lease(0), at(41));
    const marked = node({ conditions: first.conditions, taints: first.taints });
    const back = reconcileNodeHealth(deepFreeze(marked), lease(60), at(61));
    expect(back.ready).toBe('True');
    expect(back.conditions!.find((c) => c.type === 'Ready')).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
      lastHeartbeatTime: ts(60),
      lastTransitionTime: ts(61),
    });
    expect(back.conditions!.find((c) => c.type === 'MemoryPressure')!.status).toBe('False');
    expect(back.removeTaints).toEqual([
      { ...UNREACHABLE_NO_EXECUTE, timeAdded: ts(41) },
      UNREACHABLE_NO_SCHEDULE,
    ]);
    expect(back.taints).toEqual([]);
    expect(back.events.map((e) => e.message)).toEqual(['Node n1 status is now: NodeReady']);

    const manual = reconcileNodeHealth(marked, lease(60), at(61), { restoreOnRenewal: false });
    expect(manual.ready).toBe('Unknown');
    expect(manual.conditions).toBeUndefined();
  });

  it('removes the taints once the agent reports Ready again itself', () => {
    const n = node({
      conditions: readyConditions('True', 60),
      taints: [
        { ...UNREACHABLE_NO_EXECUTE, timeAdded: ts(41) },
        UNREACHABLE_NO_SCHEDULE,
        { key: 'team', value: 'a', effect: 'NoSchedule' },
      ],
    });
    const r = reconcileNodeHealth(n, lease(60), at(61));
    expect(r.removeTaints.map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/unreachable:NoSchedule',
    ]);
    expect(r.taints).toEqual([{ key: 'team', value: 'a', effect: 'NoSchedule' }]);
  });

  it('taints a NotReady node not-ready, swapping out unreachable', () => {
    const n = node({
      conditions: readyConditions('False', 60),
      taints: [{ ...UNREACHABLE_NO_EXECUTE, timeAdded: ts(41) }],
    });
    const r = reconcileNodeHealth(n, lease(60), at(61));
    expect(r.ready).toBe('False');
    expect(r.addTaints).toEqual([
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: ts(61) },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    ]);
    expect(r.removeTaints).toEqual([{ ...UNREACHABLE_NO_EXECUTE, timeAdded: ts(41) }]);
    expect(r.events).toEqual([]);
  });

  it('mirrors pressure conditions and spec.unschedulable as NoSchedule taints', () => {
    const conditions = readyConditions('True', 60);
    conditions[1]!.status = 'True';
    const r = reconcileNodeHealth(node({ conditions, unschedulable: true }), lease(60), at(61));
    expect(r.addTaints).toEqual([
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
    ]);
  });

  it('gives a node that never reported the startup grace period, then marks it', () => {
    const fresh = node({ conditions: [] });
    fresh.metadata.creationTimestamp = ts(0);
    const early = reconcileNodeHealth(fresh, undefined, at(59));
    expect(early.conditions).toBeUndefined();
    expect(early.addTaints).toEqual([]);
    const late = reconcileNodeHealth(fresh, undefined, at(61));
    expect(late.conditions!.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Ready=Unknown/NodeStatusNeverUpdated',
      'MemoryPressure=Unknown/NodeStatusNeverUpdated',
      'DiskPressure=Unknown/NodeStatusNeverUpdated',
      'PIDPressure=Unknown/NodeStatusNeverUpdated',
    ]);
    expect(late.events).toEqual([]);
    expect(late.addTaints.map((t) => t.key)).toContain('node.kubernetes.io/unreachable');
    // a lease alone does not make a never-reported node Ready
    const renewed = reconcileNodeHealth(node({ conditions: late.conditions }), lease(70), at(71));
    expect(renewed.ready).toBe('Unknown');
  });
});

describe('tolerations and eviction', () => {
  const unreachable = {
    key: 'node.kubernetes.io/unreachable',
    effect: 'NoExecute' as const,
    timeAdded: ts(100),
  };

  it('matches tolerations like Kubernetes', () => {
    expect(toleratesTaint({ operator: 'Exists' }, unreachable)).toBe(true);
    expect(
      toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }, unreachable),
    ).toBe(true);
    expect(
      toleratesTaint(
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' },
        unreachable,
      ),
    ).toBe(false);
    expect(toleratesTaint({ key: 'other', operator: 'Exists' }, unreachable)).toBe(false);
    expect(
      toleratesTaint(
        { key: 'team', value: 'a' },
        { key: 'team', value: 'a', effect: 'NoSchedule' },
      ),
    ).toBe(true);
    expect(
      toleratesTaint(
        { key: 'team', operator: 'Equal', value: 'b' },
        { key: 'team', value: 'a', effect: 'NoSchedule' },
      ),
    ).toBe(false);
  });

  it('defaultNotReadyTolerations adds what DefaultTolerationSeconds adds', () => {
    expect(defaultNotReadyTolerations(pod({ name: 'p' }))).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
    const own = pod({
      name: 'p',
      tolerations: [
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 10,
        },
      ],
    });
    expect(defaultNotReadyTolerations(own).map((t) => t.key)).toEqual([
      'node.kubernetes.io/not-ready',
    ]);
    expect(
      defaultNotReadyTolerations(pod({ name: 'p', tolerations: [{ operator: 'Exists' }] })),
    ).toEqual([]);
  });

  it('evicts pods when their toleration runs out, immediately without one, never with an unbounded one', () => {
    const n = node({
      conditions: readyConditions('Unknown'),
      taints: [unreachable, UNREACHABLE_NO_SCHEDULE],
    });
    const defaults = defaultNotReadyTolerations(pod({ name: 'x' }));
    const pods = [
      pod({ name: 'default', nodeName: 'n1', tolerations: defaults }),
      pod({
        name: 'short',
        nodeName: 'n1',
        tolerations: [
          {
            key: 'node.kubernetes.io/unreachable',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 10,
          },
        ],
      }),
      pod({ name: 'none', nodeName: 'n1' }),
      pod({ name: 'forever', nodeName: 'n1', tolerations: [{ operator: 'Exists' }] }),
      pod({ name: 'elsewhere', nodeName: 'n2' }),
      pod({ name: 'going', nodeName: 'n1', deleting: true }),
    ];
    const out = podsToEvict(deepFreeze(n), deepFreeze(pods), at(105));
    expect(out.map((e) => [e.pod.metadata.name, e.atMs])).toEqual([
      ['none', at(100).getTime()],
      ['short', at(110).getTime()],
      ['default', at(400).getTime()],
    ]);
  });

  it('uses the earliest of several NoExecute taints', () => {
    const n = node({
      taints: [
        { key: 'a', effect: 'NoExecute', timeAdded: ts(0) },
        { key: 'b', effect: 'NoExecute', timeAdded: ts(50) },
      ],
    });
    const p = pod({
      name: 'p',
      nodeName: 'n1',
      tolerations: [
        { key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 100 },
        { key: 'b', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 },
      ],
    });
    expect(podsToEvict(n, [p], at(55))[0]!.atMs).toBe(at(60).getTime());
    expect(podsToEvict(node(), [p], at(55))).toEqual([]);
  });

  it('describes evictions and marks pods on an unready node not ready', () => {
    const p = pod({ name: 'p', nodeName: 'n1', readyAt: 0 });
    expect(evictionEvent(p)).toMatchObject({
      reason: 'TaintManagerEviction',
      message: 'Marking for deletion Pod default/p',
    });
    const n = node({ conditions: readyConditions('Unknown') });
    const r = markPodsNotReady(
      deepFreeze(n),
      deepFreeze([
        p,
        pod({ name: 'q', nodeName: 'n1' }),
        pod({ name: 'o', nodeName: 'n2', readyAt: 0 }),
      ]),
      at(5),
    );
    expect(r.pods.map((x) => x.metadata.name)).toEqual(['p']);
    expect((r.pods[0]!.status as Obj).conditions[0]).toEqual({
      type: 'Ready',
      status: 'False',
      lastTransitionTime: ts(5),
    });
    expect(r.events.map((e) => `${e.type} ${e.reason} ${e.message}`)).toEqual([
      'Warning NodeNotReady Node is not ready',
    ]);
    expect(markPodsNotReady(node(), [p], at(5)).pods).toEqual([]);
  });
});

describe('disruption: evictions pause when most nodes are not Ready', () => {
  const n = (ready: string) =>
    ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `n-${Math.random()}` },
      status: { conditions: [{ type: 'Ready', status: ready }] },
    }) as KubeObject;
  const many = (ready: number, notReady: number) => [
    ...Array.from({ length: ready }, () => n('True')),
    ...Array.from({ length: notReady }, () => n('Unknown')),
  ];

  it('is a full disruption when no node is Ready, and pauses evictions', () => {
    expect(disruptionState(many(0, 2))).toEqual({ state: 'FullDisruption', notReady: 2, total: 2 });
    expect(evictionsPaused(many(0, 2))).toMatch(/^2 of 2 nodes are not Ready \(FullDisruption\)/);
  });

  it('evicts normally when one node of two is lost, or fewer than 55 % are', () => {
    expect(disruptionState(many(1, 1)).state).toBe('Normal');
    expect(evictionsPaused(many(1, 1))).toBeUndefined();
    expect(evictionsPaused(many(10, 5))).toBeUndefined();
  });

  it('pauses a small cluster in partial disruption, not a large one', () => {
    expect(disruptionState(many(4, 6)).state).toBe('PartialDisruption');
    expect(evictionsPaused(many(4, 6))).toBeDefined();
    expect(disruptionState(many(40, 60)).state).toBe('PartialDisruption');
    expect(evictionsPaused(many(40, 60))).toBeUndefined();
  });
});
