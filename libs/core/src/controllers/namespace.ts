/**
 * The namespace controller's decisions (kubernetes pkg/controller/namespace/deletion), for a
 * namespace being deleted:
 *
 * - {@link namespaceDeletionStatus} — the status to write after a pass over the namespace's
 *   content: phase `Terminating` and Kubernetes' five deletion conditions, each `False` with
 *   its "all is well" reason, or `True` with what went wrong or what is left
 *   (`Some resources are remaining: pods. has 3 resource instances`).
 * - {@link namespaceDeletionDecide} — what to do next: remove the `kubernetes` finalizer
 *   (nothing is left inside), look again later (content remains), or retry with backoff
 *   (some deletions failed).
 *
 * The worker lists and deletes the content (every namespaced resource Berth serves) and
 * reports what it found in a {@link NamespaceContentReport}.
 */
import { formatTimestamp, type KubeObject } from '../api/types';
import { conditionsOf, deepClone, finalizersOf, isBeingDeleted, obj, type Condition } from './util';

/** The finalizer the API puts on a namespace being deleted; this controller removes it. */
export const NAMESPACE_FINALIZER = 'kubernetes';

/** The condition types the namespace controller maintains, in Kubernetes' order. */
export const NAMESPACE_DELETION_CONDITIONS = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

export type NamespaceDeletionCondition = (typeof NAMESPACE_DELETION_CONDITIONS)[number];

/** Each condition's `False` ("nothing wrong") reason and message, as Kubernetes writes them. */
const OK: Record<NamespaceDeletionCondition, { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: {
    reason: 'ResourcesDiscovered',
    message: 'All resources successfully discovered',
  },
  NamespaceDeletionGroupVersionParsingFailure: {
    reason: 'ParsedGroupVersions',
    message: 'All legacy kube types successfully parsed',
  },
  NamespaceDeletionContentFailure: {
    reason: 'ContentDeleted',
    message: 'All content successfully deleted, may be waiting on finalization',
  },
  NamespaceContentRemaining: {
    reason: 'ContentRemoved',
    message: 'All content successfully removed',
  },
  NamespaceFinalizersRemaining: {
    reason: 'ContentHasNoFinalizers',
    message: 'All content-preserving finalizers finished',
  },
};

/** While content without finalizers is still going (garbage collector, races), look again this soon. */
export const NAMESPACE_CONTENT_RECHECK_MS = 1_000;
/** While finalizers hold content, someone else must act: look again this often. */
export const NAMESPACE_FINALIZER_RECHECK_MS = 3_000;

/** The objects of one resource still in the namespace after a deletion pass. */
export interface RemainingContent {
  /** The resource's API group (`''` for core). */
  group: string;
  /** Its plural name (`pods`). */
  plural: string;
  objects: readonly KubeObject[];
}

/** What one pass over a terminating namespace's content found. */
export interface NamespaceContentReport {
  /** Per resource, what is left (resources with nothing left may be omitted). */
  remaining: readonly RemainingContent[];
  /** One message per resource whose content could not be listed or deleted. */
  deleteFailures: readonly string[];
  /**
   * Resources that could not be discovered. Berth's resource list is compiled in, so the
   * worker reports none; kept so the condition means what it means in Kubernetes.
   */
  discoveryFailures?: readonly string[];
}

