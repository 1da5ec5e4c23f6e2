/**
 * Per-node scheduling state (kube-scheduler's `NodeInfo`): the node, what it offers and
 * what the pods bound to it already request.
 */
import type { KubeObject } from '../api/types';
import { arr, obj } from '../resources/util';
import { podHostPorts, type HostPortKey } from './host-ports';
import { nodeName } from './node-affinity';
import {
  addResources,
  nodeAllocatable,
  podNonZeroRequests,
  podRequests,
  zeroResources,
  type Resources,
} from './resources';

export type NodeInfo = {
  node: KubeObject;
  /** {@link nodeAllocatable} of the node, computed once. */
  allocatable: Resources;
  /** Sum of {@link podRequests} over the pods bound to the node (`pods` = their count). */
  requested: Resources;
  /**
   * CPU and memory of the bound pods with kube-scheduler's scoring defaults for missing
   * requests (100m, 200Mi per container); used by LeastAllocated only.
   */
  nonZeroRequested: { milliCpu: bigint; memory: bigint };
  /** Number of pods bound to the node. */
  podCount: number;
  /** Controller owner reference uid → number of that controller's pods on this node. */
  ownerPods: Record<string, number>;
  /** Host ports the bound pods hold ({@link podHostPorts}); absent: none. */
  usedHostPorts?: HostPortKey[];
};

/** The uid of the pod's controlling owner reference (`controller: true`), if any. */
export function controllerUid(pod: KubeObject): string | undefined {
  for (const ref of arr(obj(pod.metadata).ownerReferences)) {
    const r = obj(ref);
    if (r.controller === true && typeof r.uid === 'string' && r.uid !== '') return r.uid;
  }
  return undefined;
}

/**
 * Whether a pod occupies its node's resources: it is bound (`spec.nodeName`) and not
 * finished (phase Succeeded/Failed). Terminating pods still count until they are gone,
 * as in kube-scheduler.
 */
export function occupiesNode(pod: KubeObject): boolean {
  const bound = obj(pod.spec).nodeName;
  if (typeof bound !== 'string' || bound === '') return false;
  const phase = obj(pod.status).phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** A pod's identity for de-duplication: its uid, else namespace/name. */
export function podKey(pod: KubeObject): string {
  const meta = obj(pod.metadata);
  if (typeof meta.uid === 'string' && meta.uid !== '') return `uid:${meta.uid}`;
  return `name:${String(meta.namespace ?? '')}/${String(meta.name ?? '')}`;
}

/**
 * One {@link NodeInfo} per node, in the given order, with the requests of the pods bound to
 * it. Nodes being deleted (`metadata.deletionTimestamp`) and nodes without a name are left
 * out, as are duplicate node names (the first wins); pods bound to unknown nodes, finished
 * pods and duplicate pods (same uid, else same namespace/name) are ignored.
 */
export function buildNodeInfos(nodes: KubeObject[], boundPods: KubeObject[]): NodeInfo[] {
  const byName = new Map<string, NodeInfo>();
  const infos: NodeInfo[] = [];
  for (const node of nodes) {
    const name = nodeName(node);
    if (name === '' || byName.has(name) || obj(node.metadata).deletionTimestamp) continue;
    const info: NodeInfo = {
      node,
      allocatable: nodeAllocatable(node),
      requested: zeroResources(),
      nonZeroRequested: { milliCpu: 0n, memory: 0n },
      podCount: 0,
      ownerPods: {},
    };
    byName.set(name, info);
    infos.push(info);
  }
  const seen = new Set<string>();
  for (const pod of boundPods) {
    if (!occupiesNode(pod)) continue;
    const info = byName.get(obj(pod.spec).nodeName as string);
    if (!info) continue;
    const key = podKey(pod);
    if (seen.has(key)) continue;
    seen.add(key);
    info.requested = addResources(info.requested, podRequests(pod));
    const nz = podNonZeroRequests(pod);
    info.nonZeroRequested = {
      milliCpu: info.nonZeroRequested.milliCpu + nz.milliCpu,
      memory: info.nonZeroRequested.memory + nz.memory,
    };
    info.podCount++;
    const ports = podHostPorts(pod);
    if (ports.length) info.usedHostPorts = [...(info.usedHostPorts ?? []), ...ports];
    const owner = controllerUid(pod);
    if (owner !== undefined) info.ownerPods[owner] = (info.ownerPods[owner] ?? 0) + 1;
  }
  return infos;
}
