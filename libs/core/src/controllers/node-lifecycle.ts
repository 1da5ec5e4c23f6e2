/**
 * The node lifecycle controller's decisions (kubernetes pkg/controller/nodelifecycle and
 * the taint-eviction controller): a node whose heartbeat (its Lease's renewTime, or the
 * Ready condition's lastHeartbeatTime) is older than the grace period becomes
 * `Ready=Unknown`; the Ready condition drives the `node.kubernetes.io/unreachable` and
 * `not-ready` taints (NoExecute with `timeAdded`, and NoSchedule); pods on a node with
 * NoExecute taints are evicted once their tolerations' `tolerationSeconds` run out.
 */
import { formatTimestamp, type KubeObject } from '../api/types';
import { tolerationToleratesTaint, type Taint, type Toleration } from '../scheduling/taints';
import { COMPONENTS, eventAbout, type EventSpec } from './events';
import {
  arr,
  compareStrings,
  conditionsOf,
  deepClone,
  isBeingDeleted,
  metaOf,
  nameOf,
  namespaceOf,
  num,
  obj,
  parseTime,
  podNodeName,
  str,
  type Condition,
} from './util';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

/** Kubernetes' node-monitor-grace-period. */
export const DEFAULT_NODE_GRACE_PERIOD_MS = 40_000;
/** Kubernetes' node-startup-grace-period: for nodes that never posted a Ready condition. */
export const DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS = 60_000;
/** DefaultTolerationSeconds admission: 300 s for not-ready and unreachable. */
export const DEFAULT_TOLERATION_SECONDS = 300;

export interface NodeHealthOptions {
  /** How old the last heartbeat may be before Ready becomes Unknown; default 40 s. */
  gracePeriodMs?: number;
  /** The same for a node that never reported a Ready condition; default 60 s. */
  startupGracePeriodMs?: number;
  /**
   * When the lease is renewed after this controller marked the node Unknown, put back
   * Ready=True (KubeletReady) and the pressure conditions (False) until the agent reports
   * again; default true. Set false when agents always re-post their status themselves.
   */
  restoreOnRenewal?: boolean;
}

export interface NodeHealthResult {
  /** The node's complete new `status.conditions`, when they change. */
  conditions?: Condition[];
  /** The node's complete new `spec.taints`, when they change (= spec.taints + add − remove). */
  taints?: Taint[];
  addTaints: Taint[];
  removeTaints: Taint[];
  /** The Ready status after this decision. */
  ready: 'True' | 'False' | 'Unknown';
  /** NodeNotReady when this controller marks the node Unknown; NodeReady when it restores it. */
  events: EventSpec[];
  /** Check again when the heartbeat would expire (only while the node is healthy). */
  requeueAfterMs?: number;
}

const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

