/**
 * The filter and score passes, over pods and nodes compiled once so that scheduling one pod
 * is a single cheap loop over the nodes. Used by {@link filterNodes}, {@link scoreNodes}
 * and {@link planBindings}; not exported from the package.
 */
import type { KubeObject } from '../api/types';
import { obj } from '../resources/util';
import {
  compilePodNodeAffinity,
  matchesRequiredAffinity,
  nodeLabels,
  nodeName,
  preferredAffinityWeight,
  type CompiledNodeAffinity,
} from './node-affinity';
import { anyHostPortConflict, podHostPorts, type HostPortKey } from './host-ports';
import { controllerUid, type NodeInfo } from './node-info';
import { nodeAllocatable, podNonZeroRequests, podRequests, type Resources } from './resources';
import {
  countIntolerablePreferNoSchedule,
  findUntoleratedTaint,
  nodeTaints,
  podTolerations,
  TAINT_NODE_UNSCHEDULABLE,
  toleratesTaint,
  type Taint,
  type Toleration,
} from './taints';

// Reasons, worded exactly as kube-scheduler's filter plugins word them.
export const REASON_NODE_UNSCHEDULABLE = 'node(s) were unschedulable';
export const REASON_NODE_NAME = "node(s) didn't match the requested node name";
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_TOO_MANY_PODS = 'Too many pods';
export const REASON_INSUFFICIENT_CPU = 'Insufficient cpu';
export const REASON_INSUFFICIENT_MEMORY = 'Insufficient memory';
export const REASON_INSUFFICIENT_EPHEMERAL_STORAGE = 'Insufficient ephemeral-storage';
export const REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

/** `node(s) had untolerated taint {key: value}` (kube-scheduler's TaintToleration filter). */
export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

/** `Insufficient <resource>` (kube-scheduler's NodeResourcesFit filter). */
export function insufficientReason(resource: string): string {
  return `Insufficient ${resource}`;
}

const MAX_NODE_SCORE = 100;

// Builtins captured once: global lookups are slow inside vm contexts (Jest's sandbox), and
// these run O(pods × nodes) times.
const { abs, floor, min, trunc } = Math;
const hasOwn = Object.hasOwn;

/**
 * Weights of the score components; a node's score is the weighted sum of components that
 * are each 0–100. Defaults follow kube-scheduler's default profile.
 */
export type ScoreWeights = {
  /** NodeResourcesFit, LeastAllocated strategy (cpu and memory weighted 1:1). Default 1. */
  leastAllocated: number;
  /** NodeResourcesBalancedAllocation. Default 1. */
  balancedAllocation: number;
  /**
   * Spreading pods of the same controller across nodes (kube-scheduler's SelectorSpread
   * formula, with the weight of PodTopologySpread, which replaced it). Default 2.
   */
  ownerSpread: number;
  /** TaintToleration: fewer untolerated PreferNoSchedule taints score higher. Default 3. */
  taintToleration: number;
  /** NodeAffinity: preferred node affinity terms. Default 2. */
  nodeAffinity: number;
};

export const DEFAULT_SCORE_WEIGHTS: Readonly<ScoreWeights> = Object.freeze({
  leastAllocated: 1,
  balancedAllocation: 1,
  ownerSpread: 2,
  taintToleration: 3,
  nodeAffinity: 2,
});

export function resolveWeights(weights: Partial<ScoreWeights> | undefined): ScoreWeights {
  const out: ScoreWeights = { ...DEFAULT_SCORE_WEIGHTS };
  if (!weights) return out;
  for (const k of Object.keys(DEFAULT_SCORE_WEIGHTS) as Array<keyof ScoreWeights>) {
    const w = weights[k];
    if (w === undefined) continue;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new RangeError(`score weight ${k} must be a finite number >= 0, got ${String(w)}`);
    }
    out[k] = w;
  }
  return out;
}

/** A pod's scheduling inputs, read once. */
export interface SchedPod {
  pod: KubeObject;
  requests: Resources;
  /** Non-zero scalar requests. */
  scalar: Array<[string, bigint]>;
  requestsZero: boolean;
  nonZero: { milliCpu: bigint; memory: bigint };
  cpuN: number;
  memN: number;
  nzCpuN: number;
  nzMemN: number;
  tolerations: Toleration[];
  toleratesUnschedulable: boolean;
  nodeName: string | undefined;
  affinity: CompiledNodeAffinity;
  hasRequiredAffinity: boolean;
  owner: string | undefined;
  hostPorts: HostPortKey[];
}

