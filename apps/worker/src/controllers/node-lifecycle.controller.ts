import {
  defaultNotReadyTolerations,
  evictionEvent,
  evictionsPaused,
  findResource,
  isConflict,
  isNotFound,
  markPodsNotReady,
  podsToEvict,
  reconcileNodeHealth,
  TAINT_NOT_READY,
  TAINT_UNREACHABLE,
  type EventSpec,
  type KubeObject,
  type NodeHealthOptions,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import type { EventRecorder } from './events';
import { NODES, PODS, WRITE } from './shared';

const LEASES = findResource('coordination.k8s.io', 'v1', 'leases')!;

/** Where node heartbeats live: one Lease per node, named after it. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeLifecycleOptions {
  /** A node whose last heartbeat is older than this becomes Ready=Unknown. */
  gracePeriodMs: number;
  /** How often every node is checked (and the latest an eviction is re-checked). */
  monitorPeriodMs: number;
}

function isGone(err: unknown): boolean {
  return isNotFound(err) || isConflict(err);
}

type Taint = { key: string; value?: string; effect: string; timeAdded?: string };

function taintsOf(node: KubeObject): Taint[] {
  return ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []) as Taint[];
}

function sameTaints(a: Taint[], b: Taint[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The taints whose tolerations run out into evictions when a node stops answering. */
function isNotReadyNoExecute(t: Taint): boolean {
  return t.effect === 'NoExecute' && (t.key === TAINT_UNREACHABLE || t.key === TAINT_NOT_READY);
}

function hasNoExecuteTaint(node: KubeObject): boolean {
  const taints = (node.spec as { taints?: Array<{ effect?: string }> } | undefined)?.taints ?? [];
  return taints.some((t) => t.effect === 'NoExecute');
}

function readyStatus(node: KubeObject): string | undefined {
  const conditions =
    (node.status as { conditions?: Array<{ type: string; status: string }> } | undefined)
      ?.conditions ?? [];
  return conditions.find((c) => c.type === 'Ready')?.status;
}

/**
 * The DefaultTolerationSeconds admission plugin's not-ready/unreachable tolerations (300 s),
 * applied when deciding evictions for pods created without them — so a pod that says
 * nothing is not evicted the moment its node misses a heartbeat.
 */
function withDefaultTolerations(pod: KubeObject): KubeObject {
  const extra = defaultNotReadyTolerations(pod);
  if (extra.length === 0) return pod;
  const spec = (pod.spec ?? {}) as { tolerations?: unknown[] };
  return { ...pod, spec: { ...spec, tolerations: [...(spec.tolerations ?? []), ...extra] } };
}

/**
 * The node lifecycle controller (decisions in libs/core/controllers/node-lifecycle): a node
 * whose Lease is not renewed within the grace period becomes Ready=Unknown with the
 * `unreachable` NoExecute/NoSchedule taints, its pods become NotReady and are evicted once
 * their tolerations run out; a renewed Lease makes it Ready again and removes the taints.
 */
export class NodeLifecycleController {
  private readonly health: NodeHealthOptions;
  private lastPause?: string;

  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
    private readonly opts: NodeLifecycleOptions,
    private readonly log: Logger,
    /** Every Node and every node Lease, kept current from the change feed (informers). */
    private readonly caches: {
      nodes: { list(): Promise<KubeObject[]> };
      leases: { byName(): Promise<Map<string, KubeObject>> };
    },
  ) {
    this.health = { gracePeriodMs: opts.gracePeriodMs };
  }

  async reconcile(name: string): Promise<ReconcileResult | void> {
    const now = new Date();
    const lease = await this.lease(name);
    let node = await this.registry.get(NODES, '', name);
    const events: EventSpec[] = [];

    if (reconcileNodeHealth(node, lease, now, this.health).conditions) {
      // Status first, decided again on the version being written (a race re-decides).
      node = await this.registry.guaranteedUpdate(NODES, '', name, undefined, WRITE, (cur) => {
        const decision = reconcileNodeHealth(cur, lease, now, this.health);
        events.splice(0, events.length, ...decision.events);
        if (!decision.conditions) return cur;
        const status = (cur.status ?? {}) as Record<string, unknown>;
        return { ...cur, status: { ...status, conditions: decision.conditions } };
      });
    }
    // Most nodes unreachable at once points at the control plane or the network, not the
    // nodes: evictions pause, and the NoExecute taints come off (Kubernetes'
    // markNodeAsReachable), so tolerations count again from when the disruption ends.
    const paused =
      readyStatus(node) !== 'True' ? evictionsPaused(await this.caches.nodes.list()) : undefined;
    if (paused !== this.lastPause && paused) this.log.warn(paused);
    this.lastPause = paused;
    const wantedTaints = (cur: KubeObject): Taint[] => {
      const decided = reconcileNodeHealth(cur, lease, now, this.health).taints ?? taintsOf(cur);
      return paused ? decided.filter((t) => !isNotReadyNoExecute(t)) : decided;
    };
    if (!sameTaints(wantedTaints(node), taintsOf(node))) {
      // Then the taints that follow from those conditions, a separate spec write.
      node = await this.registry.guaranteedUpdate(NODES, '', name, undefined, WRITE, (cur) => {
        const taints = wantedTaints(cur);
        if (sameTaints(taints, taintsOf(cur))) return cur;
        const spec: Record<string, unknown> = { ...(cur.spec ?? {}), taints };
        if (taints.length === 0) delete spec.taints;
        return { ...cur, spec };
      });
    }
    for (const e of events) await this.events.record(e);
    if (readyStatus(node) === 'True' && !hasNoExecuteTaint(node)) return;

    const pods = (
      await this.registry.list(PODS, undefined, { fieldSelector: `spec.nodeName=${name}` })
    ).items;
    await this.markPodsNotReady(node, pods, now);
    if (paused) return;
    return this.evict(node, pods, now);
  }

  /**
   * The leader's periodic check (monitorNodeHealth): a node that stops heartbeating makes no
   * change, so every node is looked at; `enqueue` gets those whose health decision changes
   * something or that carry NoExecute taints (evictions may be due).
   */
  async sweep(enqueue: (name: string) => Promise<void>): Promise<void> {
    const now = new Date();
    const nodes = await this.caches.nodes.list();
    const leases = await this.caches.leases.byName();
    for (const node of nodes) {
      const name = node.metadata.name!;
      const decision = reconcileNodeHealth(node, leases.get(name), now, this.health);
      if (decision.conditions || decision.taints || hasNoExecuteTaint(node)) await enqueue(name);
    }
  }

  private async lease(name: string): Promise<KubeObject | undefined> {
    const stored = await this.registry.repo.get(
      this.registry.key(LEASES, NODE_LEASE_NAMESPACE, name),
    );
    return stored ? (stored.object as KubeObject) : undefined;
  }

  private async markPodsNotReady(node: KubeObject, pods: KubeObject[], now: Date): Promise<void> {
    const { pods: changed } = markPodsNotReady(node, pods, now);
    for (const pod of changed) {
      const ns = pod.metadata.namespace!;
      let events: EventSpec[] = [];
      try {
        await this.registry.guaranteedUpdate(
          PODS,
          ns,
          pod.metadata.name!,
          undefined,
          WRITE,
          (cur) => {
            if (cur.metadata.uid !== pod.metadata.uid) return cur;
            const marked = markPodsNotReady(node, [cur], now);
            events = marked.events;
            return marked.pods[0] ?? cur;
          },
        );
      } catch (err) {
        if (!isGone(err)) throw err;
        events = [];
      }
      for (const e of events) await this.events.record(e);
    }
  }

  private async evict(
    node: KubeObject,
    pods: KubeObject[],
    now: Date,
  ): Promise<ReconcileResult | void> {
    let next = Infinity;
    for (const { pod, atMs } of podsToEvict(node, pods.map(withDefaultTolerations), now)) {
      if (atMs > now.getTime()) {
        next = Math.min(next, atMs);
        continue;
      }
      try {
        await this.registry.delete(
          PODS,
          pod.metadata.namespace!,
          pod.metadata.name!,
          { preconditions: { uid: pod.metadata.uid } },
          WRITE,
        );
        await this.events.record(evictionEvent(pod));
        this.log.info('evicted pod from node', {
          node: node.metadata.name,
          pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        });
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
    // The sweep looks at a NoExecute-tainted node every monitor period; come back sooner
    // only when a toleration runs out before that (never a long-delayed job per node).
    const wait = next - now.getTime() + 1;
    if (wait < this.opts.monitorPeriodMs) return { requeueAfterMs: wait };
  }
}
