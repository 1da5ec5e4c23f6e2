import {
  ignoreNotFound,
  isConflict,
  nodeAllocatable,
  otherResources,
  planBindings,
  podHostPorts,
  podRequests,
  type KubeObject,
  type NodeInfo,
} from '@berth/core';
import { fieldsOf, type Registry } from '@berth/registry';
import type { NodeCapacity, PodBinding, SchedulingRepository } from '@berth/store';
import type { NodeUsage } from '../feed/pod-usage';
import type { Logger } from '../log';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import type { ShardPayload } from '../queue/catalog';
import type { ReconcileResult } from '../queue/work-queues';
import type { EventRecorder } from './events';
import { PODS, WRITE } from './shared';

/** How many status writes and events the scheduler has in flight at once. */
const WRITE_PARALLELISM = 8;

/** Runs `fn` over `items`, at most WRITE_PARALLELISM at a time. */
async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_PARALLELISM, items.length) }, lane));
}

function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

function condition(pod: KubeObject, type: string) {
  const conditions =
    (pod.status as { conditions?: Array<Record<string, unknown>> })?.conditions ?? [];
  return conditions.find((c) => c.type === type);
}

function withCondition(pod: KubeObject, cond: Record<string, unknown>): KubeObject {
  const status = { ...((pod.status as Record<string, unknown>) ?? {}) };
  const conditions = ((status.conditions as Array<Record<string, unknown>>) ?? []).filter(
    (c) => c.type !== cond.type,
  );
  status.conditions = [...conditions, cond];
  return { ...pod, status };
}

function nodeInfo(node: KubeObject, usage: NodeUsage | undefined): NodeInfo {
  return {
    node,
    allocatable: nodeAllocatable(node),
    nonZeroRequested: {
      milliCpu: usage?.nonZeroMilliCpu ?? 0n,
      memory: usage?.nonZeroMemory ?? 0n,
    },
    requested: {
      milliCpu: usage?.milliCpu ?? 0n,
      memory: usage?.memory ?? 0n,
      pods: usage?.pods ?? 0,
      ephemeralStorage: usage?.ephemeralStorage ?? 0n,
      scalar: { ...(usage?.scalar ?? {}) },
    },
    podCount: usage?.pods ?? 0,
    ownerPods: usage?.owners ?? {},
    ...(usage?.hostPorts.size ? { usedHostPorts: [...usage.hostPorts.keys()] } : {}),
  };
}

/**
 * The scheduler: takes a batch of pending pods of one shard, plans their placement with
 * the pure filter/score in libs/core, then binds them in ONE store transaction that
 * re-checks every node's capacity under the store's revision lock — so no node is ever
 * overcommitted and no pod is bound twice, however many workers schedule at once.
 * Pods that fit nowhere get PodScheduled=False/Unschedulable and a FailedScheduling
 * event, and are retried only when capacity appears (node added/changed, pod gone).
 */
export class SchedulerController {
  constructor(
    private readonly registry: Registry,
    private readonly scheduling: SchedulingRepository,
    private readonly events: EventRecorder,
    private readonly metrics: WorkerMetrics,
    private readonly opts: { batchSize: number; shards: number },
    /** Every Node, kept current from the change feed (an informer). */
    private readonly nodeCache: {
      list(): Promise<KubeObject[]>;
      catchUp(): Promise<boolean>;
    },
    /** The requests already on each node, kept current from the change feed. */
    private readonly podUsage: {
      usage(): Promise<ReadonlyMap<string, NodeUsage>>;
      assume(pod: KubeObject): void;
    },
    private readonly log: Logger,
  ) {}

  async reconcile(payload: ShardPayload): Promise<ReconcileResult | void> {
    const pending = await this.pendingPods(payload);
    if (pending.length === 0) return;
    const batch = pending.slice(0, this.opts.batchSize);
    let nodes = await this.nodeCache.list();
    const usage = await this.podUsage.usage();
    let plan = planBindings(
      batch,
      nodes.map((n) => nodeInfo(n, usage.get(n.metadata.name!))),
    );
    if (plan.unschedulable.length > 0 && (await this.nodeCache.catchUp())) {
      // "Fits nowhere" must not come from a node view a moment behind the store (a node
      // added or changed just now): plan again on one that has caught up.
      nodes = await this.nodeCache.list();
      plan = planBindings(
        batch,
        nodes.map((n) => nodeInfo(n, usage.get(n.metadata.name!))),
      );
    }

    const bound = await this.bind(plan.bindings, nodes);
    let stale = 0;
    await inParallel(plan.unschedulable, async (pod) => {
      if (!(await this.markUnschedulable(pod.pod, pod.message))) stale++;
    });
    await inParallel(bound, (b) =>
      this.events.record({
        type: 'Normal',
        reason: 'Scheduled',
        message: `Successfully assigned ${podKey(b.pod)} to ${b.nodeName}`,
        involvedObject: {
          kind: 'Pod',
          apiVersion: 'v1',
          namespace: b.pod.metadata.namespace!,
          name: b.pod.metadata.name!,
          uid: b.pod.metadata.uid!,
        },
        source: { component: 'default-scheduler' },
      }),
    );
    const conflicts = plan.bindings.length - bound.length + stale;
    this.metrics.scheduleAttempts.inc({ result: 'scheduled' }, bound.length);
    this.metrics.scheduleAttempts.inc({ result: 'unschedulable' }, plan.unschedulable.length);
    if (conflicts) this.metrics.scheduleAttempts.inc({ result: 'conflict' }, conflicts);
    // More work (a full batch, or bindings lost to a concurrent scheduler): go again now.
    if (pending.length > batch.length || conflicts > 0)
      return { requeueAfterMs: conflicts > 0 ? 50 : 0 };
  }

