import type { KubeObject, OwnerReference } from '../api/types';
import {
  finalizerForPropagation,
  gcDecide,
  ownerFinalizerDecide,
  ownerStatesFor,
  type OwnerState,
} from './garbage-collector';
import { deepFreeze, pod, replicaSet, ts } from './test-helpers';

function ref(uid: string, block = true): OwnerReference {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name: uid,
    uid,
    controller: true,
    blockOwnerDeletion: block,
  };
}

function dependent(
  refs: OwnerReference[],
  o: { finalizers?: string[]; deleting?: boolean } = {},
): KubeObject {
  const p = pod({ name: 'dep' });
  p.metadata.ownerReferences = refs;
  if (o.finalizers) p.metadata.finalizers = o.finalizers;
  if (o.deleting) p.metadata.deletionTimestamp = ts(0);
  return p;
}

const state = (uid: string, o: Partial<OwnerState> = {}): OwnerState => ({
  ref: ref(uid),
  exists: true,
  deleting: false,
  foreground: false,
  ...o,
});

describe('gcDecide', () => {
  it('keeps objects without owners or with a live owner', () => {
    expect(gcDecide(dependent([]), [])).toEqual({ action: 'keep', reason: 'NoOwners' });
    expect(gcDecide(dependent([ref('a')]), [state('a')])).toEqual({
      action: 'keep',
      reason: 'OwnerExists',
    });
    // an owner being deleted in the background still protects it until gone
    expect(gcDecide(dependent([ref('a')]), [state('a', { deleting: true })])).toEqual({
      action: 'keep',
      reason: 'OwnerExists',
    });
  });

  it('deletes in the background when every owner is gone', () => {
    expect(
      gcDecide(dependent([ref('a'), ref('b')]), [
        state('a', { exists: false }),
        state('b', { exists: false }),
      ]),
    ).toEqual({
      action: 'delete',
      propagationPolicy: 'Background',
    });
  });

  it('keeps its own deletion finalizers as the propagation policy', () => {
    expect(
      gcDecide(dependent([ref('a')], { finalizers: ['orphan'] }), [state('a', { exists: false })]),
    ).toEqual({ action: 'delete', propagationPolicy: 'Orphan' });
    expect(
      gcDecide(dependent([ref('a')], { finalizers: ['foregroundDeletion'] }), [
        state('a', { exists: false }),
      ]),
    ).toEqual({ action: 'delete', propagationPolicy: 'Foreground' });
  });

  it('removes dangling references when a live owner remains', () => {
    const obj = deepFreeze(dependent([ref('gone'), ref('live')]));
    const d = gcDecide(obj, [state('gone', { exists: false }), state('live')]);
    expect(d.action).toBe('remove-owner-refs');
    if (d.action !== 'remove-owner-refs') return;
    expect(d.ownerUids).toEqual(['gone']);
    expect(d.object.metadata.ownerReferences).toEqual([ref('live')]);
    expect(d.object.metadata.resourceVersion).toBe('1');
  });

  it('follows an owner deleting in the foreground', () => {
    const waiting = state('a', { deleting: true, foreground: true });
    expect(gcDecide(dependent([ref('a')]), [waiting])).toEqual({
      action: 'delete',
      propagationPolicy: 'Background',
    });
    expect(gcDecide(dependent([ref('a')]), [waiting], { hasDependents: true })).toEqual({
      action: 'delete',
      propagationPolicy: 'Foreground',
    });
    // with another live owner it only drops the reference, so the first owner is not blocked
    const d = gcDecide(dependent([ref('a'), ref('b')]), [waiting, state('b')]);
    expect(d).toMatchObject({ action: 'remove-owner-refs', ownerUids: ['a'] });
  });

  it('waits while the object itself is being deleted', () => {
    expect(
      gcDecide(dependent([ref('a')], { deleting: true }), [state('a', { exists: false })]),
    ).toEqual({ action: 'keep', reason: 'BeingDeleted' });
  });

  it('never deletes on a guess when an owner was not looked up', () => {
    expect(
      gcDecide(dependent([ref('a'), ref('b')]), [state('a', { exists: false })]),
    ).toMatchObject({ action: 'remove-owner-refs', ownerUids: ['a'] });
  });
});

describe('ownerStatesFor', () => {
  it('treats a same-named owner with another uid as gone', () => {
    const rs = replicaSet({ uid: 'new-uid' });
    rs.metadata.finalizers = ['foregroundDeletion'];
    rs.metadata.deletionTimestamp = ts(0);
    const dep = dependent([ref('old-uid'), { ...ref('new-uid'), name: 'web-abc' }]);
    const states = ownerStatesFor(dep, (r) => (r.name === 'web-abc' ? rs : undefined));
    expect(states.map((s) => [s.ref.uid, s.exists, s.deleting, s.foreground])).toEqual([
      ['old-uid', false, false, false],
      ['new-uid', true, true, true],
    ]);
  });
});

describe('ownerFinalizerDecide', () => {
  const owner = (finalizers: string[], deleting = true): KubeObject => {
    const rs = replicaSet({ uid: 'o' });
    rs.metadata.finalizers = finalizers;
    if (deleting) rs.metadata.deletionTimestamp = ts(0);
    return rs;
  };

  it('does nothing for owners not being deleted or without GC finalizers', () => {
    expect(ownerFinalizerDecide(owner(['foregroundDeletion'], false), [])).toEqual({
      action: 'none',
    });
    expect(ownerFinalizerDecide(owner(['example.com/x']), [])).toEqual({ action: 'none' });
  });

  it('orphans dependents, then drops the orphan finalizer', () => {
    const o = deepFreeze(owner(['orphan', 'example.com/keep']));
    const deps = deepFreeze([dependent([ref('o'), ref('other')]), dependent([ref('unrelated')])]);
    const d = ownerFinalizerDecide(o, deps);
    expect(d.action).toBe('orphan');
    if (d.action !== 'orphan') return;
    expect(d.dependents).toHaveLength(1);
    expect(d.dependents[0]!.metadata.ownerReferences).toEqual([ref('other')]);
    expect(d.owner.metadata.finalizers).toEqual(['example.com/keep']);
    const last = ownerFinalizerDecide(owner(['orphan']), []);
    expect(last).toMatchObject({ action: 'orphan', dependents: [] });
    if (last.action === 'orphan') expect(last.owner.metadata.finalizers).toBeUndefined();
  });

  it('waits for blocking dependents in the foreground, then drops the finalizer', () => {
    const o = owner(['foregroundDeletion']);
    const blocking = dependent([ref('o', true)]);
    const loose = dependent([ref('o', false)]);
    expect(ownerFinalizerDecide(o, [blocking, loose])).toEqual({
      action: 'wait',
      blocking: [blocking],
    });
    const done = ownerFinalizerDecide(o, [loose]);
    expect(done.action).toBe('remove-finalizer');
    if (done.action === 'remove-finalizer') expect(done.owner.metadata.finalizers).toBeUndefined();
  });

  it('maps propagation policies to finalizers', () => {
    expect(finalizerForPropagation('Foreground')).toBe('foregroundDeletion');
    expect(finalizerForPropagation('Orphan')).toBe('orphan');
    expect(finalizerForPropagation('Background')).toBeUndefined();
  });
});