function countBy(keys: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** `pods. has 3 resource instances`, `deployments.apps has 1 resource instances`, sorted. */
function remainingResources(report: NamespaceContentReport): string[] {
  const counts = new Map<string, number>();
  for (const r of report.remaining) {
    if (r.objects.length === 0) continue;
    const key = `${r.plural}.${r.group}`;
    counts.set(key, (counts.get(key) ?? 0) + r.objects.length);
  }
  return [...counts].map(([resource, n]) => `${resource} has ${n} resource instances`).sort();
}

/** `example.com/x in 1 resource instances`, sorted. */
function remainingFinalizers(report: NamespaceContentReport): string[] {
  const counts = countBy(report.remaining.flatMap((r) => r.objects.flatMap(finalizersOf)));
  return [...counts].map(([finalizer, n]) => `${finalizer} in ${n} resource instances`).sort();
}

/** The five conditions for `report`, without timestamps (Kubernetes' namespaceConditionUpdater). */
export function namespaceDeletionConditions(report: NamespaceContentReport): Condition[] {
  const failed = new Map<NamespaceDeletionCondition, Condition>();
  const discovery = report.discoveryFailures ?? [];
  if (discovery.length > 0) {
    failed.set('NamespaceDeletionDiscoveryFailure', {
      type: 'NamespaceDeletionDiscoveryFailure',
      status: 'True',
      reason: 'DiscoveryFailed',
      message: `Discovery failed for some groups, ${discovery.length} failing: ${[...discovery].sort().join(', ')}`,
    });
  }
  if (report.deleteFailures.length > 0) {
    failed.set('NamespaceDeletionContentFailure', {
      type: 'NamespaceDeletionContentFailure',
      status: 'True',
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${report.deleteFailures.length} remaining: ${[
        ...report.deleteFailures,
      ]
        .sort()
        .join(', ')}`,
    });
  }
  const resources = remainingResources(report);
  if (resources.length > 0) {
    failed.set('NamespaceContentRemaining', {
      type: 'NamespaceContentRemaining',
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: `Some resources are remaining: ${resources.join(', ')}`,
    });
  }
  const finalizers = remainingFinalizers(report);
  if (finalizers.length > 0) {
    failed.set('NamespaceFinalizersRemaining', {
      type: 'NamespaceFinalizersRemaining',
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${finalizers.join(', ')}`,
    });
  }
  return NAMESPACE_DELETION_CONDITIONS.map(
    (type) => failed.get(type) ?? { type, status: 'False', ...OK[type] },
  );
}

/**
 * The status `namespace` should have after a pass that found `report`: phase `Terminating`
 * and the deletion conditions merged into its conditions as Kubernetes' updateConditions
 * does (a condition's lastTransitionTime changes only when its status does; other
 * conditions are kept). Undefined when the current status is already that.
 */
export function namespaceDeletionStatus(
  namespace: KubeObject,
  report: NamespaceContentReport,
  now: Date,
): Record<string, unknown> | undefined {
  const status = deepClone(obj(namespace.status));
  const conditions = conditionsOf(namespace.status);
  let changed = status.phase !== 'Terminating';
  status.phase = 'Terminating';
  const ts = formatTimestamp(now);
  for (const wanted of namespaceDeletionConditions(report)) {
    const i = conditions.findIndex((c) => c.type === wanted.type);
    if (i < 0) {
      conditions.push({ ...wanted, lastTransitionTime: ts });
      changed = true;
      continue;
    }
    const old = conditions[i];
    if (
      old.status === wanted.status &&
      old.reason === wanted.reason &&
      old.message === wanted.message
    ) {
      continue;
    }
    conditions[i] = {
      ...old,
      ...wanted,
      lastTransitionTime:
        old.status !== wanted.status || !old.lastTransitionTime ? ts : old.lastTransitionTime,
    };
    changed = true;
  }
  if (!changed) return undefined;
  status.conditions = conditions as unknown as Record<string, unknown>[];
  return status;
}

export type NamespaceDeletionDecision =
  /** Not being deleted, or the `kubernetes` finalizer is gone already: nothing to do. */
  | { action: 'none' }
  /** Nothing is left inside: remove the `kubernetes` finalizer (the store then deletes it). */
  | { action: 'finalize' }
  /** Content remains: look again after `requeueAfterMs`. */
  | { action: 'wait'; requeueAfterMs: number }
  /** Some content could not be listed or deleted: fail, so the queue retries with backoff. */
  | { action: 'retry'; message: string };

/** What to do about `namespace` after a pass over its content found `report`. */
export function namespaceDeletionDecide(
  namespace: KubeObject,
  report: NamespaceContentReport,
): NamespaceDeletionDecision {
  if (!isBeingDeleted(namespace) || !finalizersOf(namespace).includes(NAMESPACE_FINALIZER)) {
    return { action: 'none' };
  }
  const failures = [...(report.discoveryFailures ?? []), ...report.deleteFailures];
  if (failures.length > 0) return { action: 'retry', message: failures.sort().join('; ') };
  const left = report.remaining.flatMap((r) => r.objects);
  if (left.length === 0) return { action: 'finalize' };
  const held = left.some((o) => finalizersOf(o).length > 0);
  return {
    action: 'wait',
    requeueAfterMs: held ? NAMESPACE_FINALIZER_RECHECK_MS : NAMESPACE_CONTENT_RECHECK_MS,
  };
}
