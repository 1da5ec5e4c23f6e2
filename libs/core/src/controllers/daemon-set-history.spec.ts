import type { KubeObject } from '../api/types';
import { applyStrategicMergePatch, workloadPatchSchema } from '../patch';
import { CONTROLLER_REVISION_HASH_LABEL, daemonSetHash, reconcileDaemonSet } from './daemon-set';
import {
  CHANGE_CAUSE_ANNOTATION,
  daemonSetRevisionData,
  isCurrentRevisionOf,
  newDaemonSetRevision,
  planDaemonSetHistory,
  revisionMatches,
} from './daemon-set-history';
import { T0, deepFreeze, pod } from './test-helpers';

function daemonSet(image: string, extra: Record<string, unknown> = {}): KubeObject {
  return deepFreeze({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: 'ds',
      namespace: 'ns',
      uid: 'ds-uid',
      generation: 1,
      annotations: { [CHANGE_CAUSE_ANNOTATION]: `image ${image}` },
    },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      revisionHistoryLimit: 10,
      template: {
        metadata: { labels: { app: 'd' } },
        spec: { containers: [{ name: 'main', image, args: ['run'] }] },
      },
      ...extra,
    },
  } as unknown as KubeObject);
}

/** The revision `ds` would record, numbered `n` (as the controller made it earlier). */
function revisionOf(ds: KubeObject, n: number): KubeObject {
  const r = newDaemonSetRevision(ds, n);
  return deepFreeze({ ...r, metadata: { ...r.metadata, uid: `rev-${n}` } });
}

function daemonPod(ds: KubeObject, name: string, hash: string): KubeObject {
  return pod({
    name,
    namespace: 'ns',
    owner: ds,
    nodeName: name,
    readyAt: -60,
    labels: { app: 'd', [CONTROLLER_REVISION_HASH_LABEL]: hash },
  });
}

