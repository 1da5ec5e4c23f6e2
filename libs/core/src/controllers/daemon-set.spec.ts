import type { KubeObject } from '../api/types';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  daemonPodNode,
  daemonSetHash,
  nodeShouldRunDaemonPod,
  reconcileDaemonSet,
} from './daemon-set';
import { T0, at, counterSuffix, deepFreeze, pod } from './test-helpers';

function daemonSet(spec: Record<string, unknown> = {}, image = 'busybox:1.36'): KubeObject {
  return deepFreeze({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'ds', namespace: 'ns', uid: 'ds-uid', generation: 2 },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      template: {
        metadata: { labels: { app: 'd' } },
        spec: { containers: [{ name: 'main', image }] },
      },
      ...spec,
    },
  } as unknown as KubeObject);
}

function node(name: string, labels: Record<string, string> = {}, taints: unknown[] = []) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: { taints },
  } as KubeObject;
}

function daemonPod(ds: KubeObject, name: string, nodeName: string, hash: string, ready = true) {
  return pod({
    name,
    uid: `${name}-uid`,
    namespace: 'ns',
    owner: ds,
    nodeName,
    phase: 'Running',
    readyAt: ready ? -60 : false,
    labels: { app: 'd', [CONTROLLER_REVISION_HASH_LABEL]: hash },
  });
}

describe('nodeShouldRunDaemonPod', () => {
  it('follows the node selector and required node affinity', () => {
    const ds = daemonSet({
      template: {
        metadata: { labels: { app: 'd' } },
        spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'm', image: 'x' }] },
      },
    });
    expect(nodeShouldRunDaemonPod(ds, node('a', { disk: 'ssd' })).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(ds, node('b', { disk: 'hdd' }))).toEqual({
      shouldRun: false,
      shouldContinueRunning: false,
    });
  });

  it('tolerates unschedulable, not-ready and unreachable nodes as daemon pods do', () => {
    const ds = daemonSet();
    for (const [key, effect] of [
      ['node.kubernetes.io/unschedulable', 'NoSchedule'],
      ['node.kubernetes.io/not-ready', 'NoExecute'],
      ['node.kubernetes.io/unreachable', 'NoExecute'],
    ])
      expect(nodeShouldRunDaemonPod(ds, node('a', {}, [{ key, effect }])).shouldRun).toBe(true);
  });

  it('keeps a pod on a NoSchedule-tainted node but leaves a NoExecute one', () => {
    const ds = daemonSet();
    expect(
      nodeShouldRunDaemonPod(ds, node('a', {}, [{ key: 'gpu', effect: 'NoSchedule' }])),
    ).toEqual({ shouldRun: false, shouldContinueRunning: true });
    expect(
      nodeShouldRunDaemonPod(ds, node('a', {}, [{ key: 'gpu', effect: 'NoExecute' }])),
    ).toEqual({ shouldRun: false, shouldContinueRunning: false });
  });
});