export function compilePod(pod: KubeObject): SchedPod {
  const requests = podRequests(pod);
  const nonZero = podNonZeroRequests(pod);
  const scalar = Object.entries(requests.scalar).filter(([, v]) => v > 0n);
  const tolerations = podTolerations(pod);
  const affinity = compilePodNodeAffinity(pod);
  const pinned = obj(pod.spec).nodeName;
  return {
    pod,
    requests,
    scalar,
    requestsZero:
      requests.milliCpu <= 0n &&
      requests.memory <= 0n &&
      requests.ephemeralStorage <= 0n &&
      scalar.length === 0,
    nonZero,
    cpuN: Number(requests.milliCpu),
    memN: Number(requests.memory),
    nzCpuN: Number(nonZero.milliCpu),
    nzMemN: Number(nonZero.memory),
    tolerations,
    toleratesUnschedulable: toleratesTaint(tolerations, {
      key: TAINT_NODE_UNSCHEDULABLE,
      effect: 'NoSchedule',
    }),
    nodeName: typeof pinned === 'string' && pinned !== '' ? pinned : undefined,
    affinity,
    hasRequiredAffinity: affinity.nodeSelector !== undefined || affinity.required !== undefined,
    owner: controllerUid(pod),
    hostPorts: podHostPorts(pod),
  };
}

/** A node's scheduling inputs plus its (mutable, in planning) usage. */
export interface SchedNode {
  info: NodeInfo;
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
  deleting: boolean;
  alloc: Resources;
  allocCpuN: number;
  allocMemN: number;
  used: Resources;
  usedCpuN: number;
  usedMemN: number;
  nzCpu: bigint;
  nzMem: bigint;
  nzCpuN: number;
  nzMemN: number;
  podCount: number;
  ownerPods: Map<string, number>;
  usedHostPorts: HostPortKey[];
}

export function compileNode(info: NodeInfo): SchedNode {
  const node = info.node;
  const used = info.requested;
  // Fallbacks for hand-built infos; buildNodeInfos always sets both.
  const alloc = info.allocatable ?? nodeAllocatable(node);
  const nz = info.nonZeroRequested ?? { milliCpu: used.milliCpu, memory: used.memory };
  const ownerPods = new Map<string, number>();
  for (const [k, v] of Object.entries(info.ownerPods ?? {})) ownerPods.set(k, v);
  return {
    info,
    name: nodeName(node),
    labels: nodeLabels(node),
    taints: nodeTaints(node),
    unschedulable: obj(node.spec).unschedulable === true,
    deleting: Boolean(obj(node.metadata).deletionTimestamp),
    alloc,
    allocCpuN: Number(alloc.milliCpu),
    allocMemN: Number(alloc.memory),
    used,
    usedCpuN: Number(used.milliCpu),
    usedMemN: Number(used.memory),
    nzCpu: nz.milliCpu,
    nzMem: nz.memory,
    nzCpuN: Number(nz.milliCpu),
    nzMemN: Number(nz.memory),
    podCount: info.podCount,
    ownerPods,
    usedHostPorts: [...(info.usedHostPorts ?? [])],
  };
}

const UNSCHEDULABLE = [REASON_NODE_UNSCHEDULABLE] as const;
const NODE_NAME = [REASON_NODE_NAME] as const;
const NODE_AFFINITY = [REASON_NODE_AFFINITY] as const;
const NODE_PORTS = [REASON_NODE_PORTS] as const;

/**
 * Runs the filters in kube-scheduler's order (NodeUnschedulable, NodeName, TaintToleration,
 * NodeAffinity, NodePorts, NodeResourcesFit) and returns the reasons of the first that rejects the
 * node, or `undefined` when the pod fits. Like kube-scheduler, a node reports reasons from
 * one filter only; the resource filter may report several (`Insufficient cpu`, `Too many
 * pods`, …).
 */
export function filterNode(p: SchedPod, n: SchedNode): readonly string[] | undefined {
  // A node being deleted takes no new pods, whatever the pod tolerates.
  if (n.deleting) return UNSCHEDULABLE;
  if (n.unschedulable && !p.toleratesUnschedulable) return UNSCHEDULABLE;
  if (p.nodeName !== undefined && p.nodeName !== n.name) return NODE_NAME;
  if (n.taints.length > 0) {
    const taint = findUntoleratedTaint(n.taints, p.tolerations);
    if (taint) return [untoleratedTaintReason(taint)];
  }
  if (p.hasRequiredAffinity && !matchesRequiredAffinity(p.affinity, n.labels, n.name)) {
    return NODE_AFFINITY;
  }
  if (anyHostPortConflict(p.hostPorts, n.usedHostPorts)) return NODE_PORTS;
  return insufficientResources(p, n);
}

function insufficientResources(p: SchedPod, n: SchedNode): string[] | undefined {
  let reasons: string[] | undefined;
  if (n.podCount + 1 > n.alloc.pods) (reasons ??= []).push(REASON_TOO_MANY_PODS);
  if (p.requestsZero) return reasons;
  const r = p.requests;
  if (r.milliCpu > 0n && r.milliCpu > n.alloc.milliCpu - n.used.milliCpu) {
    (reasons ??= []).push(REASON_INSUFFICIENT_CPU);
  }
  if (r.memory > 0n && r.memory > n.alloc.memory - n.used.memory) {
    (reasons ??= []).push(REASON_INSUFFICIENT_MEMORY);
  }
  if (
    r.ephemeralStorage > 0n &&
    r.ephemeralStorage > n.alloc.ephemeralStorage - n.used.ephemeralStorage
  ) {
    (reasons ??= []).push(REASON_INSUFFICIENT_EPHEMERAL_STORAGE);
  }
  for (const [k, v] of p.scalar) {
    const alloc = hasOwn(n.alloc.scalar, k) ? n.alloc.scalar[k]! : 0n;
    const used = hasOwn(n.used.scalar, k) ? n.used.scalar[k]! : 0n;
    if (v > alloc - used) (reasons ??= []).push(insufficientReason(k));
  }
  return reasons;
}

