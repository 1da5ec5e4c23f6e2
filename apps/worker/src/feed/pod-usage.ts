import {
  otherResources,
  podHostPorts,
  podNonZeroRequests,
  podRequests,
  type KubeObject,
} from '@berth/core';
import type { ChangeFeed, ChangeRecord, ObjectRepository, StoredObject } from '@berth/store';
import type { Logger } from '../log';
import { Informer } from './object-cache';

const TERMINAL = new Set(['Succeeded', 'Failed']);

/** What the pods bound to one node (not finished) take of it. */
export interface NodeUsage {
  node: string;
  milliCpu: bigint;
  memory: bigint;
  /** CPU and memory with kube-scheduler's scoring defaults for missing requests. */
  nonZeroMilliCpu: bigint;
  nonZeroMemory: bigint;
  pods: number;
  /** Local ephemeral storage requested, in bytes. */
  ephemeralStorage: bigint;
  /** Extended resources (`example.com/gpu`) requested, whole units; absent: 0. */
  scalar: Record<string, bigint>;
  /** Pods per controller owner uid on this node (for spreading). */
  owners: Record<string, number>;
  /** Host ports held (`PROTOCOL/port/hostIP`) → by how many pods. */
  hostPorts: Map<string, number>;
}

/** What one pod adds to its node's usage. */
interface Share {
  node: string;
  milliCpu: bigint;
  memory: bigint;
  nonZeroMilliCpu: bigint;
  nonZeroMemory: bigint;
  /** ephemeral-storage and extended resources, by name (positive amounts only). */
  other: Record<string, bigint>;
  owner?: string;
  hostPorts: string[];
}

/** A bound, not finished pod's share of its node; undefined for any other pod. */
function shareOf(pod: KubeObject): Share | undefined {
  const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  const phase = (pod.status as { phase?: string } | undefined)?.phase ?? '';
  if (!node || TERMINAL.has(phase)) return undefined;
  try {
    const req = podRequests(pod);
    const nonZero = podNonZeroRequests(pod);
    return {
      node,
      milliCpu: req.milliCpu,
      memory: req.memory,
      nonZeroMilliCpu: nonZero.milliCpu,
      nonZeroMemory: nonZero.memory,
      other: otherResources(req),
      owner: (pod.metadata.ownerReferences ?? []).find((r) => r.controller)?.uid,
      hostPorts: podHostPorts(pod),
    };
  } catch {
    return undefined; // requests the store would not have summed either
  }
}

/**
 * The requests of the pods bound to each node, kept current from the change feed (the
 * scheduler's cache): planning a batch reads it instead of summing every pod in the store.
 * Pods the scheduler has just bound are counted at once (`assume`, as kube-scheduler's
 * cache does), before their change comes round. The binding itself re-checks each node's
 * room under the store's lock, so a view a moment behind can cost a retry, never an
 * overcommitted node.
 */
export class PodUsageCache extends Informer {
  private readonly shares = new Map<string, Share>();
  private readonly byNode = new Map<string, NodeUsage>();

  constructor(repo: ObjectRepository, feed: ChangeFeed, log: Logger) {
    super(repo, feed, 'pods', log);
  }

  /** Usage by node name (nodes with no pods are absent). Not to be changed by callers. */
  async usage(): Promise<ReadonlyMap<string, NodeUsage>> {
    await this.ready();
    return this.byNode;
  }

  /** Counts a pod just bound (its change will say the same when it arrives). */
  assume(pod: KubeObject): void {
    this.set(`${pod.metadata.namespace}/${pod.metadata.name}`, shareOf(pod));
  }

  protected replace(items: StoredObject[]): void {
    this.shares.clear();
    this.byNode.clear();
    for (const item of items)
      this.set(`${item.key.namespace}/${item.key.name}`, shareOf(item.object as KubeObject));
  }

  protected apply(change: ChangeRecord): void {
    const key = `${change.namespace}/${change.name}`;
    this.set(key, change.type === 'DELETED' ? undefined : shareOf(change.object as KubeObject));
  }

  private set(key: string, share: Share | undefined): void {
    const old = this.shares.get(key);
    if (old) this.add(old, -1);
    if (share) {
      this.shares.set(key, share);
      this.add(share, 1);
    } else {
      this.shares.delete(key);
    }
  }

  private add(share: Share, sign: 1 | -1): void {
    const n = BigInt(sign);
    let u = this.byNode.get(share.node);
    if (!u) {
      u = {
        node: share.node,
        milliCpu: 0n,
        memory: 0n,
        nonZeroMilliCpu: 0n,
        nonZeroMemory: 0n,
        pods: 0,
        ephemeralStorage: 0n,
        scalar: {},
        owners: {},
        hostPorts: new Map(),
      };
      this.byNode.set(share.node, u);
    }
    u.milliCpu += n * share.milliCpu;
    u.memory += n * share.memory;
    u.nonZeroMilliCpu += n * share.nonZeroMilliCpu;
    u.nonZeroMemory += n * share.nonZeroMemory;
    u.pods += sign;
    for (const [name, amount] of Object.entries(share.other)) {
      if (name === 'ephemeral-storage') {
        u.ephemeralStorage += n * amount;
        continue;
      }
      const total = (u.scalar[name] ?? 0n) + n * amount;
      if (total !== 0n) u.scalar[name] = total;
      else delete u.scalar[name];
    }
    if (share.owner) {
      const count = (u.owners[share.owner] ?? 0) + sign;
      if (count > 0) u.owners[share.owner] = count;
      else delete u.owners[share.owner];
    }
    for (const port of share.hostPorts) {
      const count = (u.hostPorts.get(port) ?? 0) + sign;
      if (count > 0) u.hostPorts.set(port, count);
      else u.hostPorts.delete(port);
    }
    if (u.pods <= 0) this.byNode.delete(share.node);
  }
}