describe('reconcileDaemonSet', () => {
  it('creates one pod per node, pinned to it by matchFields and tolerating the node taints', () => {
    const ds = daemonSet();
    const plan = reconcileDaemonSet(ds, [node('a'), node('b')], [], T0, counterSuffix());
    expect(plan.createPods.map(daemonPodNode)).toEqual(['a', 'b']);
    const p = plan.createPods[0];
    expect(p.spec!.nodeName).toBeUndefined();
    expect(p.metadata.labels![CONTROLLER_REVISION_HASH_LABEL]).toBe(daemonSetHash(ds));
    expect((p.spec as { tolerations: unknown[] }).tolerations).toContainEqual({
      key: 'node.kubernetes.io/unreachable',
      operator: 'Exists',
      effect: 'NoExecute',
    });
    expect(plan.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 0 });
    expect(plan.status.observedGeneration).toBe(2);
  });

  it('deletes the pods of removed and no longer admitted nodes, and duplicates', () => {
    const ds = daemonSet({
      template: {
        metadata: { labels: { app: 'd' } },
        spec: { nodeSelector: { role: 'edge' }, containers: [{ name: 'm', image: 'x' }] },
      },
    });
    const hash = daemonSetHash(ds);
    const pods = [
      daemonPod(ds, 'on-a', 'a', hash),
      daemonPod(ds, 'on-a-2', 'a', hash),
      daemonPod(ds, 'on-b', 'b', hash),
      daemonPod(ds, 'on-gone', 'gone', hash),
    ];
    const plan = reconcileDaemonSet(ds, [node('a', { role: 'edge' }), node('b')], pods, T0);
    expect(plan.deletePods.map((p) => p.metadata.name).sort()).toEqual([
      'on-a-2',
      'on-b',
      'on-gone',
    ]);
    expect(plan.createPods).toEqual([]);
    expect(plan.status).toMatchObject({
      desiredNumberScheduled: 1,
      currentNumberScheduled: 1,
      numberMisscheduled: 1,
      numberReady: 1,
      updatedNumberScheduled: 1,
    });
  });

  it('rolls within maxUnavailable: one old pod at a time, none while a node is unavailable', () => {
    const ds = daemonSet({}, 'busybox:1.37');
    const nodes = [node('a'), node('b'), node('c')];
    const old = ['a', 'b', 'c'].map((n) => daemonPod(ds, `old-${n}`, n, 'old'));
    const first = reconcileDaemonSet(ds, nodes, old, T0);
    expect(first.deletePods.map((p) => p.metadata.name)).toEqual(['old-a']);
    expect(first.createPods).toEqual([]);
    // The new pod on a is not ready yet: nothing else goes.
    const rolling = [daemonPod(ds, 'new-a', 'a', daemonSetHash(ds), false), old[1], old[2]];
    const second = reconcileDaemonSet(ds, nodes, rolling, at(1));
    expect(second.deletePods).toEqual([]);
    expect(second.status).toMatchObject({ updatedNumberScheduled: 1, numberAvailable: 2 });
  });

  it('surges with maxSurge: a new pod beside the old one, the old deleted once it is available', () => {
    const ds = daemonSet(
      {
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
        },
      },
      'busybox:1.37',
    );
    const hash = daemonSetHash(ds);
    const nodes = [node('a'), node('b')];
    const old = [daemonPod(ds, 'old-a', 'a', 'old'), daemonPod(ds, 'old-b', 'b', 'old')];
    const first = reconcileDaemonSet(ds, nodes, old, T0);
    expect(first.createPods.map(daemonPodNode)).toEqual(['a']);
    expect(first.deletePods).toEqual([]);
    const next = reconcileDaemonSet(ds, nodes, [...old, daemonPod(ds, 'new-a', 'a', hash)], T0);
    expect(next.deletePods.map((p) => p.metadata.name)).toEqual(['old-a']);
  });

  it('leaves old pods alone with OnDelete', () => {
    const ds = daemonSet({ updateStrategy: { type: 'OnDelete' } }, 'busybox:1.37');
    const plan = reconcileDaemonSet(ds, [node('a')], [daemonPod(ds, 'old-a', 'a', 'old')], T0);
    expect(plan.deletePods).toEqual([]);
    expect(plan.status.updatedNumberScheduled).toBe(0);
  });

  it('replaces a failed pod', () => {
    const ds = daemonSet();
    const failed = pod({
      name: 'f',
      uid: 'f',
      namespace: 'ns',
      owner: ds,
      nodeName: 'a',
      phase: 'Failed',
      labels: { app: 'd', [CONTROLLER_REVISION_HASH_LABEL]: daemonSetHash(ds) },
    });
    const plan = reconcileDaemonSet(ds, [node('a')], [failed], T0);
    expect(plan.deletePods.map((p) => p.metadata.name)).toEqual(['f']);
    expect(plan.events.map((e) => e.reason)).toContain('FailedDaemonPod');
  });
});
