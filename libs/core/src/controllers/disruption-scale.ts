/**
 * The disruption controller's expected pod count for a percentage or a maxUnavailable
 * budget (kube-controller-manager pkg/controller/disruption getExpectedScale and its
 * finders), and what an admitted eviction writes to the budget (pkg/registry/core/pod/
 * storage/eviction.go checkAndDecrement). Pure: the caller lists the controllers.
 */
import { ApiError, errors } from '../api/status';
import { formatTimestamp } from '../api/types';
import type { KubeObject } from '../api/types';
import { obj } from '../resources/util';
import type { EvictionDecision } from './disruption';
import { controllerRefOf, deepClone, nameOf, uidOf } from './util';

/** Kinds whose `spec.replicas` is a scale the finders read (apiVersion/kind). */
const SCALED_KINDS = new Set([
  'v1/ReplicationController',
  'apps/v1/Deployment',
  'apps/v1/ReplicaSet',
  'apps/v1/StatefulSet',
]);

/** Kubernetes' MaxDisruptedPodSize: evictions not yet confirmed by the controller. */
export const MAX_DISRUPTED_PODS = 2000;

export type ExpectedScale =
  { scale: number; unmanagedPods: string[] } | { error: string; unmanagedPods: string[] };

function replicasOf(o: KubeObject): number {
  const r = obj(o.spec).replicas;
  return typeof r === 'number' ? r : 1;
}

/**
 * The sum of the scales of the controllers of `pods` (each counted once): a pod of a
 * ReplicaSet owned by a Deployment counts the Deployment's replicas. Pods without a
 * controller are unmanaged (left out); a pod whose controller is not among `controllers`
 * (gone, or a kind without a scale) is an error, as Kubernetes' "found no controllers".
 */
export function expectedScale(
  pods: readonly KubeObject[],
  controllers: readonly KubeObject[],
): ExpectedScale {
  const byUid = new Map<string, KubeObject>();
  for (const c of controllers) {
    if (SCALED_KINDS.has(`${c.apiVersion}/${c.kind}`)) byUid.set(uidOf(c), c);
  }
  const scales = new Map<string, number>();
  const unmanagedPods: string[] = [];
  for (const pod of pods) {
    const ref = controllerRefOf(pod);
    if (!ref) {
      unmanagedPods.push(nameOf(pod));
      continue;
    }
    let owner = byUid.get(ref.uid);
    if (!owner || owner.kind !== ref.kind || nameOf(owner) !== ref.name) {
      return { error: `found no controllers for pod "${nameOf(pod)}"`, unmanagedPods };
    }
    // getPodDeployment: a ReplicaSet a Deployment controls is scaled by that Deployment.
    const parentRef = owner.kind === 'ReplicaSet' ? controllerRefOf(owner) : undefined;
    if (parentRef?.kind === 'Deployment') {
      const parent = byUid.get(parentRef.uid);
      if (!parent) return { error: `found no controllers for pod "${nameOf(pod)}"`, unmanagedPods };
      owner = parent;
    }
    scales.set(uidOf(owner), replicasOf(owner));
  }
  let scale = 0;
  for (const s of scales.values()) scale += s;
  return { scale, unmanagedPods };
}

/** Whether `pdb` needs the controllers' scale (a percentage, or any maxUnavailable). */
export function pdbNeedsScale(pdb: KubeObject): boolean {
  const spec = obj(pdb.spec);
  return spec.maxUnavailable !== undefined || typeof spec.minAvailable === 'string';
}

/**
 * The budget as an admitted eviction of `podName` leaves it: one disruption fewer, the pod
 * recorded in `disruptedPods` (so the controller does not count it healthy meanwhile), and
 * DisruptionAllowed turned False at zero. A 403 when too many evictions are unconfirmed.
 */
export function budgetAfterEviction(pdb: KubeObject, podName: string, now: Date): KubeObject {
  const next = deepClone(pdb);
  const status = obj(next.status);
  const disrupted = { ...obj(status.disruptedPods) } as Record<string, string>;
  if (Object.keys(disrupted).length > MAX_DISRUPTED_PODS) {
    throw new ApiError(
      403,
      'Forbidden',
      'DisruptedPods map too big - too many evictions not confirmed by PDB controller',
    );
  }
  const allowed =
    (typeof status.disruptionsAllowed === 'number' ? status.disruptionsAllowed : 0) - 1;
  disrupted[podName] = formatTimestamp(now);
  let conditions = Array.isArray(status.conditions)
    ? (status.conditions as Record<string, unknown>[])
    : [];
  if (allowed === 0) {
    conditions = conditions.map((c) =>
      c.type === 'DisruptionAllowed' && c.status !== 'False'
        ? {
            ...c,
            status: 'False',
            reason: 'InsufficientPods',
            lastTransitionTime: disrupted[podName],
          }
        : c,
    );
  }
  next.status = { ...status, disruptionsAllowed: allowed, disruptedPods: disrupted, conditions };
  return next;
}

/** The Status an eviction refused by `decision` answers with, as kube-apiserver's. */
export function evictionRefusal(decision: Extract<EvictionDecision, { allowed: false }>): ApiError {
  if (decision.code === 500) {
    return errors.internal(decision.message);
  }
  return new ApiError(429, 'TooManyRequests', decision.message, {
    ...(decision.retryAfterSeconds ? { retryAfterSeconds: decision.retryAfterSeconds } : {}),
    causes: decision.causes ?? [],
  });
}