export function addReasons(into: Record<string, number>, reasons: Iterable<string>): void {
  for (const r of reasons) into[r] = (hasOwn(into, r) ? into[r]! : 0) + 1;
}

/** Filters every node; reasons are counted once per node. */
export function filterAll(
  p: SchedPod,
  nodes: readonly SchedNode[],
): { feasible: SchedNode[]; reasons: Record<string, number> } {
  const feasible: SchedNode[] = [];
  const reasons: Record<string, number> = {};
  for (const n of nodes) {
    const r = filterNode(p, n);
    if (r === undefined) feasible.push(n);
    else addReasons(reasons, new Set(r));
  }
  return { feasible, reasons };
}

// ---------------------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------------------

function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** NodeResourcesFit's LeastAllocated score, on requests with the scoring defaults. */
function leastAllocated(p: SchedPod, n: SchedNode): number {
  let sum = 0;
  let weights = 0;
  if (n.allocCpuN > 0) {
    sum += leastRequestedScore(n.nzCpuN + p.nzCpuN, n.allocCpuN);
    weights++;
  }
  if (n.allocMemN > 0) {
    sum += leastRequestedScore(n.nzMemN + p.nzMemN, n.allocMemN);
    weights++;
  }
  return weights === 0 ? 0 : floor(sum / weights);
}

/** NodeResourcesBalancedAllocation: 100 × (1 − std of the cpu and memory fractions). */
function balancedAllocation(p: SchedPod, n: SchedNode): number {
  // With a single resource (the other has no allocatable) the deviation is 0.
  if (n.allocCpuN <= 0 || n.allocMemN <= 0) return MAX_NODE_SCORE;
  const cpu = min(1, (n.usedCpuN + p.cpuN) / n.allocCpuN);
  const mem = min(1, (n.usedMemN + p.memN) / n.allocMemN);
  const std = abs((cpu - mem) / 2);
  return trunc((1 - std) * MAX_NODE_SCORE);
}

/** kube-scheduler's DefaultNormalizeScore, in place. */
function normalize(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = floor((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}

/** The weighted score of each node, in the order given. */
export function scoreAll(p: SchedPod, nodes: readonly SchedNode[], w: ScoreWeights): number[] {
  const count = nodes.length;
  const total = new Array<number>(count).fill(0);
  if (count === 0) return total;

  if (w.leastAllocated > 0) {
    for (let i = 0; i < count; i++) total[i]! += w.leastAllocated * leastAllocated(p, nodes[i]!);
  }
  // Balanced allocation is skipped for pods requesting no cpu and no memory, as in
  // kube-scheduler (it would otherwise pile best-effort pods onto one node).
  if (w.balancedAllocation > 0 && (p.cpuN > 0 || p.memN > 0)) {
    for (let i = 0; i < count; i++) {
      total[i]! += w.balancedAllocation * balancedAllocation(p, nodes[i]!);
    }
  }
  if (w.taintToleration > 0) {
    const raw = new Array<number>(count);
    let any = false;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      raw[i] =
        n.taints.length === 0 ? 0 : countIntolerablePreferNoSchedule(n.taints, p.tolerations);
      if (raw[i]! > 0) any = true;
    }
    if (any) normalize(raw, true);
    else raw.fill(MAX_NODE_SCORE);
    for (let i = 0; i < count; i++) total[i]! += w.taintToleration * raw[i]!;
  }
  if (w.nodeAffinity > 0 && p.affinity.preferred.length > 0) {
    const raw = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      raw[i] = preferredAffinityWeight(p.affinity, n.labels, n.name);
    }
    normalize(raw, false);
    for (let i = 0; i < count; i++) total[i]! += w.nodeAffinity * raw[i]!;
  }
  if (w.ownerSpread > 0 && p.owner !== undefined) {
    const owner = p.owner;
    let max = 0;
    const raw = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      raw[i] = nodes[i]!.ownerPods.get(owner) ?? 0;
      if (raw[i]! > max) max = raw[i]!;
    }
    for (let i = 0; i < count; i++) {
      const s = max === 0 ? MAX_NODE_SCORE : trunc(MAX_NODE_SCORE * ((max - raw[i]!) / max));
      total[i]! += w.ownerSpread * s;
    }
  }
  return total;
}

/** Orders by score (highest first), then node name. */
export function compareScored(
  a: { score: number; name: string },
  b: { score: number; name: string },
): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
