/**
 * The filter step: which nodes can take a pod, and why the others cannot, in
 * kube-scheduler's words.
 */
import type { KubeObject } from '../api/types';
import { compileNode, compilePod, filterAll } from './engine';
import type { NodeInfo } from './node-info';

/**
 * The nodes that pass every filter (in the given order) and, for the others, how many nodes
 * gave each reason (each reason counted once per node). The filters run in kube-scheduler's
 * order — NodeUnschedulable (also rejecting nodes being deleted), NodeName, TaintToleration,
 * NodeAffinity, NodeResourcesFit — and a rejected node reports the reasons of the first
 * filter that rejects it only. The inputs are not modified.
 */
export function filterNodes(
  pod: KubeObject,
  nodeInfos: readonly NodeInfo[],
): { feasible: NodeInfo[]; reasons: Record<string, number> } {
  const { feasible, reasons } = filterAll(compilePod(pod), nodeInfos.map(compileNode));
  return { feasible: feasible.map((n) => n.info), reasons };
}

/** What kube-scheduler says when there is no node at all. */
export const NO_NODES_AVAILABLE_MESSAGE = 'no nodes available to schedule pods';

/**
 * The `PodScheduled=False` / `FailedScheduling` message, formatted as kube-scheduler's
 * `FitError`: `0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.`
 * The entries are `"<count> <reason>"` strings sorted as plain strings (Go's
 * `sort.Strings`, so the count takes part in the order). kube-scheduler's
 * `preemption: …` suffix is not produced. With no nodes at all the message is
 * {@link NO_NODES_AVAILABLE_MESSAGE}, as kube-scheduler reports `ErrNoNodesAvailable`.
 */
export function unschedulableMessage(totalNodes: number, reasons: Record<string, number>): string {
  if (totalNodes <= 0) return NO_NODES_AVAILABLE_MESSAGE;
  const entries = Object.entries(reasons)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${reason}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let msg = `0/${totalNodes} nodes are available:`;
  if (entries.length > 0) msg += ` ${entries.join(', ')}.`;
  return msg;
}
