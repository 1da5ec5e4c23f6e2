import { ApiError, reconcileDaemonSet, type KubeObject } from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import type { EventRecorder } from './events';
import { DAEMONSETS, NODES, PODS, WRITE, isGone, specSelector, splitKey } from './shared';

/** The key a node change enqueues: every DaemonSet is looked at (see {@link fanOut}). */
export const ALL_DAEMONSETS = '*';

/** How soon a DaemonSet whose pods admission refused tries again. */
const CREATE_RETRY_MS = 10_000;

/**
 * Keeps one pod on every node a DaemonSet's template admits (decisions in libs/core),
 * placed by the scheduler through a node affinity to its node.
 */
export class DaemonSetController {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
    private readonly log: Logger,
  ) {}

  /** A node changed: every DaemonSet's placement may change. */
  async fanOut(enqueue: (key: string) => Promise<void>): Promise<void> {
    for (const ds of (await this.registry.list(DAEMONSETS, undefined, {})).items)
      await enqueue(`${ds.metadata.namespace}/${ds.metadata.name}`);
  }

  async reconcile(
    key: string,
    enqueue: (key: string) => Promise<void>,
  ): Promise<ReconcileResult | void> {
    if (key === ALL_DAEMONSETS) return this.fanOut(enqueue);
    const [namespace, name] = splitKey(key);
    let ds: KubeObject;
    try {
      ds = await this.registry.get(DAEMONSETS, namespace, name);
    } catch (err) {
      if (isGone(err)) return;
      throw err;
    }
    if (ds.metadata.deletionTimestamp) return;
    const [nodes, pods] = await Promise.all([
      this.registry.list(NODES, undefined, {}),
      this.registry.list(PODS, namespace, { labelSelector: specSelector(ds) }),
    ]);
    const now = new Date();
    const plan = reconcileDaemonSet(ds, nodes.items, pods.items, now);
    let failure: string | undefined;
    for (const pod of plan.createPods) {
      try {
        await this.registry.create(PODS, namespace, pod, WRITE);
      } catch (err) {
        if (err instanceof ApiError && (err.code === 403 || err.code === 422)) {
          failure = err.message;
          break;
        }
        throw err;
      }
    }
    for (const pod of plan.deletePods) {
      try {
        await this.registry.delete(
          PODS,
          namespace,
          pod.metadata.name!,
          { preconditions: { uid: pod.metadata.uid } },
          WRITE,
        );
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
    await this.registry.guaranteedUpdate(
      DAEMONSETS,
      namespace,
      name,
      BigInt(ds.metadata.resourceVersion!),
      WRITE,
      (cur) => ({ ...cur, status: plan.status as never }),
    );
    for (const e of plan.events) {
      if (failure && e.reason === 'SuccessfulCreate') continue;
      await this.events.record(e);
    }
    if (failure)
      await this.events.record({
        type: 'Warning',
        reason: 'FailedCreate',
        message: `Error creating: ${failure}`,
        involvedObject: {
          kind: 'DaemonSet',
          apiVersion: 'apps/v1',
          namespace,
          name,
          uid: ds.metadata.uid,
        },
        source: { component: 'daemonset-controller' },
      });
    if (plan.createPods.length || plan.deletePods.length)
      this.log.debug('daemonset synced', {
        ds: key,
        created: plan.createPods.length,
        deleted: plan.deletePods.length,
      });
    const retry = failure ? CREATE_RETRY_MS : plan.requeueAfterMs;
    return retry !== undefined ? { requeueAfterMs: retry } : undefined;
  }
}