describe('DaemonSet revision history (constructHistory, cleanupHistory)', () => {
  const v1 = daemonSet('busybox:1');
  const v2 = daemonSet('busybox:2');
  const v3 = daemonSet('busybox:3');

  it('records the first template as revision 1: name, hash label, owner, patch data, change-cause', () => {
    const plan = planDaemonSetHistory(v1, [], []);
    const hash = daemonSetHash(v1);
    expect(plan.hash).toBe(hash);
    expect(plan.create).toEqual({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `ds-${hash}`,
        namespace: 'ns',
        labels: { app: 'd', [CONTROLLER_REVISION_HASH_LABEL]: hash },
        annotations: { [CHANGE_CAUSE_ANNOTATION]: 'image busybox:1' },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'DaemonSet',
            name: 'ds',
            uid: 'ds-uid',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      data: {
        spec: {
          template: {
            $patch: 'replace',
            metadata: { labels: { app: 'd' } },
            spec: { containers: [{ name: 'main', image: 'busybox:1', args: ['run'] }] },
          },
        },
      },
      revision: 1,
    });
    expect(plan.renumber).toBeUndefined();
    expect([plan.deleteDuplicates, plan.relabelPods, plan.cleanup]).toEqual([[], [], []]);
  });

  it('keeps the revision that holds the current template, and numbers a new one after the newest', () => {
    const r1 = revisionOf(v1, 1);
    const r2 = revisionOf(v2, 2);
    const same = planDaemonSetHistory(v2, [r1, r2], []);
    expect(same.create).toBeUndefined();
    expect(same.renumber).toBeUndefined();
    expect(same.hash).toBe(daemonSetHash(v2));
    const changed = planDaemonSetHistory(v3, [r1, r2], []);
    expect(changed.create?.revision).toBe(3);
    expect(changed.hash).toBe(daemonSetHash(v3));
    expect(changed.hash).not.toBe(daemonSetHash(v2));
  });

  it('reuses the revision of a template that comes back, renumbered to the newest', () => {
    const revisions = [revisionOf(v1, 1), revisionOf(v2, 2), revisionOf(v3, 3)];
    const plan = planDaemonSetHistory(v1, revisions, []);
    expect(plan.create).toBeUndefined();
    expect(plan.renumber).toEqual({ revision: revisions[0], to: 4 });
    expect(plan.hash).toBe(daemonSetHash(v1));
  });

  it('ignores revisions another controller owns and revisions being deleted', () => {
    const other = { ...v1, metadata: { ...v1.metadata, uid: 'other-uid' } } as KubeObject;
    const foreign = revisionOf(other, 7);
    const r1 = revisionOf(v1, 1);
    const gone = { ...r1, metadata: { ...r1.metadata, deletionTimestamp: T0.toISOString() } };
    const plan = planDaemonSetHistory(v1, [foreign, gone as KubeObject], []);
    expect(plan.create?.revision).toBe(1);
    // What the controller checks when the name it wants is taken (a hash collision or not).
    expect([isCurrentRevisionOf(v1, r1), isCurrentRevisionOf(v1, foreign)]).toEqual([true, false]);
    expect(isCurrentRevisionOf(v2, r1)).toBe(false);
  });

  it('drops duplicates of the current revision and relabels their pods (dedupCurHistories)', () => {
    const keep = revisionOf(v2, 5);
    const dup = deepFreeze({
      ...revisionOf(v2, 2),
      metadata: {
        ...revisionOf(v2, 2).metadata,
        name: 'ds-dup',
        uid: 'dup',
        labels: { app: 'd', [CONTROLLER_REVISION_HASH_LABEL]: 'dup' },
      },
    }) as KubeObject;
    const pods = [daemonPod(v2, 'a', 'dup'), daemonPod(v2, 'b', daemonSetHash(v2))];
    const plan = planDaemonSetHistory(v2, [dup, keep], pods);
    expect(plan.deleteDuplicates).toEqual([dup]);
    expect(plan.relabelPods.map((p) => [p.metadata.name, p.metadata.labels])).toEqual([
      ['a', { app: 'd', [CONTROLLER_REVISION_HASH_LABEL]: daemonSetHash(v2) }],
    ]);
    expect(plan.renumber).toBeUndefined();
    expect(pods[0].metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]).toBe('dup');
  });

  it('deletes the oldest revisions beyond revisionHistoryLimit, sparing those a pod still runs', () => {
    const images = ['a', 'b', 'c', 'd', 'e', 'f'];
    const dss = images.map((i) => daemonSet(i, { revisionHistoryLimit: 2 }));
    const revisions = dss.map((ds, i) => revisionOf(ds, i + 1));
    const current = dss[5];
    // A pod of revision 2 still runs somewhere: that revision stays.
    const pods = [daemonPod(current, 'n1', daemonSetHash(dss[1]))];
    const plan = planDaemonSetHistory(current, revisions, pods);
    expect(plan.cleanup.map((r) => r.revision)).toEqual([1, 3, 4]);
    const none = planDaemonSetHistory(daemonSet('f', { revisionHistoryLimit: 0 }), revisions, []);
    expect(none.cleanup.map((r) => r.revision)).toEqual([1, 2, 3, 4, 5]);
    const within = planDaemonSetHistory(dss[5], revisions.slice(3), []);
    expect(within.cleanup).toEqual([]);
  });

  it("keeps ten old revisions when the DaemonSet says nothing (kube's default)", () => {
    const dss = Array.from({ length: 13 }, (_, i) => daemonSet(`img-${i}`));
    const revisions = dss.map((ds, i) => revisionOf(ds, i + 1));
    const unset = { ...dss[12], spec: { ...(dss[12].spec as object) } } as KubeObject;
    delete (unset.spec as Record<string, unknown>).revisionHistoryLimit;
    expect(planDaemonSetHistory(unset, revisions, []).cleanup.map((r) => r.revision)).toEqual([
      1, 2,
    ]);
  });

  it("rolls back by patching the DaemonSet with a revision's data (kubectl rollout undo)", () => {
    const r1 = revisionOf(v1, 1);
    const withOther = {
      ...v3,
      spec: {
        ...(v3.spec as object),
        template: {
          metadata: { labels: { app: 'd', extra: 'x' }, annotations: { a: 'b' } },
          spec: {
            containers: [
              { name: 'main', image: 'busybox:3' },
              { name: 'side', image: 'x' },
            ],
          },
        },
      },
    } as KubeObject;
    const undone = applyStrategicMergePatch(
      withOther,
      r1.data,
      workloadPatchSchema(),
    ) as KubeObject;
    expect((undone.spec as Record<string, unknown>).template).toEqual(
      (v1.spec as Record<string, unknown>).template,
    );
    expect(revisionMatches(undone, r1)).toBe(true);
    expect(revisionMatches(v3, r1)).toBe(false);
    expect(daemonSetRevisionData(undone)).toEqual(r1.data);
  });

  it('counts updated pods by the current revision hash it is given', () => {
    const nodes = ['a', 'b'].map(
      (name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } }) as KubeObject,
    );
    const pods = [daemonPod(v1, 'a', 'kept'), daemonPod(v1, 'b', daemonSetHash(v1))];
    const byLabel = reconcileDaemonSet(v1, nodes, pods, T0, undefined, 'kept');
    expect(byLabel.status.updatedNumberScheduled).toBe(1);
    // The pod with the computed hash is old against the revision's hash: it is replaced.
    expect(byLabel.deletePods.map((p) => p.metadata.name)).toEqual(['b']);
    const computed = reconcileDaemonSet(v1, nodes, pods, T0);
    expect(computed.status.updatedNumberScheduled).toBe(1);
    expect(computed.deletePods.map((p) => p.metadata.name)).toEqual(['a']);
  });
});
