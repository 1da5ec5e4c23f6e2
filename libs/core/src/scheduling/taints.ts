/**
 * Taints and tolerations (k8s.io/api core/v1 `Toleration.ToleratesTaint` and the scheduler's
 * TaintToleration plugin; eviction times are the node-lifecycle controller's podsToEvict).
 */
import type { KubeObject } from '../api/types';
import { arr, isObject, obj, str } from '../resources/util';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export type Taint = {
  key: string;
  value?: string;
  effect: TaintEffect | string;
  timeAdded?: string;
};

export type Toleration = {
  /** Empty with operator Exists matches every key. */
  key?: string;
  /** `Equal` (the default) or `Exists`. */
  operator?: 'Equal' | 'Exists' | string;
  value?: string;
  /** Empty matches every effect. */
  effect?: TaintEffect | string;
  /** Only meaningful for NoExecute: how long the pod stays bound after the taint appears. */
  tolerationSeconds?: number;
};

/** Taint the node-lifecycle controller puts on cordoned nodes; tolerating it ignores cordons. */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';

/** Whether one toleration tolerates a taint (Kubernetes' `Toleration.ToleratesTaint`). */
export function tolerationToleratesTaint(toleration: Toleration, taint: Taint): boolean {
  const effect = toleration.effect ?? '';
  if (effect !== '' && effect !== taint.effect) return false;
  const key = toleration.key ?? '';
  if (key !== '' && key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false; // an operator this code does not know tolerates nothing
  }
}

/** Whether any of `tolerations` tolerates `taint` (Kubernetes' `TolerationsTolerateTaint`). */
export function toleratesTaint(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (tolerationToleratesTaint(t, taint)) return true;
  return false;
}

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** `spec.taints` of a node, read defensively (entries without a key or effect are dropped). */
export function nodeTaints(node: KubeObject): Taint[] {
  const out: Taint[] = [];
  for (const t of arr(obj(node.spec).taints)) {
    if (!isObject(t) || typeof t.key !== 'string' || typeof t.effect !== 'string') continue;
    out.push({ key: t.key, value: str(t.value), effect: t.effect });
  }
  return out;
}

/** `spec.tolerations` of a pod, read defensively. */
export function podTolerations(pod: KubeObject): Toleration[] {
  const out: Toleration[] = [];
  for (const t of arr(obj(pod.spec).tolerations)) {
    if (!isObject(t)) continue;
    const seconds = t.tolerationSeconds;
    out.push({
      key: optionalString(t.key),
      operator: optionalString(t.operator),
      value: optionalString(t.value),
      effect: optionalString(t.effect),
      tolerationSeconds:
        typeof seconds === 'number' && Number.isFinite(seconds) ? seconds : undefined,
    });
  }
  return out;
}

/**
 * The first NoSchedule or NoExecute taint (in the node's order) that no toleration
 * tolerates, as the scheduler's TaintToleration filter reports it; `undefined` if all are
 * tolerated.
 */
export function findUntoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): Taint | undefined {
  for (const taint of taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!toleratesTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

/** How many PreferNoSchedule taints the pod does not tolerate (TaintToleration's raw score). */
export function countIntolerablePreferNoSchedule(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): number {
  let n = 0;
  let relevant: Toleration[] | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'PreferNoSchedule') continue;
    // Only tolerations for PreferNoSchedule (or every effect) count, like kube-scheduler.
    relevant ??= tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    if (!toleratesTaint(relevant, taint)) n++;
  }
  return n;
}