  private async pendingPods(payload: ShardPayload): Promise<KubeObject[]> {
    // One more than a batch tells whether more work waits after this one.
    const rows = await this.scheduling.pendingPods(
      payload.shard,
      this.opts.shards,
      this.opts.batchSize * 4,
    );
    return rows
      .map((r) => r.object as unknown as KubeObject)
      .filter((pod) => {
        const scheduled = condition(pod, 'PodScheduled');
        const markedUnschedulable =
          scheduled?.status === 'False' && scheduled.reason === 'Unschedulable';
        return payload.retryUnschedulable || !markedUnschedulable;
      });
  }

  /**
   * Applies bindings in one store transaction that re-checks, under the revision lock,
   * that each node is still the version planned on and still has room (no overcommit,
   * however many schedulers run). Returns those bound; the others are planned again.
   */
  private async bind(bindings: Array<{ pod: KubeObject; nodeName: string }>, nodes: KubeObject[]) {
    if (bindings.length === 0) return [];
    const nodeByName = new Map(nodes.map((n) => [n.metadata.name!, n]));
    const transition = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const capacity: NodeCapacity[] = [...new Set(bindings.map((b) => b.nodeName))].flatMap(
      (name) => {
        const node = nodeByName.get(name);
        if (!node) return [];
        const alloc = nodeAllocatable(node);
        return [
          {
            name,
            resourceVersion: BigInt(node.metadata.resourceVersion ?? '0'),
            milliCpu: alloc.milliCpu,
            memory: alloc.memory,
            pods: alloc.pods,
            other: otherResources(alloc),
          },
        ];
      },
    );
    const requests: PodBinding[] = bindings.map((b) => {
      const next = withCondition(
        { ...b.pod, spec: { ...(b.pod.spec as object), nodeName: b.nodeName } },
        {
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: transition,
        },
      );
      const req = podRequests(b.pod);
      return {
        namespace: b.pod.metadata.namespace!,
        name: b.pod.metadata.name!,
        expectedVersion: BigInt(b.pod.metadata.resourceVersion!),
        node: b.nodeName,
        milliCpu: req.milliCpu,
        memory: req.memory,
        other: otherResources(req),
        hostPorts: podHostPorts(b.pod),
        object: next as never,
        fields: fieldsOf(PODS, next),
      };
    });
    const done = await this.scheduling.bindPods(requests, capacity);
    const bound = bindings.filter((b, i) => {
      if (!done.has(podKey(b.pod))) return false;
      // Counted on its node now, not only once its change comes round the feed.
      this.podUsage.assume(requests[i].object as unknown as KubeObject);
      return true;
    });
    for (const b of bound) {
      this.metrics.binds.inc();
      const created = Date.parse(b.pod.metadata.creationTimestamp ?? '');
      if (!Number.isNaN(created))
        this.metrics.scheduleLatency.observe(Math.max(0, (Date.now() - created) / 1000));
    }
    return bound;
  }

  /** Returns false when the pod changed since it was planned on (plan it again). */
  private async markUnschedulable(pod: KubeObject, message: string): Promise<boolean> {
    const current = condition(pod, 'PodScheduled');
    if (!(
      current?.status === 'False' &&
      current.reason === 'Unschedulable' &&
      current.message === message
    )) {
      try {
        await this.registry.guaranteedUpdate(
          PODS,
          pod.metadata.namespace!,
          pod.metadata.name!,
          // Guarded by the version planned on: a message about an older pod is not written.
          BigInt(pod.metadata.resourceVersion!),
          WRITE,
          (cur) => {
            if ((cur.spec as { nodeName?: string })?.nodeName) return cur;
            return withCondition(cur, {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message,
              lastProbeTime: null,
              lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
            });
          },
        );
      } catch (err) {
        if (isConflict(err)) return false;
        ignoreNotFound(err);
        return true;
      }
    }
    await this.events.record({
      type: 'Warning',
      reason: 'FailedScheduling',
      message,
      involvedObject: {
        kind: 'Pod',
        apiVersion: 'v1',
        namespace: pod.metadata.namespace!,
        name: pod.metadata.name!,
        uid: pod.metadata.uid!,
      },
      source: { component: 'default-scheduler' },
    });
    this.log.debug('pod unschedulable', { pod: podKey(pod), message });
    return true;
  }
}
