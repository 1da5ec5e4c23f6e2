/**
 * Batch planning: place many pods at once against one snapshot of the nodes, as if each
 * placement had already happened, so the batch itself never over-commits a node.
 */
import type { KubeObject } from '../api/types';
import { arr, obj } from '../resources/util';
import { unschedulableMessage } from './filter';
import {
  addReasons,
  compileNode,
  compilePod,
  filterNode,
  resolveWeights,
  scoreAll,
  type SchedNode,
  type SchedPod,
  type ScoreWeights,
} from './engine';
import { podKey, type NodeInfo } from './node-info';
import { addResources, type Resources } from './resources';

/** Why {@link planBindings} left a pod alone. */
export type SkipReason =
  /** `spec.nodeName` is already set: the pod is bound (or pinned by its author). */
  | 'AlreadyBound'
  /** `metadata.deletionTimestamp` is set (kube-scheduler skips deleting pods). */
  | 'Terminating'
  /** `spec.schedulingGates` is not empty. */
  | 'SchedulingGated'
  /** Phase Succeeded or Failed. */
  | 'Finished'
  /** `spec.schedulerName` names another scheduler (not empty, not `default-scheduler`). */
  | 'OtherScheduler'
  /** The same pod (uid, else namespace/name) appeared earlier in the batch. */
  | 'Duplicate';

export type PlanResult = {
  /** Placements, in scheduling order (priority, then age, then name). */
  bindings: Array<{ pod: KubeObject; nodeName: string }>;
  /** Pods no node can take now, with the kube-scheduler style message and reason counts. */
  unschedulable: Array<{ pod: KubeObject; message: string; reasons: Record<string, number> }>;
  /** Pods that are not the scheduler's business (see {@link SkipReason}). */
  skipped: Array<{ pod: KubeObject; reason: SkipReason }>;
  /** New node infos, in input order, as they are after the planned bindings. */
  nodeInfos: NodeInfo[];
};

/** The scheduler name Berth answers to (pods default to it). */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

function skipReason(pod: KubeObject): SkipReason | undefined {
  const spec = obj(pod.spec);
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') return 'AlreadyBound';
  if (obj(pod.metadata).deletionTimestamp) return 'Terminating';
  const phase = obj(pod.status).phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 'Finished';
  if (
    typeof spec.schedulerName === 'string' &&
    spec.schedulerName !== '' &&
    spec.schedulerName !== DEFAULT_SCHEDULER_NAME
  ) {
    return 'OtherScheduler';
  }
  if (arr(spec.schedulingGates).length > 0) return 'SchedulingGated';
  return undefined;
}

type Queued = { pod: KubeObject; priority: number; created: number; key: string; index: number };

function compareQueued(a: Queued, b: Queued): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.created !== b.created) return a.created < b.created ? -1 : 1;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.index - b.index;
}

function queued(pod: KubeObject, index: number): Queued {
  const meta = obj(pod.metadata);
  const priority = obj(pod.spec).priority;
  const created =
    typeof meta.creationTimestamp === 'string' ? Date.parse(meta.creationTimestamp) : NaN;
  return {
    pod,
    priority: typeof priority === 'number' && Number.isFinite(priority) ? priority : 0,
    // Pods without a (valid) creation time go after those with one.
    created: Number.isNaN(created) ? Number.POSITIVE_INFINITY : created,
    key: `${String(meta.namespace ?? '')}/${String(meta.name ?? '')}`,
    index,
  };
}

/** Records a placement in the planner's private node state. */
function place(n: SchedNode, p: SchedPod): void {
  n.used = addResources(n.used, p.requests);
  n.usedCpuN = Number(n.used.milliCpu);
  n.usedMemN = Number(n.used.memory);
  n.nzCpu += p.nonZero.milliCpu;
  n.nzMem += p.nonZero.memory;
  n.nzCpuN = Number(n.nzCpu);
  n.nzMemN = Number(n.nzMem);
  n.podCount++;
  if (p.owner !== undefined) n.ownerPods.set(p.owner, (n.ownerPods.get(p.owner) ?? 0) + 1);
  n.usedHostPorts.push(...p.hostPorts);
}

function copyResources(r: Resources): Resources {
  return { ...r, scalar: { ...r.scalar } };
}

