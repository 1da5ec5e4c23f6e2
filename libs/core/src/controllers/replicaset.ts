/**
 * The ReplicaSet controller's decision (kubernetes pkg/controller/replicaset): keep exactly
 * `spec.replicas` active pods that match the selector, adopt matching orphans, release
 * pods that no longer match, replace terminal pods, and report status.
 *
 * The worker applies the result: it writes `adopt`/`release` (copies with the owner
 * reference changed, guarded by their resourceVersion), creates `createPods` (ideally in
 * {@link slowStartBatches}, stopping at the first failure), deletes `deletePods` (with a
 * uid precondition), records `events` for the actions that succeeded, and writes `status`.
 * It must read pods from the store, not a lagging cache: the decision assumes `pods` is
 * current (Kubernetes' "expectations" exist only because its informer cache lags).
 */
import { formatTimestamp, type KubeObject } from '../api/types';
import { labelSelectorFromObject, matchesLabels, type LabelSelector } from '../selectors';
import { COMPONENTS, eventAbout, type EventSpec } from './events';
import {
  annotationsOf,
  arr,
  claimObjects,
  compareStrings,
  conditionsOf,
  deepClone,
  generatedName,
  isPodActive,
  isPodAvailable,
  isPodReady,
  isPodTerminal,
  labelsOf,
  metaOf,
  nameOf,
  namespaceOf,
  newControllerRef,
  num,
  obj,
  parseTime,
  podAvailableAt,
  podNodeName,
  podPhase,
  podReadySince,
  randomNameSuffix,
  stringMap,
  uidOf,
  isBeingDeleted,
  isControlledBy,
  type Condition,
  type NameSuffixGenerator,
} from './util';

/** Kubernetes' burstReplicas: at most this many creations or deletions per reconcile. */
export const DEFAULT_BURST_REPLICAS = 500;

/** Annotation that lowers or raises a pod's rank for deletion (PodDeletionCost). */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface ReconcileReplicaSetOptions {
  /** Most pods created (and deleted) in one reconcile; default 500. */
  burstReplicas?: number;
  /** Random part of new pod names; default five random safe characters. */
  nameSuffix?: NameSuffixGenerator;
  /**
   * Pods of the same workload (e.g. every ReplicaSet of the owning Deployment) used to rank
   * pods on crowded nodes first when scaling down. Default: this ReplicaSet's pods.
   */
  relatedPods?: readonly KubeObject[];
  /** Compare ready/creation times on a log2 scale (Kubernetes' LogarithmicScaleDown); default true. */
  logarithmicScaleDown?: boolean;
  /** Delete owned Failed/Succeeded pods (they are replaced either way); default true. */
  deleteTerminalPods?: boolean;
}

export interface ReplicaSetReconcileResult {
  /** Pods to create: full objects with `name` (generated) and `generateName` `<rs>-`. */
  createPods: KubeObject[];
  /** Owned pods to delete: terminal ones first, then surplus ones in deletion order. */
  deletePods: KubeObject[];
  /** Matching orphans, as copies with this ReplicaSet's controller reference added. */
  adopt: KubeObject[];
  /** Owned pods that no longer match, as copies without this ReplicaSet's reference. */
  release: KubeObject[];
  status: ReplicaSetStatus;
  /** SuccessfulCreate / SuccessfulDelete, one per planned pod action. */
  events: EventSpec[];
  /** Reconcile again after this long (a ready pod becomes available by minReadySeconds). */
  requeueAfterMs?: number;
}

/**
 * Decides what keeps `rs` at `spec.replicas` active pods. `pods` should hold the pods in
 * the ReplicaSet's namespace that it owns or whose labels could match it (others are
 * ignored). Nothing is mutated.
 */
