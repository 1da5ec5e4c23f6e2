/**
 * The disruption controller's decision (kube-controller-manager
 * pkg/controller/disruption/disruption.go) and the eviction check it feeds
 * (pkg/registry/core/pod/storage/eviction.go), pure.
 *
 * First cut: for a percentage (and for any maxUnavailable) Kubernetes takes the expected pod
 * count from the selected pods' controllers' scale; here the caller may pass it, and without
 * it the number of selected pods is used.
 */
import { formatTimestamp, type KubeObject } from '../api/types';
import { selectorMatches } from '../resources/label-selector';
import {
  isBeingDeleted,
  isPodReady,
  isPodTerminal,
  labelsOf,
  namespaceOf,
  nameOf,
  parseTime,
  scaledValue,
} from './util';
import { isObject, obj, str } from '../resources/util';

/** How long an evicted pod is expected to take to go (disruption.DeletionTimeout). */
export const PDB_DELETION_TIMEOUT_MS = 2 * 60 * 1000;

export const EVICTION_VIOLATES_BUDGET =
  "Cannot evict pod as it would violate the pod's disruption budget.";
export const EVICTION_MULTIPLE_BUDGETS =
  'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.';

export interface PdbStatus {
  observedGeneration: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions: Record<string, unknown>[];
}

/** Whether the PDB selects the pod (nil selector: nothing; empty: every pod in the namespace). */
export function pdbSelectsPod(pdb: KubeObject, pod: KubeObject): boolean {
  if (namespaceOf(pdb) !== namespaceOf(pod)) return false;
  const selector = obj(pdb.spec).selector;
  if (!isObject(selector)) return false;
  return selectorMatches(selector, labelsOf(pod));
}

/** getExpectedPodCount: expectedCount and desiredHealthy. */
export function expectedPodCount(
  pdb: KubeObject,
  pods: readonly KubeObject[],
  expectedScale = pods.length,
): { expectedCount: number; desiredHealthy: number } {
  const spec = obj(pdb.spec);
  if (spec.maxUnavailable !== undefined) {
    const maxUnavailable = scaledValue(spec.maxUnavailable, expectedScale, true);
    return {
      expectedCount: expectedScale,
      desiredHealthy: Math.max(0, expectedScale - maxUnavailable),
    };
  }
  if (typeof spec.minAvailable === 'number') {
    return { expectedCount: pods.length, desiredHealthy: spec.minAvailable };
  }
  if (typeof spec.minAvailable === 'string') {
    return {
      expectedCount: expectedScale,
      desiredHealthy: scaledValue(spec.minAvailable, expectedScale, true),
    };
  }
  return { expectedCount: 0, desiredHealthy: 0 };
}

/** buildDisruptedPodMap: evictions still expected to complete. */
function disruptedPodMap(
  pdb: KubeObject,
  pods: readonly KubeObject[],
  now: Date,
): Record<string, string> {
  const recorded = obj(obj(pdb.status).disruptedPods);
  const out: Record<string, string> = {};
  for (const pod of pods) {
    if (isBeingDeleted(pod)) continue;
    const at = str(recorded[nameOf(pod)]);
    const t = parseTime(at);
    if (t === undefined) continue;
    if (t + PDB_DELETION_TIMEOUT_MS < now.getTime()) continue;
    out[nameOf(pod)] = at;
  }
  return out;
}

