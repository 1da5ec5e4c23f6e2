import {
  ignoreNotFound,
  isAlreadyExists,
  isConflict,
  isNotFound,
  reconcileDeployment,
  type KubeObject,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import type { EventRecorder } from './events';
import { DEPLOYMENTS, PODS, REPLICASETS, WRITE, specSelector, splitKey } from './shared';

function ownedBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some(
    (r) => r.controller && r.uid === owner.metadata.uid,
  );
}

/** Rolls Deployments out through ReplicaSets (decisions in libs/core). */
export class DeploymentController {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
    private readonly log: Logger,
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = splitKey(key);
    const deploy = await this.registry.get(DEPLOYMENTS, namespace, name);
    if (deploy.metadata.deletionTimestamp) return;
    const selector = specSelector(deploy);
    // Every ReplicaSet the selector matches: the decision adopts orphans, releases strays
    // and sees name collisions (it then bumps status.collisionCount).
    const replicaSets = (
      await this.registry.list(REPLICASETS, namespace, { labelSelector: selector })
    ).items;
    const rsUids = new Set(
      replicaSets.filter((rs) => ownedBy(rs, deploy)).map((rs) => rs.metadata.uid),
    );
    const pods = (
      await this.registry.list(PODS, namespace, { labelSelector: selector })
    ).items.filter((p) =>
      (p.metadata.ownerReferences ?? []).some((r) => r.controller && rsUids.has(r.uid)),
    );
    const plan = reconcileDeployment(deploy, replicaSets, pods, new Date());

    for (const rs of [...plan.adoptReplicaSets, ...plan.releaseReplicaSets]) {
      await this.registry.guaranteedUpdate(
        REPLICASETS,
        namespace,
        rs.metadata.name!,
        undefined,
        WRITE,
        (cur) =>
          cur.metadata.uid === rs.metadata.uid
            ? {
                ...cur,
                metadata: { ...cur.metadata, ownerReferences: rs.metadata.ownerReferences },
              }
            : cur,
      );
    }
    if (plan.createReplicaSet) {
      try {
        await this.registry.create(REPLICASETS, namespace, plan.createReplicaSet, WRITE);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    for (const s of plan.scaleReplicaSets) {
      // Guarded by the version the decision saw: on a race, decide again from fresh state.
      const seen = BigInt(s.rs.metadata.resourceVersion ?? '0');
      try {
        await this.registry.guaranteedUpdate(
          REPLICASETS,
          namespace,
          s.rs.metadata.name!,
          seen,
          WRITE,
          (cur) => {
            if (cur.metadata.uid !== s.rs.metadata.uid) return cur;
            const next = {
              ...cur,
              metadata: { ...cur.metadata, annotations: s.annotations ?? cur.metadata.annotations },
              spec: {
                ...(cur.spec as object),
                replicas: s.replicas,
                ...(s.minReadySeconds !== undefined ? { minReadySeconds: s.minReadySeconds } : {}),
              },
            };
            if ((cur.spec as { replicas?: number }).replicas !== s.replicas) {
              next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
            }
            return next;
          },
        );
      } catch (err) {
        if (isConflict(err) || isNotFound(err)) return { requeueAfterMs: 0 };
        throw err;
      }
    }
    for (const rs of plan.deleteReplicaSets) {
      try {
        await this.registry.delete(
          REPLICASETS,
          namespace,
          rs.metadata.name!,
          { preconditions: { uid: rs.metadata.uid } },
          WRITE,
        );
      } catch (err) {
        ignoreNotFound(err);
      }
    }
    // Guarded by the version the plan was made from (a Conflict requeues, see WorkQueues).
    await this.registry.guaranteedUpdate(
      DEPLOYMENTS,
      namespace,
      name,
      BigInt(deploy.metadata.resourceVersion!),
      WRITE,
      (cur) => {
        const metadata = plan.deploymentAnnotations
          ? { ...cur.metadata, annotations: plan.deploymentAnnotations }
          : cur.metadata;
        return { ...cur, metadata, status: plan.status as never };
      },
    );
    for (const e of plan.events) await this.events.record(e);
    this.log.debug('deployment synced', { deployment: key, scaled: plan.scaleReplicaSets.length });
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }
}
