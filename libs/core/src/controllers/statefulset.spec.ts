import type { KubeObject } from '../api/types';
import { reconcileStatefulSet, type StatefulSetAction } from './statefulset';
import { T0, at, deepFreeze, pod } from './test-helpers';

function statefulSet(spec: Record<string, unknown> = {}): KubeObject {
  return deepFreeze({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'sts-uid', generation: 1 },
    spec: {
      replicas: 3,
      serviceName: 'web-svc',
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
      volumeClaimTemplates: [
        { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } },
      ],
      ...spec,
    },
  } as unknown as KubeObject);
}

function setPod(set: KubeObject, ordinal: number, revision: string, ready = true) {
  return pod({
    name: `web-${ordinal}`,
    namespace: 'ns',
    owner: set,
    labels: { app: 'web', 'controller-revision-hash': revision },
    readyAt: ready ? -60 : false,
  });
}

const claimsFor = (n: number) => Array.from({ length: n }, (_, i) => `data-web-${i}`);

function summary(actions: StatefulSetAction[]): string[] {
  return actions.map((a) =>
    a.type === 'createPod' || a.type === 'createClaim'
      ? `${a.type} ${a.ordinal}`
      : `${a.type} ${a.name}`,
  );
}

describe('reconcileStatefulSet', () => {
  it('OrderedReady: creates -0 with its claim and identity, and not -1 before -0 is Ready', () => {
    const set = statefulSet();
    const first = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods: [],
      claims: [],
      now: T0,
    });
    expect(summary(first.actions)).toEqual(['createClaim 0', 'createPod 0']);
    const created = first.actions[1] as Extract<StatefulSetAction, { type: 'createPod' }>;
    expect(created.pod.metadata.name).toBe('web-0');
    expect(created.pod.spec).toMatchObject({ hostname: 'web-0', subdomain: 'web-svc' });
    expect(created.pod.metadata.labels).toMatchObject({
      'statefulset.kubernetes.io/pod-name': 'web-0',
      'apps.kubernetes.io/pod-index': '0',
      'controller-revision-hash': 'r1',
    });
    const claim = first.actions[0] as Extract<StatefulSetAction, { type: 'createClaim' }>;
    expect(claim.claim.metadata.name).toBe('data-web-0');

    const waiting = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods: [setPod(set, 0, 'r1', false)],
      claims: claimsFor(1),
      now: T0,
    });
    expect(waiting.actions).toEqual([]);

    const next = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods: [setPod(set, 0, 'r1')],
      claims: claimsFor(1),
      now: T0,
    });
    expect(summary(next.actions)).toEqual(['createClaim 1', 'createPod 1']);
  });

  it('OrderedReady waits out minReadySeconds before the next ordinal', () => {
    const set = statefulSet({ minReadySeconds: 120 });
    const pods = [setPod(set, 0, 'r1')]; // ready since T0-60s: available at T0+60s
    const early = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods,
      claims: claimsFor(1),
      now: T0,
    });
    expect(early.actions).toEqual([]);
    expect(early.status.availableReplicas).toBe(0);
    const later = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods,
      claims: claimsFor(1),
      now: at(61),
    });
    expect(summary(later.actions)).toEqual(['createClaim 1', 'createPod 1']);
  });

  it('Parallel creates all missing ordinals at once', () => {
    const set = statefulSet({ podManagementPolicy: 'Parallel' });
    const plan = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods: [],
      claims: [],
      now: T0,
    });
    expect(summary(plan.actions)).toEqual([
      'createClaim 0',
      'createPod 0',
      'createClaim 1',
      'createPod 1',
      'createClaim 2',
      'createPod 2',
    ]);
  });

  it('scale 3→1 deletes -2 before -1 and keeps claims under Retain', () => {
    const set = statefulSet({ replicas: 1 });
    const pods = [0, 1, 2].map((i) => setPod(set, i, 'r1'));
    const plan = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods,
      claims: claimsFor(3),
      now: T0,
    });
    expect(summary(plan.actions)).toEqual(['deletePod web-2']);
    expect(plan.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
    });
    // -2 terminating: wait for it before -1.
    const terminating = [
      pods[0],
      pods[1],
      { ...pods[2], metadata: { ...pods[2].metadata, deletionTimestamp: T0.toISOString() } },
    ];
    const waiting = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods: terminating,
      claims: claimsFor(3),
      now: T0,
    });
    expect(waiting.actions).toEqual([]);
    // The terminating -2 still counts as a replica, but neither as current nor updated.
    expect(waiting.status).toMatchObject({ replicas: 3, currentReplicas: 2, updatedReplicas: 2 });
    const after = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods: pods.slice(0, 2),
      claims: claimsFor(3),
      now: T0,
    });
    expect(summary(after.actions)).toEqual(['deletePod web-1']);
  });

  it("scale 3→1 under whenScaled Delete deletes the condemned ordinal's claim too", () => {
    const set = statefulSet({
      replicas: 1,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
    });
    const pods = [0, 1, 2].map((i) => setPod(set, i, 'r1'));
    const plan = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods,
      claims: claimsFor(3),
      now: T0,
    });
    expect(summary(plan.actions)).toEqual(['deletePod web-2', 'deleteClaim data-web-2']);
  });

  it('RollingUpdate with partition 2 updates only -2', () => {
    const set = statefulSet({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } },
    });
    const pods = [0, 1, 2].map((i) => setPod(set, i, 'r1'));
    const plan = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r2',
      pods,
      claims: claimsFor(3),
      now: T0,
    });
    expect(summary(plan.actions)).toEqual(['deletePod web-2']);
    // -2 recreated at r2 and ready: nothing else is updated (0 and 1 are below the partition).
    const recreated = [pods[0], pods[1], setPod(set, 2, 'r2')];
    const after = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r2',
      pods: recreated,
      claims: claimsFor(3),
      now: T0,
    });
    expect(after.actions).toEqual([]);
    expect(after.status).toMatchObject({ currentReplicas: 2, updatedReplicas: 1 });
    // A missing ordinal below the partition is recreated at the current revision.
    const missing = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r2',
      pods: [pods[1], recreated[2]],
      claims: claimsFor(3),
      now: T0,
    });
    const created = missing.actions[0] as Extract<StatefulSetAction, { type: 'createPod' }>;
    expect(created.pod.metadata.labels!['controller-revision-hash']).toBe('r1');
  });

  it('RollingUpdate without partition goes from the highest ordinal, one at a time', () => {
    const set = statefulSet();
    const pods = [setPod(set, 0, 'r1'), setPod(set, 1, 'r1'), setPod(set, 2, 'r2', false)];
    const blocked = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r2',
      pods,
      claims: claimsFor(3),
      now: T0,
    });
    expect(blocked.actions).toEqual([]);
    const ready = [pods[0], pods[1], setPod(set, 2, 'r2')];
    const next = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r2',
      pods: ready,
      claims: claimsFor(3),
      now: T0,
    });
    expect(summary(next.actions)).toEqual(['deletePod web-1']);
  });

  it('OnDelete never deletes for an update', () => {
    const set = statefulSet({ updateStrategy: { type: 'OnDelete' } });
    const pods = [0, 1, 2].map((i) => setPod(set, i, 'r1'));
    const plan = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r2',
      pods,
      claims: claimsFor(3),
      now: T0,
    });
    expect(plan.actions).toEqual([]);
    expect(plan.status).toMatchObject({ currentReplicas: 3, updatedReplicas: 0 });
  });
  it('Parallel scale-down deletes every condemned ordinal at once, highest first', () => {
    const set = statefulSet({ replicas: 1, podManagementPolicy: 'Parallel' });
    const pods = [0, 1, 2].map((i) => setPod(set, i, 'r1'));
    const plan = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods,
      claims: claimsFor(3),
      now: T0,
    });
    expect(summary(plan.actions)).toEqual(['deletePod web-2', 'deletePod web-1']);
  });

  it('RollingUpdate maxUnavailable 2 replaces the two highest ordinals together', () => {
    const set = statefulSet({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } },
    });
    const pods = [0, 1, 2].map((i) => setPod(set, i, 'r1'));
    const plan = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r2',
      pods,
      claims: claimsFor(3),
      now: T0,
    });
    expect(summary(plan.actions)).toEqual(['deletePod web-2', 'deletePod web-1']);
  });

  it('a Failed pod is deleted (to be recreated) and OrderedReady waits behind it', () => {
    const set = statefulSet();
    const failed = pod({
      name: 'web-0',
      namespace: 'ns',
      owner: set,
      phase: 'Failed',
      labels: { app: 'web', 'controller-revision-hash': 'r1' },
    });
    const plan = reconcileStatefulSet({
      set,
      currentRevision: 'r1',
      updateRevision: 'r1',
      pods: [failed],
      claims: claimsFor(1),
      now: T0,
    });
    expect(summary(plan.actions)).toEqual(['deletePod web-0']);
  });

  it('a deleted set deletes its claims only under whenDeleted Delete', () => {
    const spec = { replicas: 2 };
    const deleting = (policy: string) =>
      deepFreeze({
        ...statefulSet({
          ...spec,
          persistentVolumeClaimRetentionPolicy: { whenDeleted: policy, whenScaled: 'Retain' },
        }),
        metadata: {
          name: 'web',
          namespace: 'ns',
          uid: 'sts-uid',
          deletionTimestamp: T0.toISOString(),
        },
      } as KubeObject);
    const run = (policy: string) =>
      reconcileStatefulSet({
        set: deleting(policy),
        currentRevision: 'r1',
        updateRevision: 'r1',
        pods: [],
        claims: claimsFor(2),
        now: T0,
      });
    expect(run('Retain').actions).toEqual([]);
    expect(summary(run('Delete').actions)).toEqual([
      'deleteClaim data-web-0',
      'deleteClaim data-web-1',
    ]);
  });
});
