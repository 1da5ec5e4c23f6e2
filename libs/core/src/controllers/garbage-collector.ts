/**
 * The garbage collector's decisions (kubernetes pkg/controller/garbagecollector), for one
 * object at a time:
 *
 * - {@link gcDecide} — the dependent side (attemptToDeleteItem): an object whose owners are
 *   all gone is deleted; dangling owner references beside a live owner are removed; an owner
 *   being deleted in the foreground makes its dependents go too.
 * - {@link ownerFinalizerDecide} — the owner side: `orphan` (remove the owner's reference
 *   from every dependent, then the finalizer) and `foregroundDeletion` (wait until no
 *   dependent with `blockOwnerDeletion` is left, then remove the finalizer).
 *
 * The worker looks the owners up ({@link ownerStatesFor}), applies the decision with
 * resourceVersion-guarded writes, and deletes with the returned propagation policy (the API
 * then adds the `foregroundDeletion` / `orphan` finalizer, as Kubernetes' does). An object
 * whose last finalizer is removed while it has a deletionTimestamp is deleted by the store.
 */
import type { KubeObject, OwnerReference } from '../api/types';
import {
  finalizersOf,
  isBeingDeleted,
  ownerReferencesOf,
  uidOf,
  withoutFinalizer,
  withoutOwnerRefs,
} from './util';

export const FOREGROUND_DELETION_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** What the worker found for one of the object's owner references. */
export interface OwnerState {
  ref: OwnerReference;
  /** An object with the reference's kind, namespace, name *and uid* exists. */
  exists: boolean;
  /** It has a deletionTimestamp. */
  deleting: boolean;
  /** It has the `foregroundDeletion` finalizer (it waits for its dependents). */
  foreground: boolean;
}

export type GcDecision =
  /** Nothing to do: a live owner remains, there are no owners, or the object is going anyway. */
  | { action: 'keep'; reason: 'NoOwners' | 'OwnerExists' | 'BeingDeleted' }
  /** Delete the object with this propagation policy. */
  | { action: 'delete'; propagationPolicy: PropagationPolicy }
  /**
   * A live owner remains, but some references point at owners that are gone or are deleting
   * their dependents in the foreground: write `object` (a copy without those references).
   */
  | { action: 'remove-owner-refs'; ownerUids: string[]; object: KubeObject };

/**
 * Looks up each owner reference of `object` with `lookup` (by apiVersion, kind, name and
 * the dependent's namespace — or none for cluster-scoped owners) and reports its state. An
 * object found under the name but with another uid counts as gone, as in Kubernetes.
 */
export function ownerStatesFor(
  object: KubeObject,
  lookup: (ref: OwnerReference) => KubeObject | undefined,
): OwnerState[] {
  return ownerReferencesOf(object).map((ref) => {
    const owner = lookup(ref);
    const exists = owner !== undefined && uidOf(owner) === ref.uid;
    return {
      ref,
      exists,
      deleting: exists && isBeingDeleted(owner!),
      foreground: exists && finalizersOf(owner!).includes(FOREGROUND_DELETION_FINALIZER),
    };
  });
}

export interface GcDecideOptions {
  /** Whether other objects reference this one as their owner (it then goes in the foreground). */
  hasDependents?: boolean;
}

/**
 * The dependent-side decision for `object` given the states of its owners. Owner references
 * without a state in `owners` are treated as live (never deleted on a guess).
 */
export function gcDecide(
  object: KubeObject,
  owners: readonly OwnerState[],
  opts: GcDecideOptions = {},
): GcDecision {
  if (isBeingDeleted(object)) return { action: 'keep', reason: 'BeingDeleted' };
  const refs = ownerReferencesOf(object);
  if (refs.length === 0) return { action: 'keep', reason: 'NoOwners' };

  const dangling: string[] = [];
  const waiting: string[] = [];
  let solid = 0;
  for (const ref of refs) {
    const state = owners.find((o) => o.ref.uid === ref.uid);
    if (!state) solid++;
    else if (!state.exists) dangling.push(ref.uid);
    else if (state.deleting && state.foreground) waiting.push(ref.uid);
    else solid++;
  }

  if (solid > 0) {
    if (dangling.length === 0 && waiting.length === 0) {
      return { action: 'keep', reason: 'OwnerExists' };
    }
    const ownerUids = [...dangling, ...waiting];
    return { action: 'remove-owner-refs', ownerUids, object: withoutOwnerRefs(object, ownerUids) };
  }
  if (waiting.length > 0 && opts.hasDependents) {
    // Its owner waits for it, and it has dependents of its own: they go first.
    return { action: 'delete', propagationPolicy: 'Foreground' };
  }
  const finalizers = finalizersOf(object);
  const propagationPolicy: PropagationPolicy = finalizers.includes(ORPHAN_FINALIZER)
    ? 'Orphan'
    : finalizers.includes(FOREGROUND_DELETION_FINALIZER)
      ? 'Foreground'
      : 'Background';
  return { action: 'delete', propagationPolicy };
}

export type OwnerFinalizerDecision =
  /** Not being deleted, or no garbage-collector finalizer. */
  | { action: 'none' }
  /**
   * Orphan: write each of `dependents` (copies without the owner's reference), then
   * `owner` (a copy without the `orphan` finalizer).
   */
  | { action: 'orphan'; dependents: KubeObject[]; owner: KubeObject }
  /** Foreground: these dependents (blockOwnerDeletion) still exist; check again when they go. */
  | { action: 'wait'; blocking: KubeObject[] }
  /** Foreground: no blocking dependent is left; write `owner` (without `foregroundDeletion`). */
  | { action: 'remove-finalizer'; owner: KubeObject };

/**
 * The owner-side decision for an owner being deleted with the `orphan` or
 * `foregroundDeletion` finalizer. `dependents` are the objects whose owner references
 * include the owner's uid (others are ignored).
 */
export function ownerFinalizerDecide(
  owner: KubeObject,
  dependents: readonly KubeObject[],
): OwnerFinalizerDecision {
  if (!isBeingDeleted(owner)) return { action: 'none' };
  const uid = uidOf(owner);
  const finalizers = finalizersOf(owner);
  const mine = dependents.filter((d) => ownerReferencesOf(d).some((r) => r.uid === uid));
  if (finalizers.includes(ORPHAN_FINALIZER)) {
    return {
      action: 'orphan',
      dependents: mine.map((d) => withoutOwnerRefs(d, [uid])),
      owner: withoutFinalizer(owner, ORPHAN_FINALIZER),
    };
  }
  if (finalizers.includes(FOREGROUND_DELETION_FINALIZER)) {
    const blocking = mine.filter((d) =>
      ownerReferencesOf(d).some((r) => r.uid === uid && r.blockOwnerDeletion === true),
    );
    if (blocking.length > 0) return { action: 'wait', blocking };
    return {
      action: 'remove-finalizer',
      owner: withoutFinalizer(owner, FOREGROUND_DELETION_FINALIZER),
    };
  }
  return { action: 'none' };
}

/**
 * The finalizer the API adds when an object is deleted with `propagationPolicy`
 * (Kubernetes' deletion strategy), or none for Background.
 */
export function finalizerForPropagation(policy: PropagationPolicy): string | undefined {
  if (policy === 'Foreground') return FOREGROUND_DELETION_FINALIZER;
  if (policy === 'Orphan') return ORPHAN_FINALIZER;
  return undefined;
}