function toNodeInfo(n: SchedNode): NodeInfo {
  return {
    node: n.info.node,
    allocatable: copyResources(n.alloc),
    requested: copyResources(n.used),
    nonZeroRequested: { milliCpu: n.nzCpu, memory: n.nzMem },
    podCount: n.podCount,
    ownerPods: Object.fromEntries(n.ownerPods),
    ...(n.usedHostPorts.length ? { usedHostPorts: [...n.usedHostPorts] } : {}),
  };
}

/** Below this many nodes every node is considered (kube-scheduler's minFeasibleNodesToFind). */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;

/**
 * How many feasible nodes a pod's search stops at (kube-scheduler's numFeasibleNodesToFind):
 * all nodes below 100; else `percentage` of them (adaptive by default: 50% minus 1% per 125
 * nodes, at least 5%), and never fewer than 100.
 */
export function numFeasibleNodesToFind(allNodes: number, percentage?: number): number {
  if (allNodes < MIN_FEASIBLE_NODES_TO_FIND || percentage === 100) return allNodes;
  const pct = percentage ?? Math.max(5, 50 - Math.floor(allNodes / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((allNodes * pct) / 100));
}

/**
 * Schedules a batch of pods in order — higher `spec.priority` first, then older
 * `creationTimestamp`, then namespace/name — each against the nodes as the earlier
 * placements of the batch left them (filter, then score, best node wins; ties go to the
 * smaller node name). The batch therefore never over-commits a node and spreads pods of one
 * owner. Deterministic; the inputs are not modified.
 *
 * Cost: O(pods × nodes) with small constants; the node infos are compiled once.
 */
export function planBindings(
  pods: readonly KubeObject[],
  nodeInfos: readonly NodeInfo[],
  weights?: Partial<ScoreWeights>,
  opts: { percentageOfNodesToScore?: number } = {},
): PlanResult {
  const w = resolveWeights(weights);
  const nodes = nodeInfos.map(compileNode);
  const enough = numFeasibleNodesToFind(nodes.length, opts.percentageOfNodesToScore);
  // Like kube-scheduler's nextStartNodeIndex: each pod's search starts where the last one
  // stopped, so every node is considered over a batch.
  let start = 0;
  const result: PlanResult = { bindings: [], unschedulable: [], skipped: [], nodeInfos: [] };

  const seen = new Set<string>();
  const queue: Queued[] = [];
  pods.forEach((pod, index) => {
    const id = podKey(pod);
    if (seen.has(id)) {
      result.skipped.push({ pod, reason: 'Duplicate' });
      return;
    }
    seen.add(id);
    const skip = skipReason(pod);
    if (skip) result.skipped.push({ pod, reason: skip });
    else queue.push(queued(pod, index));
  });
  queue.sort(compareQueued);

  const feasible: SchedNode[] = [];
  for (const { pod } of queue) {
    const p = compilePod(pod);
    feasible.length = 0;
    const reasons: Record<string, number> = {};
    let visited = 0;
    for (; visited < nodes.length && feasible.length < enough; visited++) {
      const n = nodes[(start + visited) % nodes.length]!;
      const r = filterNode(p, n);
      if (r === undefined) feasible.push(n);
      else addReasons(reasons, r.length > 1 ? new Set(r) : r);
    }
    start = nodes.length ? (start + visited) % nodes.length : 0;
    if (feasible.length === 0) {
      result.unschedulable.push({
        pod,
        message: unschedulableMessage(nodes.length, reasons),
        reasons,
      });
      continue;
    }
    let best = feasible[0]!;
    if (feasible.length > 1) {
      const scores = scoreAll(p, feasible, w);
      let bestScore = scores[0]!;
      for (let i = 1; i < feasible.length; i++) {
        const score = scores[i]!;
        const n = feasible[i]!;
        // Highest score wins; equal scores go to the smaller node name.
        if (score > bestScore || (score === bestScore && n.name < best.name)) {
          best = n;
          bestScore = score;
        }
      }
    }
    place(best, p);
    result.bindings.push({ pod, nodeName: best.name });
  }

  result.nodeInfos = nodes.map(toNodeInfo);
  return result;
}
