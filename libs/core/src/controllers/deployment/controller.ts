/**
 * The Deployment controller's decision (kubernetes pkg/controller/deployment: sync.go,
 * rolling.go, recreate.go, progress.go, util/deployment_util.go): which ReplicaSet is the
 * new one (its template equals the Deployment's, ignoring `pod-template-hash`), when to
 * create it, how to scale new and old ReplicaSets for RollingUpdate and Recreate, how to
 * scale proportionally while paused or when the replica count changes mid-rollout, which
 * old ReplicaSets to delete beyond `revisionHistoryLimit`, and the status with the
 * Available/Progressing conditions and Kubernetes' messages.
 *
 * Differences from Kubernetes, on purpose: availability is counted from the pods passed in
 * (fresher than ReplicaSet status), and an old ReplicaSet never counts more available pods
 * than its `spec.replicas` (pods above that are about to be deleted), so a lagging
 * ReplicaSet controller cannot make a rollout scale down too far.
 *
 * The worker: creates `createReplicaSet`, writes each `scaleReplicaSets` entry with
 * {@link applyReplicaSetUpdate} guarded by the ReplicaSet's resourceVersion, deletes
 * `deleteReplicaSets`, writes `deploymentAnnotations` (metadata) when present, then the
 * status, and records the events. If creating the ReplicaSet fails with AlreadyExists, the
 * name is taken by a ReplicaSet it did not pass in: write `status.collisionCount + 1` and
 * reconcile again (the next hash differs). A Deployment should be reconciled again when its
 * ReplicaSets or their pods change, and after `requeueAfterMs`.
 */
import { type KubeObject } from '../../api/types';
import { labelSelectorFromObject, type LabelSelector } from '../../selectors';
import {
  annotationsOf,
  claimObjects,
  controllerRefOf,
  deepClone,
  isBeingDeleted,
  nameOf,
  namespaceOf,
  num,
  obj,
  uidOf,
  type JsonObject,
} from '../util';
import { deepEqual } from '../../resources/util';
import {
  REVISION_ANNOTATION,
  type DeploymentStatus,
  type ReplicaSetUpdate,
  type DeploymentReconcileResult,
  equalIgnoreHash,
  Ctx,
  stateOf,
  byCreation,
} from './util';
import {
  syncExistingNewRS,
  createNewRS,
  isScalingEvent,
  scale,
  cleanup,
  calculateStatus,
  checkPausedConditions,
} from './sync';
import { rolloutRolling } from './rolling';
import { rolloutRecreate } from './recreate';
import { deploymentComplete, rolloutStatus, stuckRequeue, availabilityRequeue } from './progress';
// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

function selectorOf(v: unknown): LabelSelector | undefined {
  if (v === undefined || v === null || typeof v !== 'object') return undefined;
  try {
    return labelSelectorFromObject(v as never);
  } catch {
    return undefined;
  }
}

/**
 * Decides the next step of a Deployment. `replicaSets` should be the ReplicaSets in its
 * namespace that it owns or whose labels match its selector (others are ignored; orphans
 * are adopted), `pods` the pods those ReplicaSets control. Nothing is mutated; the same
 * inputs and `now` always give the same result.
 */