/** What kubelet reports for a healthy node, used when restoring after a renewal. */
const HEALTHY: Record<string, { status: 'True' | 'False'; reason: string; message: string }> = {
  Ready: { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  MemoryPressure: {
    status: 'False',
    reason: 'KubeletHasSufficientMemory',
    message: 'kubelet has sufficient memory available',
  },
  DiskPressure: {
    status: 'False',
    reason: 'KubeletHasNoDiskPressure',
    message: 'kubelet has no disk pressure',
  },
  PIDPressure: {
    status: 'False',
    reason: 'KubeletHasSufficientPID',
    message: 'kubelet has sufficient PID available',
  },
};

/** Reasons this controller writes; only NodeStatusUnknown (the node had reported) is restored. */
const CONTROLLER_REASONS = new Set(['NodeStatusUnknown', 'NodeStatusNeverUpdated']);

function taintsOf(node: KubeObject): Taint[] {
  return arr(obj(node.spec).taints)
    .map(obj)
    .filter((t) => typeof t.key === 'string' && typeof t.effect === 'string')
    .map((t) => ({ ...t }) as unknown as Taint);
}

function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

/** The last sign of life: the newer of the lease's renewTime and Ready's lastHeartbeatTime. */
function lastHeartbeat(node: KubeObject, lease: KubeObject | undefined): number | undefined {
  const spec = obj(lease?.spec);
  const renew = parseTime(spec.renewTime) ?? parseTime(spec.acquireTime);
  const ready = conditionsOf(node.status).find((c) => c.type === 'Ready');
  const heartbeat = parseTime(ready?.lastHeartbeatTime);
  if (renew === undefined) return heartbeat;
  if (heartbeat === undefined) return renew;
  return Math.max(renew, heartbeat);
}

/**
 * Decides a node's health from its Lease: conditions to write, taints to add or remove,
 * events. `lease` is the node's Lease in `kube-node-lease` (undefined when there is none).
 */
export function reconcileNodeHealth(
  node: KubeObject,
  lease: KubeObject | undefined,
  now: Date,
  opts: NodeHealthOptions = {},
): NodeHealthResult {
  const nowMs = now.getTime();
  const ts = formatTimestamp(now);
  const conditions = conditionsOf(node.status);
  const original = deepClone(conditions);
  const readyBefore = original.find((c) => c.type === 'Ready');
  const events: EventSpec[] = [];
  const created = parseTime(metaOf(node).creationTimestamp);
  const grace = readyBefore
    ? (opts.gracePeriodMs ?? DEFAULT_NODE_GRACE_PERIOD_MS)
    : (opts.startupGracePeriodMs ?? DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS);
  const probe = lastHeartbeat(node, lease) ?? created ?? nowMs;
  const expired = nowMs > probe + grace;
  let requeueAfterMs: number | undefined;

  if (expired) {
    for (const type of MONITORED_CONDITIONS) {
      const c = conditions.find((x) => x.type === type);
      if (!c) {
        conditions.push({
          type,
          status: 'Unknown',
          reason: 'NodeStatusNeverUpdated',
          message: 'Kubelet never posted node status.',
          ...(metaOf(node).creationTimestamp
            ? { lastHeartbeatTime: str(metaOf(node).creationTimestamp) }
            : {}),
          lastTransitionTime: ts,
        });
      } else if (c.status !== 'Unknown') {
        c.status = 'Unknown';
        c.reason = 'NodeStatusUnknown';
        c.message = 'Kubelet stopped posting node status.';
        c.lastTransitionTime = ts;
      }
    }
    if (readyBefore?.status === 'True') {
      events.push(nodeEvent(node, 'NodeNotReady'));
    }
  } else {
    requeueAfterMs = probe + grace - nowMs + 1;
    const renew = parseTime(obj(lease?.spec).renewTime);
    const markedAt = parseTime(readyBefore?.lastTransitionTime);
    if (
      opts.restoreOnRenewal !== false &&
      readyBefore?.status === 'Unknown' &&
      readyBefore.reason === 'NodeStatusUnknown' &&
      renew !== undefined &&
      (markedAt === undefined || renew > markedAt)
    ) {
      for (const c of conditions) {
        const healthy = HEALTHY[c.type];
        if (!healthy || c.status !== 'Unknown' || !CONTROLLER_REASONS.has(c.reason ?? '')) {
          continue;
        }
        c.status = healthy.status;
        c.reason = healthy.reason;
        c.message = healthy.message;
        c.lastTransitionTime = ts;
        c.lastHeartbeatTime = formatTimestamp(new Date(renew));
      }
      events.push(nodeEvent(node, 'NodeReady'));
    }
  }

  const ready = (conditions.find((c) => c.type === 'Ready')?.status ?? 'Unknown') as
    'True' | 'False' | 'Unknown';
  const { add, remove } = taintChanges(node, conditions, ts);
  const result: NodeHealthResult = { addTaints: add, removeTaints: remove, ready, events };
  if (JSON.stringify(conditions) !== JSON.stringify(original)) result.conditions = conditions;
  if (add.length > 0 || remove.length > 0) {
    result.taints = [...taintsOf(node).filter((t) => !remove.some((r) => sameTaint(r, t))), ...add];
  }
  if (requeueAfterMs !== undefined) result.requeueAfterMs = requeueAfterMs;
  return result;
}

function nodeEvent(node: KubeObject, status: 'NodeNotReady' | 'NodeReady'): EventSpec {
  return eventAbout(
    node,
    'Normal',
    status,
    `Node ${nameOf(node)} status is now: ${status}`,
    COMPONENTS.node,
  );
}

/** NoSchedule taints mirroring conditions (TaintNodesByCondition). */
const CONDITION_TAINTS: Array<{ type: string; status: string; key: string }> = [
  { type: 'Ready', status: 'False', key: TAINT_NOT_READY },
  { type: 'Ready', status: 'Unknown', key: TAINT_UNREACHABLE },
  { type: 'MemoryPressure', status: 'True', key: TAINT_MEMORY_PRESSURE },
  { type: 'DiskPressure', status: 'True', key: TAINT_DISK_PRESSURE },
  { type: 'NetworkUnavailable', status: 'True', key: TAINT_NETWORK_UNAVAILABLE },
  { type: 'PIDPressure', status: 'True', key: TAINT_PID_PRESSURE },
];
const CONDITION_TAINT_KEYS = new Set([...CONDITION_TAINTS.map((t) => t.key), TAINT_UNSCHEDULABLE]);

function taintChanges(
  node: KubeObject,
  conditions: readonly Condition[],
  ts: string,
): { add: Taint[]; remove: Taint[] } {
  const existing = taintsOf(node);
  const has = (t: Taint) => existing.some((e) => sameTaint(e, t));
  const add: Taint[] = [];
  const remove: Taint[] = [];

  // NoExecute: unreachable (Unknown) or not-ready (False), swapped; none when Ready. A node
  // that has not reported a Ready condition yet is left alone until its startup grace ends.
  const ready = conditions.find((c) => c.type === 'Ready')?.status;
  const wantNoExecute =
    ready === 'False' ? TAINT_NOT_READY : ready === 'Unknown' ? TAINT_UNREACHABLE : undefined;
  for (const key of ready === undefined ? [] : [TAINT_NOT_READY, TAINT_UNREACHABLE]) {
    const taint: Taint = { key, effect: 'NoExecute' };
    if (key === wantNoExecute) {
      if (!has(taint)) add.push({ ...taint, timeAdded: ts });
    } else if (has(taint)) {
      remove.push(existing.find((e) => sameTaint(e, taint))!);
    }
  }

  // NoSchedule from conditions and spec.unschedulable.
  const wanted: Taint[] = [];
  for (const c of conditions) {
    for (const m of CONDITION_TAINTS) {
      if (m.type === c.type && m.status === c.status)
        wanted.push({ key: m.key, effect: 'NoSchedule' });
    }
  }
  if (obj(node.spec).unschedulable === true) {
    wanted.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  }
  for (const t of wanted) if (!has(t) && !add.some((a) => sameTaint(a, t))) add.push(t);
  for (const e of existing) {
    if (e.effect !== 'NoSchedule' || !CONDITION_TAINT_KEYS.has(e.key)) continue;
    if (!wanted.some((w) => sameTaint(w, e))) remove.push(e);
  }
  return { add, remove };
}

// ---------------------------------------------------------------------------------------------
// Tolerations and eviction
// ---------------------------------------------------------------------------------------------

function tolerationsOf(pod: KubeObject): Toleration[] {
  return arr(obj(pod.spec).tolerations)
    .map(obj)
    .map((t) => t as unknown as Toleration);
}

/**
 * The tolerations the DefaultTolerationSeconds admission plugin adds to a pod that has
 * none for them: not-ready and unreachable, NoExecute, for `seconds` (300).
 */
export function defaultNotReadyTolerations(
  pod: KubeObject,
  seconds = DEFAULT_TOLERATION_SECONDS,
): Toleration[] {
  const existing = tolerationsOf(pod);
  const covers = (key: string) =>
    existing.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const out: Toleration[] = [];
  for (const key of [TAINT_NOT_READY, TAINT_UNREACHABLE]) {
    if (!covers(key)) {
      out.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
    }
  }
  return out;
}

export interface Eviction {
  pod: KubeObject;
  /** When the pod must go (ms since the epoch); at or before `now` means now. */
  atMs: number;
}

/**
 * Pods on `node` that its NoExecute taints evict, with when: at the taint's `timeAdded` if
 * no toleration matches it, else `timeAdded + tolerationSeconds` of the first matching
 * toleration (never, when that toleration has no tolerationSeconds); the earliest over the
 * node's taints. Sorted by time, then namespace/name. Pods being deleted are skipped.
 */
export function podsToEvict(node: KubeObject, pods: readonly KubeObject[], now: Date): Eviction[] {
  const taints = taintsOf(node).filter((t) => t.effect === 'NoExecute');
  if (taints.length === 0) return [];
  const nodeName = nameOf(node);
  const out: Eviction[] = [];
  for (const pod of pods) {
    if (podNodeName(pod) !== nodeName || isBeingDeleted(pod)) continue;
    const tolerations = tolerationsOf(pod);
    let at = Infinity;
    for (const taint of taints) {
      const added = parseTime(taint.timeAdded) ?? now.getTime();
      const t = tolerations.find((x) => tolerationToleratesTaint(x, taint));
      let when: number;
      if (!t) when = added;
      else {
        const seconds = num(t.tolerationSeconds);
        when = seconds === undefined ? Infinity : added + Math.max(0, seconds) * 1000;
      }
      at = Math.min(at, when);
    }
    if (at !== Infinity) out.push({ pod, atMs: at });
  }
  out.sort(
    (a, b) =>
      a.atMs - b.atMs ||
      compareStrings(namespaceOf(a.pod), namespaceOf(b.pod)) ||
      compareStrings(nameOf(a.pod), nameOf(b.pod)),
  );
  return out;
}

/** The event the taint-eviction controller records on a pod it deletes. */
export function evictionEvent(pod: KubeObject): EventSpec {
  return eventAbout(
    pod,
    'Normal',
    'TaintManagerEviction',
    `Marking for deletion Pod ${namespaceOf(pod)}/${nameOf(pod)}`,
    COMPONENTS.taintEviction,
  );
}

/**
 * MarkPodsNotReady: when a node is not Ready, its pods' Ready condition becomes False.
 * Returns copies of the pods whose status changes (write them to the status subresource)
 * and a `NodeNotReady` Warning per pod.
 */
export function markPodsNotReady(
  node: KubeObject,
  pods: readonly KubeObject[],
  now: Date,
): { pods: KubeObject[]; events: EventSpec[] } {
  const ready = conditionsOf(node.status).find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { pods: [], events: [] };
  const nodeName = nameOf(node);
  const ts = formatTimestamp(now);
  const out: KubeObject[] = [];
  const events: EventSpec[] = [];
  for (const pod of pods) {
    if (podNodeName(pod) !== nodeName) continue;
    const conditions = arr(obj(pod.status).conditions).map(obj);
    const i = conditions.findIndex((c) => c.type === 'Ready');
    if (i < 0 || conditions[i]!.status !== 'True') continue;
    const copy = deepClone(pod);
    const status = obj(copy.status);
    const list = arr(status.conditions).map(obj);
    list[i] = { ...list[i], status: 'False', lastTransitionTime: ts };
    status.conditions = list;
    copy.status = status;
    out.push(copy);
    events.push(eventAbout(pod, 'Warning', 'NodeNotReady', 'Node is not ready', COMPONENTS.node));
  }
  return { pods: out, events };
}

/** Kubernetes' --unhealthy-zone-threshold and --large-cluster-size-threshold. */
export const UNHEALTHY_ZONE_THRESHOLD = 0.55;
export const LARGE_CLUSTER_SIZE_THRESHOLD = 50;

export type DisruptionState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

/**
 * The node lifecycle controller's zone state (ComputeZoneState; Berth has one zone): no
 * node Ready is a full disruption, more than 2 and at least 55 % not Ready a partial one.
 * When every node misses its heartbeats at once, the nodes are rarely at fault — the
 * control plane or the network is — so evictions stop rather than empty the cluster.
 */
export function disruptionState(nodes: readonly KubeObject[]): {
  state: DisruptionState;
  notReady: number;
  total: number;
} {
  const total = nodes.length;
  const notReady = nodes.filter((n) => {
    const conditions = arr(obj(n.status).conditions).map(obj);
    return conditions.find((c) => c.type === 'Ready')?.status !== 'True';
  }).length;
  const state: DisruptionState =
    total > 0 && notReady === total
      ? 'FullDisruption'
      : notReady > 2 && notReady / total >= UNHEALTHY_ZONE_THRESHOLD
        ? 'PartialDisruption'
        : 'Normal';
  return { state, notReady, total };
}

/**
 * Whether evictions are paused: always in a full disruption; in a partial one when the
 * cluster is small (Kubernetes' secondary eviction rate is 0 below the large-cluster size).
 */
export function evictionsPaused(nodes: readonly KubeObject[]): string | undefined {
  const { state, notReady, total } = disruptionState(nodes);
  if (state === 'Normal') return undefined;
  if (state === 'PartialDisruption' && total > LARGE_CLUSTER_SIZE_THRESHOLD) return undefined;
  return `${notReady} of ${total} nodes are not Ready (${state}): pod evictions are paused until more nodes are Ready`;
}
