import {
  ApiError,
  failedCreateEvent,
  reconcileReplicaSet,
  replicationControllerAsReplicaSet,
  setReplicaFailure,
  slowStartBatches,
  type KubeObject,
  type ResourceDefinition,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import type { EventRecorder } from './events';
import {
  PODS,
  REPLICASETS,
  REPLICATIONCONTROLLERS,
  WRITE,
  isGone,
  specSelector,
  splitKey,
} from './shared';

/** How soon a ReplicaSet whose pods admission refused tries again. */
const CREATE_RETRY_MS = 10_000;

/** A kind the ReplicaSet controller drives, and how its objects read as ReplicaSets. */
export interface ReplicaKind {
  def: ResourceDefinition;
  /** The object with an apps/v1 selector (its apiVersion and kind kept). */
  asReplicaSet(o: KubeObject): KubeObject;
}

export const REPLICA_SET_KIND: ReplicaKind = { def: REPLICASETS, asReplicaSet: (o) => o };
export const REPLICATION_CONTROLLER_KIND: ReplicaKind = {
  def: REPLICATIONCONTROLLERS,
  asReplicaSet: replicationControllerAsReplicaSet,
};

/**
 * Keeps exactly spec.replicas pods per ReplicaSet (decisions in libs/core), and per
 * ReplicationController (the legacy ReplicaSet, read as one).
 */
export class ReplicaSetController {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
    private readonly log: Logger,
    private readonly kind: ReplicaKind = REPLICA_SET_KIND,
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = splitKey(key);
    const rs = this.kind.asReplicaSet(await this.registry.get(this.kind.def, namespace, name));
    if (rs.metadata.deletionTimestamp) return;
    const selector = specSelector(rs);
    const pods = (await this.registry.list(PODS, namespace, { labelSelector: selector })).items;
    const now = new Date();
    const plan = reconcileReplicaSet(rs, pods, now);

    for (const pod of plan.adopt) await this.setOwner(pod, rs, true);
    for (const pod of plan.release) await this.setOwner(pod, rs, false);
    // Admission (quota, limit ranges) may refuse a pod: stop there, say why on the
    // ReplicaSet (ReplicaFailure, surfaced by its Deployment) and in a FailedCreate event,
    // and try again later rather than in a hot loop.
    // Kubernetes' slowStartBatch: batches of 1, 2, 4, … created in parallel, stopping after
    // the first batch with a failure, so a refusing admission costs one pod, not the burst.
    let failure: string | undefined;
    let unexpected: unknown;
    const made: KubeObject[] = [];
    let offset = 0;
    for (const size of slowStartBatches(plan.createPods.length)) {
      const batch = plan.createPods.slice(offset, offset + size);
      offset += size;
      const results = await Promise.allSettled(
        batch.map((pod) => this.registry.create(PODS, namespace, pod, WRITE)),
      );
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') made.push(batch[i]);
        else if (r.reason instanceof ApiError && (r.reason.code === 403 || r.reason.code === 422))
          failure ??= r.reason.message;
        else unexpected ??= r.reason;
      });
      if (failure !== undefined || unexpected !== undefined) break;
    }
    if (unexpected !== undefined) throw unexpected;
    if (failure !== undefined) {
      const createdEvents = new Set(made.map((p) => `Created pod: ${p.metadata.name}`));
      plan.events = plan.events.filter(
        (e) => e.reason !== 'SuccessfulCreate' || createdEvents.has(e.message),
      );
      plan.createPods = made;
      plan.events.push(failedCreateEvent(rs, failure));
      plan.status = setReplicaFailure(plan.status, 'FailedCreate', failure, now);
      plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? CREATE_RETRY_MS, CREATE_RETRY_MS);
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
    // Guarded by the version the plan was made from (a Conflict requeues, see WorkQueues).
    await this.registry.guaranteedUpdate(
      this.kind.def,
      namespace,
      name,
      BigInt(rs.metadata.resourceVersion!),
      WRITE,
      (cur) => ({ ...cur, status: plan.status as never }),
    );
    for (const e of plan.events) await this.events.record(e);
    if (plan.createPods.length || plan.deletePods.length)
      this.log.debug(`${this.kind.def.singular} synced`, {
        rs: key,
        created: plan.createPods.length,
        deleted: plan.deletePods.length,
      });
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }

  private async setOwner(pod: KubeObject, rs: KubeObject, adopt: boolean): Promise<void> {
    try {
      await this.registry.guaranteedUpdate(
        PODS,
        pod.metadata.namespace!,
        pod.metadata.name!,
        undefined,
        WRITE,
        (cur) => {
          const refs = (cur.metadata.ownerReferences ?? []).filter(
            (r) => r.uid !== rs.metadata.uid,
          );
          if (adopt) {
            if ((cur.metadata.ownerReferences ?? []).some((r) => r.controller)) return cur;
            refs.push({
              apiVersion: rs.apiVersion,
              kind: rs.kind,
              name: rs.metadata.name!,
              uid: rs.metadata.uid!,
              controller: true,
              blockOwnerDeletion: true,
            });
          }
          return { ...cur, metadata: { ...cur.metadata, ownerReferences: refs } };
        },
      );
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }
}