export function reconcileReplicaSet(
  rs: KubeObject,
  pods: readonly KubeObject[],
  now: Date,
  opts: ReconcileReplicaSetOptions = {},
): ReplicaSetReconcileResult {
  const spec = obj(rs.spec);
  const replicas = Math.max(0, num(spec.replicas) ?? 1);
  const minReadySeconds = num(spec.minReadySeconds) ?? 0;
  const burst = Math.max(1, opts.burstReplicas ?? DEFAULT_BURST_REPLICAS);
  const selector = selectorOf(spec.selector);
  const rsUid = uidOf(rs);
  const deleting = isBeingDeleted(rs);

  // Only active pods are claimed (as Kubernetes filters before claiming); terminal pods this
  // ReplicaSet controls are replaced and, by default, removed.
  const active = pods.filter(isPodActive);
  const claim = selector
    ? claimObjects(rs, selector, active)
    : { owned: [] as KubeObject[], adopt: [], release: [] };
  const owned = claim.owned;
  const terminal = pods.filter(
    (p) =>
      isPodTerminal(p) &&
      !isBeingDeleted(p) &&
      namespaceOf(p) === namespaceOf(rs) &&
      isControlledBy(p, rsUid),
  );

  const events: EventSpec[] = [];
  const createPods: KubeObject[] = [];
  const deletePods: KubeObject[] = [];

  if (!deleting && selector) {
    if (opts.deleteTerminalPods !== false) {
      for (const p of terminal.slice(0, burst)) {
        deletePods.push(p);
        events.push(rsEvent(rs, 'SuccessfulDelete', `Deleted pod: ${nameOf(p)}`));
      }
    }
    const diff = owned.length - replicas;
    if (diff < 0) {
      const suffix = opts.nameSuffix ?? randomNameSuffix;
      const count = Math.min(-diff, burst);
      for (let i = 0; i < count; i++) {
        const pod = podFromTemplate(rs, suffix);
        createPods.push(pod);
        events.push(rsEvent(rs, 'SuccessfulCreate', `Created pod: ${nameOf(pod)}`));
      }
    } else if (diff > 0) {
      const count = Math.min(diff, burst);
      const ranked = rankPodsForDeletion(owned, now, {
        relatedPods: opts.relatedPods ?? owned,
        logarithmicScaleDown: opts.logarithmicScaleDown,
      });
      for (const p of ranked.slice(0, count)) {
        deletePods.push(p);
        events.push(rsEvent(rs, 'SuccessfulDelete', `Deleted pod: ${nameOf(p)}`));
      }
    }
  }

  const status = replicaSetStatus(rs, owned, now);
  const result: ReplicaSetReconcileResult = {
    createPods,
    deletePods,
    adopt: claim.adopt,
    release: claim.release,
    status,
    events,
  };
  const requeue = nextAvailability(owned, minReadySeconds, now);
  if (requeue !== undefined) result.requeueAfterMs = requeue;
  return result;
}

function selectorOf(v: unknown): LabelSelector | undefined {
  if (v === undefined || v === null || typeof v !== 'object') return undefined;
  try {
    const sel = labelSelectorFromObject(v as never);
    // An empty selector would select every pod in the namespace; Kubernetes rejects it.
    return sel.length === 0 ? undefined : sel;
  } catch {
    return undefined;
  }
}

function rsEvent(rs: KubeObject, reason: string, message: string): EventSpec {
  return eventAbout(rs, 'Normal', reason, message, COMPONENTS.replicaSet);
}

/** The Warning Kubernetes records when a ReplicaSet's pod cannot be created (e.g. quota). */
export function failedCreateEvent(rs: KubeObject, message: string): EventSpec {
  return eventAbout(
    rs,
    'Warning',
    'FailedCreate',
    `Error creating: ${message}`,
    COMPONENTS.replicaSet,
  );
}

/**
 * The status for `rs` given its active owned pods (replica_set_utils.calculateStatus).
 * Conditions other than ReplicaFailure are kept; ReplicaFailure is dropped (the worker adds
 * it back with {@link setReplicaFailure} when applying the actions fails).
 */