export function reconcileDeployment(
  deploy: KubeObject,
  replicaSets: readonly KubeObject[],
  pods: readonly KubeObject[],
  now: Date,
): DeploymentReconcileResult {
  const ctx = new Ctx(deploy, now);
  const result: DeploymentReconcileResult = {
    scaleReplicaSets: [],
    deleteReplicaSets: [],
    adoptReplicaSets: [],
    releaseReplicaSets: [],
    status: undefined as unknown as DeploymentStatus,
    events: ctx.events,
  };

  const selector = selectorOf(obj(deploy.spec).selector);
  if (!selector || selector.length === 0) {
    if (selector) {
      ctx.event(
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
    }
    const status = calculateStatus(ctx, [], undefined);
    result.status = status;
    return result;
  }

  const claim = claimObjects(deploy, selector, replicaSets);
  result.adoptReplicaSets = claim.adopt;
  result.releaseReplicaSets = claim.release;
  const podsByOwner = new Map<string, KubeObject[]>();
  for (const p of pods) {
    const ref = controllerRefOf(p);
    if (!ref || namespaceOf(p) !== namespaceOf(deploy)) continue;
    const list = podsByOwner.get(ref.uid) ?? [];
    list.push(p);
    podsByOwner.set(ref.uid, list);
  }
  const states = claim.owned.map((rs) =>
    stateOf(rs, podsByOwner.get(uidOf(rs)) ?? [], ctx.spec.minReadySeconds, now),
  );
  const template = obj(deploy.spec).template;
  let newRS = [...states]
    .sort(byCreation)
    .find((s) => equalIgnoreHash(obj(s.rs.spec).template, template));
  const olds = states.filter((s) => s !== newRS);
  const taken = new Set(replicaSets.map(nameOf));
  const statusReplicas =
    num(obj(deploy.status).replicas) ?? states.reduce((n, s) => n + s.activePods.length, 0);

  let status: DeploymentStatus;
  let rollout = false;
  if (isBeingDeleted(deploy)) {
    status = calculateStatus(ctx, states, newRS);
  } else {
    checkPausedConditions(ctx);
    if (newRS) syncExistingNewRS(ctx, newRS, olds);
    if (ctx.spec.paused || isScalingEvent(ctx, newRS, olds)) {
      scale(ctx, newRS, olds, statusReplicas);
      if (ctx.spec.paused) result.deleteReplicaSets = cleanup(ctx, olds);
      status = calculateStatus(ctx, [...olds, newRS], newRS);
    } else if (ctx.spec.rolling) {
      newRS ??= createNewRS(ctx, olds, taken);
      rolloutRolling(ctx, newRS, olds);
      status = rolloutStatus(ctx, [...olds, newRS], newRS);
      rollout = true;
    } else {
      newRS = rolloutRecreate(ctx, newRS, olds, taken);
      status = rolloutStatus(ctx, [...olds, newRS], newRS);
      rollout = true;
    }
    const changed =
      olds.some((s) => s.replicas !== s.origReplicas) ||
      (newRS && !newRS.created && newRS.replicas !== newRS.origReplicas);
    if (rollout && !changed && deploymentComplete(ctx, status)) {
      result.deleteReplicaSets = cleanup(ctx, olds);
    }
  }
  result.status = status;

  for (const s of states) {
    const update: ReplicaSetUpdate = { rs: s.rs, replicas: s.replicas };
    let changed = s.replicas !== s.origReplicas;
    if (!deepEqual(s.annotations, s.origAnnotations)) {
      update.annotations = s.annotations;
      changed = true;
    }
    if (s.minReadySeconds !== s.origMinReadySeconds) {
      update.minReadySeconds = s.minReadySeconds;
      changed = true;
    }
    if (changed) result.scaleReplicaSets.push(update);
  }
  if (ctx.createState) {
    const s = ctx.createState;
    const rs = deepClone(s.rs);
    (rs.spec as JsonObject).replicas = s.replicas;
    rs.metadata.annotations = { ...s.annotations };
    result.createReplicaSet = rs;
  }
  if (ctx.revision !== undefined) {
    const annotations = annotationsOf(deploy);
    if (annotations[REVISION_ANNOTATION] !== ctx.revision) {
      result.deploymentAnnotations = { ...annotations, [REVISION_ANNOTATION]: ctx.revision };
    }
  }

  const waits = [
    rollout ? stuckRequeue(ctx, status) : undefined,
    availabilityRequeue(ctx, newRS ? [...olds, newRS] : olds),
  ].filter((w): w is number => w !== undefined);
  if (waits.length > 0) result.requeueAfterMs = Math.min(...waits);
  return result;
}

/** The ReplicaSet with an update applied (a copy): what the worker writes. */
export function applyReplicaSetUpdate(update: ReplicaSetUpdate): KubeObject {
  const rs = deepClone(update.rs);
  const spec = obj(rs.spec);
  spec.replicas = update.replicas;
  if (update.minReadySeconds !== undefined) spec.minReadySeconds = update.minReadySeconds;
  rs.spec = spec;
  if (update.annotations) rs.metadata = { ...rs.metadata, annotations: { ...update.annotations } };
  return rs;
}