/** countHealthyPods. */
export function countHealthyPods(
  pods: readonly KubeObject[],
  disrupted: Record<string, string>,
  now: Date,
): number {
  let healthy = 0;
  for (const pod of pods) {
    if (isBeingDeleted(pod)) continue;
    const t = parseTime(disrupted[nameOf(pod)]);
    if (t !== undefined && t + PDB_DELETION_TIMEOUT_MS > now.getTime()) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

/** The DisruptionAllowed condition (pdbhelper.UpdateDisruptionAllowedCondition). */
function withDisruptionAllowedCondition(
  conditions: readonly Record<string, unknown>[],
  allowed: number,
  generation: number,
  now: Date,
): Record<string, unknown>[] {
  const status = allowed > 0 ? 'True' : 'False';
  const reason = allowed > 0 ? 'SufficientPods' : 'InsufficientPods';
  const old = conditions.find((c) => c.type === 'DisruptionAllowed');
  const next = {
    type: 'DisruptionAllowed',
    status,
    reason,
    message: '',
    observedGeneration: generation,
    lastTransitionTime:
      old && old.status === status ? old.lastTransitionTime : formatTimestamp(now),
  };
  return [...conditions.filter((c) => c.type !== 'DisruptionAllowed'), next];
}

/**
 * The status the disruption controller writes for `pdb`, given every pod in its namespace
 * (those it selects are picked here).
 */
export function pdbStatus(
  pdb: KubeObject,
  namespacePods: readonly KubeObject[],
  now: Date,
  expectedScale?: number,
): PdbStatus {
  const pods = namespacePods.filter((p) => pdbSelectsPod(pdb, p));
  const { expectedCount, desiredHealthy } = expectedPodCount(pdb, pods, expectedScale);
  const disrupted = disruptedPodMap(pdb, pods, now);
  const currentHealthy = countHealthyPods(pods, disrupted, now);
  let disruptionsAllowed = currentHealthy - desiredHealthy;
  if (expectedCount <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
  const generation = Number(obj(pdb.metadata).generation ?? 0) || 0;
  const oldConditions = (
    Array.isArray(obj(pdb.status).conditions) ? obj(pdb.status).conditions : []
  ) as Record<string, unknown>[];
  return {
    observedGeneration: generation,
    ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
    disruptionsAllowed,
    currentHealthy,
    desiredHealthy,
    expectedPods: expectedCount,
    conditions: withDisruptionAllowedCondition(oldConditions, disruptionsAllowed, generation, now),
  };
}

export type EvictionDecision =
  | {
      allowed: true;
      /** The budget that gives the disruption (its status is to be decremented). */
      pdb?: string;
      /**
       * Evicted as unhealthy under a budget (unhealthyPodEvictionPolicy): the deletion must
       * hold only while the pod stays as read (a resourceVersion precondition).
       */
      unhealthy?: boolean;
    }
  | {
      allowed: false;
      code: 429 | 500;
      message: string;
      causes?: { reason: string; message: string }[];
      retryAfterSeconds?: number;
    };

/** Whether `pod` may be evicted under `pdbs` (those in its namespace; matched here). */
export function canEvict(pdbs: readonly KubeObject[], pod: KubeObject): EvictionDecision {
  const phase = str(obj(pod.status).phase);
  // canIgnorePDB: terminal, pending or already being deleted.
  if (isPodTerminal(pod) || phase === 'Pending' || isBeingDeleted(pod)) return { allowed: true };
  const matching = pdbs.filter((p) => pdbSelectsPod(p, pod));
  if (matching.length > 1) {
    return { allowed: false, code: 500, message: EVICTION_MULTIPLE_BUDGETS };
  }
  if (matching.length === 0) return { allowed: true };
  const pdb = matching[0];
  const status = obj(pdb.status);
  const spec = obj(pdb.spec);
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  if (!isPodReady(pod)) {
    if (spec.unhealthyPodEvictionPolicy === 'AlwaysAllow')
      return { allowed: true, unhealthy: true };
    if (
      num(status.currentHealthy) >= num(status.desiredHealthy) &&
      num(status.desiredHealthy) > 0
    ) {
      return { allowed: true, unhealthy: true };
    }
  }
  const generation = num(obj(pdb.metadata).generation);
  if (num(status.observedGeneration) < generation) {
    return {
      allowed: false,
      code: 429,
      message: EVICTION_VIOLATES_BUDGET,
      retryAfterSeconds: 10,
      causes: [
        {
          reason: 'DisruptionBudget',
          message: `The disruption budget ${nameOf(pdb)} is still being processed by the server.`,
        },
      ],
    };
  }
  if (num(status.disruptionsAllowed) <= 0) {
    return {
      allowed: false,
      code: 429,
      message: EVICTION_VIOLATES_BUDGET,
      causes: [
        {
          reason: 'DisruptionBudget',
          message: `The disruption budget ${nameOf(pdb)} needs ${num(status.desiredHealthy)} healthy pods and has ${num(status.currentHealthy)} currently`,
        },
      ],
    };
  }
  return { allowed: true, pdb: nameOf(pdb) };
}