export function replicaSetStatus(
  rs: KubeObject,
  ownedActivePods: readonly KubeObject[],
  now: Date,
): ReplicaSetStatus {
  const spec = obj(rs.spec);
  const minReadySeconds = num(spec.minReadySeconds) ?? 0;
  const templateLabels = stringMap(obj(obj(spec.template).metadata).labels);
  const templateSelector: LabelSelector = Object.entries(templateLabels).map(([key, value]) => ({
    key,
    operator: 'Equals',
    values: [value],
  }));
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of ownedActivePods) {
    if (matchesLabels(templateSelector, labelsOf(pod))) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, now)) available++;
    }
  }
  const status: ReplicaSetStatus = {
    replicas: ownedActivePods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
  };
  const generation = num(metaOf(rs).generation);
  if (generation !== undefined) status.observedGeneration = generation;
  const conditions = conditionsOf(rs.status).filter((c) => c.type !== 'ReplicaFailure');
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

/**
 * `status` with a ReplicaFailure condition (reason `FailedCreate` or `FailedDelete`), as the
 * ReplicaSet controller records when creating or deleting pods fails (e.g. exceeded quota).
 */
export function setReplicaFailure(
  status: ReplicaSetStatus,
  reason: 'FailedCreate' | 'FailedDelete',
  message: string,
  now: Date,
): ReplicaSetStatus {
  const conditions = (status.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
  conditions.push({
    type: 'ReplicaFailure',
    status: 'True',
    reason,
    message,
    lastTransitionTime: formatTimestamp(now),
  });
  return { ...status, conditions };
}

/** Milliseconds until the next owned ready pod becomes available, if one is waiting. */
function nextAvailability(
  pods: readonly KubeObject[],
  minReadySeconds: number,
  now: Date,
): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const p of pods) {
    const at = podAvailableAt(p, minReadySeconds);
    if (at === undefined || at === -Infinity || at < now.getTime()) continue;
    // Available once strictly after `at`.
    const wait = at - now.getTime() + 1;
    if (next === undefined || wait < next) next = wait;
  }
  return next;
}

/**
 * A new pod for `rs` from its template (controller.GetPodFromTemplate): labels, annotations
 * and finalizers of the template, its spec, a controller reference to the ReplicaSet, and a
 * generated name `<rs>-<suffix>` (also set as `generateName`).
 */
export function podFromTemplate(
  rs: KubeObject,
  nameSuffix: NameSuffixGenerator = randomNameSuffix,
): KubeObject {
  const template = obj(obj(rs.spec).template);
  const tmeta = obj(template.metadata);
  const prefix = `${nameOf(rs)}-`;
  const metadata: Record<string, unknown> = {
    name: generatedName(prefix, nameSuffix()),
    generateName: prefix,
    namespace: namespaceOf(rs),
    labels: { ...stringMap(tmeta.labels) },
  };
  const annotations = stringMap(tmeta.annotations);
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  const finalizers = arr(tmeta.finalizers).filter((f) => typeof f === 'string');
  if (finalizers.length > 0) metadata.finalizers = finalizers;
  metadata.ownerReferences = [newControllerRef(rs)];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: deepClone(obj(template.spec)),
  };
}

/** Sizes of Kubernetes' slow-start batches for `count` creations: 1, 2, 4, 8, … */
export function slowStartBatches(count: number, initialBatchSize = 1): number[] {
  const batches: number[] = [];
  let remaining = Math.max(0, Math.floor(count));
  let size = Math.max(1, Math.floor(initialBatchSize));
  while (remaining > 0) {
    const batch = Math.min(remaining, size);
    batches.push(batch);
    remaining -= batch;
    size *= 2;
  }
  return batches;
}

// ---------------------------------------------------------------------------------------------
// Deletion ranking (controller.ActivePodsWithRanks)
// ---------------------------------------------------------------------------------------------

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

export interface RankOptions {
  /** Pods whose count on the same node raises a pod's rank (doubled-up first). */
  relatedPods?: readonly KubeObject[];
  logarithmicScaleDown?: boolean;
}

/**
 * `pods` sorted in the order a ReplicaSet deletes them, most expendable first:
 * unscheduled < scheduled; Pending < Unknown < Running; not ready < ready; lower
 * pod-deletion-cost first; more pods of the workload on the same node first; ready for
 * less time first; more container restarts first; newer first. Ties break by uid, then name.
 */
