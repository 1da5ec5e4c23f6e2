import {
  ApiError,
  isAlreadyExists,
  isCurrentRevisionOf,
  planDaemonSetHistory,
  reconcileDaemonSet,
  type KubeObject,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import type { EventRecorder } from './events';
import {
  CONTROLLERREVISIONS,
  DAEMONSETS,
  NODES,
  PODS,
  WRITE,
  isGone,
  specSelector,
  splitKey,
} from './shared';

/** The key a node change enqueues: every DaemonSet is looked at (see {@link fanOut}). */
export const ALL_DAEMONSETS = '*';

/** How soon a DaemonSet whose pods admission refused tries again. */
const CREATE_RETRY_MS = 10_000;

/** What the history step hands the pod step: the current hash and what to clean up after. */
interface History {
  hash: string;
  pods: KubeObject[];
  cleanup: KubeObject[];
}

/**
 * Keeps one pod on every node a DaemonSet's template admits (decisions in libs/core),
 * placed by the scheduler through a node affinity to its node, and the DaemonSet's revision
 * history as ControllerRevisions (`kubectl rollout history/undo ds/x`).
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
    const [nodes, pods, revisions] = await Promise.all([
      this.registry.list(NODES, undefined, {}),
      this.registry.list(PODS, namespace, { labelSelector: specSelector(ds) }),
      this.registry.list(CONTROLLERREVISIONS, namespace, {}),
    ]);
    const history = await this.syncHistory(ds, revisions.items, pods.items);
    if (!('hash' in history)) return history;
    const now = new Date();
    const plan = reconcileDaemonSet(ds, nodes.items, history.pods, now, undefined, history.hash);
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
    for (const revision of history.cleanup) await this.deleteRevision(revision);
    if (plan.createPods.length || plan.deletePods.length)
      this.log.debug('daemonset synced', {
        ds: key,
        created: plan.createPods.length,
        deleted: plan.deletePods.length,
      });
    const retry = failure ? CREATE_RETRY_MS : plan.requeueAfterMs;
    return retry !== undefined ? { requeueAfterMs: retry } : undefined;
  }

  /**
   * constructHistory: the current template's ControllerRevision made (or an old one
   * renumbered), duplicates dropped and their pods relabelled. A name taken by another
   * template is a hash collision: `status.collisionCount` goes up and the key comes back.
   */
  private async syncHistory(
    ds: KubeObject,
    revisions: KubeObject[],
    pods: KubeObject[],
  ): Promise<History | ReconcileResult> {
    const namespace = ds.metadata.namespace!;
    const plan = planDaemonSetHistory(ds, revisions, pods);
    const relabelled = new Map<string, KubeObject>();
    for (const pod of plan.relabelPods) {
      try {
        const updated = await this.registry.guaranteedUpdate(
          PODS,
          namespace,
          pod.metadata.name!,
          BigInt(pod.metadata.resourceVersion!),
          WRITE,
          (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: pod.metadata.labels } }),
        );
        relabelled.set(pod.metadata.uid!, updated);
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
    for (const duplicate of plan.deleteDuplicates) await this.deleteRevision(duplicate);
    if (plan.renumber) {
      const { revision, to } = plan.renumber;
      await this.registry.guaranteedUpdate(
        CONTROLLERREVISIONS,
        namespace,
        revision.metadata.name!,
        BigInt(revision.metadata.resourceVersion!),
        WRITE,
        (cur) => ({ ...cur, revision: to }),
      );
    }
    if (plan.create) {
      try {
        await this.registry.create(CONTROLLERREVISIONS, namespace, plan.create, WRITE);
      } catch (err) {
        if (err instanceof ApiError && (err.code === 403 || err.code === 422)) {
          await this.events.record({
            type: 'Warning',
            reason: 'FailedCreate',
            message: `Error creating revision: ${err.message}`,
            involvedObject: {
              kind: 'DaemonSet',
              apiVersion: 'apps/v1',
              namespace,
              name: ds.metadata.name!,
              uid: ds.metadata.uid,
            },
            source: { component: 'daemonset-controller' },
          });
          return { requeueAfterMs: CREATE_RETRY_MS };
        }
        if (!isAlreadyExists(err)) throw err;
        const name = plan.create.metadata.name!;
        const existing = await this.registry.get(CONTROLLERREVISIONS, namespace, name);
        if (!isCurrentRevisionOf(ds, existing)) {
          await this.registry.guaranteedUpdate(
            DAEMONSETS,
            namespace,
            ds.metadata.name!,
            BigInt(ds.metadata.resourceVersion!),
            WRITE,
            (cur) => ({
              ...cur,
              status: {
                ...(cur.status as object),
                collisionCount:
                  ((cur.status as { collisionCount?: number })?.collisionCount ?? 0) + 1,
              } as never,
            }),
          );
          this.log.info('daemonset revision name collision', {
            ds: `${namespace}/${ds.metadata.name}`,
            name,
          });
        }
        // Ours already (a race with another pass), or a new hash to try: look again.
        return { requeueAfterMs: 0 };
      }
    }
    return {
      hash: plan.hash,
      pods: pods.map((p) => relabelled.get(p.metadata.uid!) ?? p),
      cleanup: plan.cleanup,
    };
  }

  private async deleteRevision(revision: KubeObject): Promise<void> {
    try {
      await this.registry.delete(
        CONTROLLERREVISIONS,
        revision.metadata.namespace!,
        revision.metadata.name!,
        { preconditions: { uid: revision.metadata.uid } },
        WRITE,
      );
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }
}
