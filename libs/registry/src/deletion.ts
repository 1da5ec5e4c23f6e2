/** What DELETE does to an object: the garbage collector's finalizers, a grace period. */
import {
  errors,
  finalizerForPropagation,
  formatTimestamp,
  type KubeObject,
  type PropagationPolicy,
  type ResourceDefinition,
} from '@berth/core';

const GC_FINALIZERS: ReadonlySet<string> = new Set([
  finalizerForPropagation('Foreground')!,
  finalizerForPropagation('Orphan')!,
]);

/**
 * `object` as recorded when deleted at once, for a resource with a grace period
 * (ResourceDefinition.deletionGracePeriod): with `deletionTimestamp` now and
 * `deletionGracePeriodSeconds`. Undefined for other resources.
 */
export function withDeletionGrace(
  def: ResourceDefinition,
  object: KubeObject,
  requested: number | undefined,
  now = new Date(),
): KubeObject | undefined {
  if (!def.deletionGracePeriod) return undefined;
  const next = structuredClone(object);
  next.metadata.deletionTimestamp = formatTimestamp(now);
  next.metadata.deletionGracePeriodSeconds = def.deletionGracePeriod(object, requested);
  return next;
}

/**
 * The finalizers `object` must carry when deleted with `propagationPolicy`, or undefined
 * when they stay as they are. An explicit policy replaces the garbage collector's
 * finalizers (`foregroundDeletion`, `orphan`) with its own (none for Background); without
 * one, the object's finalizers decide — as Kubernetes' deletionFinalizersForGarbageCollection.
 */
export function finalizersForDeletion(
  object: KubeObject,
  propagationPolicy: string | undefined,
): string[] | undefined {
  if (propagationPolicy === undefined || propagationPolicy === '') return undefined;
  if (!['Background', 'Foreground', 'Orphan'].includes(propagationPolicy)) {
    throw errors.badRequest(
      `propagationPolicy must be Orphan, Background or Foreground, got "${propagationPolicy}"`,
    );
  }
  const current = object.metadata.finalizers ?? [];
  const next = current.filter((f) => !GC_FINALIZERS.has(f));
  const added = finalizerForPropagation(propagationPolicy as PropagationPolicy);
  if (added) next.push(added);
  const same = next.length === current.length && next.every((f) => current.includes(f));
  return same ? undefined : next;
}

/** DeleteOptions' preconditions (Kubernetes' Preconditions): 409 when one does not hold. */
export function checkDeletePreconditions(
  def: ResourceDefinition,
  name: string,
  current: KubeObject,
  pre: { uid?: string; resourceVersion?: string } | undefined,
): void {
  if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
    throw errors.conflict(
      def.plural,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      def.group || undefined,
    );
  }
  if (
    pre?.resourceVersion !== undefined &&
    pre.resourceVersion !== current.metadata.resourceVersion
  ) {
    throw errors.conflict(
      def.plural,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      def.group || undefined,
    );
  }
}