export function rankPodsForDeletion(
  pods: readonly KubeObject[],
  now: Date,
  opts: RankOptions = {},
): KubeObject[] {
  const onNode = new Map<string, number>();
  for (const p of opts.relatedPods ?? pods) {
    if (!isPodActive(p)) continue;
    const node = podNodeName(p);
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const log = opts.logarithmicScaleDown !== false;
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(podNodeName(pod)) ?? 0 }));
  ranked.sort((a, b) => comparePodsForDeletion(a.pod, b.pod, a.rank, b.rank, now, log));
  return ranked.map((r) => r.pod);
}

function deletionCost(pod: KubeObject): number {
  const v = annotationsOf(pod)[POD_DELETION_COST_ANNOTATION];
  if (v === undefined || !/^[+-]?[0-9]+$/.test(v.trim())) return 0;
  const n = Number(v.trim());
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

function maxRestarts(pod: KubeObject): number {
  const status = obj(pod.status);
  let max = 0;
  for (const cs of [...arr(status.containerStatuses), ...arr(status.initContainerStatuses)]) {
    const n = num(obj(cs).restartCount) ?? 0;
    if (n > max) max = n;
  }
  return max;
}

/** floor(log2(now - t in nanoseconds)), or -1 for t in the future (logarithmicRankDiff). */
function logRank(t: number, now: number): number {
  const d = (now - t) * 1e6;
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/**
 * Orders two timestamps, more recent (or missing) first, like afterOrZero; on a log scale
 * two times in the same power-of-two age bucket tie (and fall to the uid).
 */
function compareTimes(
  t1: number | undefined,
  t2: number | undefined,
  now: number,
  log: boolean,
  uid1: string,
  uid2: string,
): number | undefined {
  if (t1 === t2) return undefined;
  if (t1 === undefined) return -1;
  if (t2 === undefined) return 1;
  if (!log) return t1 > t2 ? -1 : 1;
  const diff = logRank(t1, now) - logRank(t2, now);
  if (diff === 0) return compareStrings(uid1, uid2) || undefined;
  return diff;
}

/** Negative when `a` should be deleted before `b`. */
export function comparePodsForDeletion(
  a: KubeObject,
  b: KubeObject,
  rankA: number,
  rankB: number,
  now: Date,
  logarithmic = true,
): number {
  // 1. Unassigned < assigned.
  const nodeA = podNodeName(a);
  const nodeB = podNodeName(b);
  if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === '' ? -1 : 1;
  // 2. Pending < Unknown < Running.
  const phaseA = PHASE_ORDINAL[podPhase(a)] ?? 0;
  const phaseB = PHASE_ORDINAL[podPhase(b)] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  // 3. Not ready < ready.
  const readyA = isPodReady(a);
  const readyB = isPodReady(b);
  if (readyA !== readyB) return readyA ? 1 : -1;
  // 4. Lower pod-deletion-cost < higher.
  const costA = deletionCost(a);
  const costB = deletionCost(b);
  if (costA !== costB) return costA - costB;
  // 5. Doubled up (more related pods on the node) < not doubled up.
  if (rankA !== rankB) return rankB - rankA;
  const t = now.getTime();
  const uidA = uidOf(a);
  const uidB = uidOf(b);
  // 6. Ready for less time < more time.
  if (readyA && readyB) {
    const c = compareTimes(podReadySince(a), podReadySince(b), t, logarithmic, uidA, uidB);
    if (c !== undefined) return c;
  }
  // 7. More container restarts < fewer.
  const restartsA = maxRestarts(a);
  const restartsB = maxRestarts(b);
  if (restartsA !== restartsB) return restartsB - restartsA;
  // 8. Newer < older.
  const createdA = parseTime(metaOf(a).creationTimestamp);
  const createdB = parseTime(metaOf(b).creationTimestamp);
  const c = compareTimes(createdA, createdB, t, logarithmic, uidA, uidB);
  if (c !== undefined) return c;
  return compareStrings(uidA, uidB) || compareStrings(nameOf(a), nameOf(b));
}
