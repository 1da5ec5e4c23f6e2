/**
 * The Deployment controller's progress.go: the Progressing condition (progressing, complete,
 * ProgressDeadlineExceeded), ReplicaFailure, and when to reconcile again.
 */
import { conditionsOf, metaOf, num, obj, podAvailableAt, type Condition } from '../util';
import {
  DeploymentReasons,
  type DeploymentStatus,
  type RsState,
  Ctx,
  setCondition,
  removeCondition,
} from './util';
import { calculateStatus } from './sync';
export function deploymentComplete(ctx: Ctx, s: DeploymentStatus): boolean {
  const r = ctx.spec.replicas;
  const generation = num(metaOf(ctx.deploy).generation) ?? 0;
  return (
    s.updatedReplicas === r &&
    s.replicas === r &&
    s.availableReplicas === r &&
    (s.observedGeneration ?? 0) >= generation
  );
}

function deploymentProgressing(ctx: Ctx, s: DeploymentStatus): boolean {
  const old = obj(ctx.deploy.status);
  const oldUpdated = num(old.updatedReplicas) ?? 0;
  const oldReplicas = num(old.replicas) ?? 0;
  const oldOld = oldReplicas - oldUpdated;
  const newOld = s.replicas - s.updatedReplicas;
  return (
    s.updatedReplicas > oldUpdated ||
    newOld < oldOld ||
    s.readyReplicas > (num(old.readyReplicas) ?? 0) ||
    s.availableReplicas > (num(old.availableReplicas) ?? 0)
  );
}

function progressDeadlineAt(ctx: Ctx, c: Condition | undefined): number | undefined {
  if (!c || ctx.spec.progressDeadlineSeconds === undefined) return undefined;
  const from = c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : NaN;
  if (Number.isNaN(from)) return undefined;
  return from + ctx.spec.progressDeadlineSeconds * 1000;
}

function timedOut(ctx: Ctx, s: DeploymentStatus): boolean {
  const c = s.conditions.find((x) => x.type === 'Progressing');
  if (!c || !ctx.hasProgressDeadline) return false;
  if (c.reason === DeploymentReasons.NewReplicaSetAvailable) return false;
  if (c.reason === DeploymentReasons.ProgressDeadlineExceeded) return true;
  const deadline = progressDeadlineAt(ctx, c);
  return deadline !== undefined && deadline < ctx.now.getTime();
}

/** syncRolloutStatus: status plus the Progressing condition and ReplicaFailure. */
export function rolloutStatus(
  ctx: Ctx,
  all: readonly (RsState | undefined)[],
  newRS: RsState | undefined,
): DeploymentStatus {
  const status = calculateStatus(ctx, all, newRS);
  if (!ctx.hasProgressDeadline) removeCondition(status.conditions, 'Progressing');
  const current = ctx.condition('Progressing');
  const complete =
    status.replicas === status.updatedReplicas &&
    current?.reason === DeploymentReasons.NewReplicaSetAvailable;
  const subject = newRS
    ? `ReplicaSet ${JSON.stringify(newRS.name)}`
    : `Deployment ${JSON.stringify(ctx.name)}`;
  if (ctx.hasProgressDeadline && !complete) {
    if (deploymentComplete(ctx, status)) {
      setCondition(
        status.conditions,
        ctx.newCondition(
          'Progressing',
          'True',
          DeploymentReasons.NewReplicaSetAvailable,
          `${subject} has successfully progressed.`,
        ),
      );
    } else if (deploymentProgressing(ctx, status)) {
      const c = ctx.newCondition(
        'Progressing',
        'True',
        DeploymentReasons.ReplicaSetUpdated,
        `${subject} is progressing.`,
      );
      // Progress refreshes lastUpdateTime even when the reason stays the same.
      if (current) {
        if (current.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status.conditions, 'Progressing');
      }
      setCondition(status.conditions, c);
    } else if (timedOut(ctx, status)) {
      setCondition(
        status.conditions,
        ctx.newCondition(
          'Progressing',
          'False',
          DeploymentReasons.ProgressDeadlineExceeded,
          `${subject} has timed out progressing.`,
        ),
      );
    }
  }
  const failure = replicaFailure(all, newRS);
  if (failure) setCondition(status.conditions, failure);
  else removeCondition(status.conditions, 'ReplicaFailure');
  return status;
}

function replicaFailure(
  all: readonly (RsState | undefined)[],
  newRS: RsState | undefined,
): Condition | undefined {
  for (const s of newRS ? [newRS, ...all] : all) {
    if (!s) continue;
    const c = conditionsOf(s.rs.status).find((x) => x.type === 'ReplicaFailure');
    if (c) {
      return {
        type: 'ReplicaFailure',
        status: c.status,
        lastUpdateTime: c.lastTransitionTime,
        lastTransitionTime: c.lastTransitionTime,
        reason: c.reason,
        message: c.message,
      };
    }
  }
  return undefined;
}

/** requeueStuckDeployment: when the progress deadline passes without progress. */
export function stuckRequeue(ctx: Ctx, status: DeploymentStatus): number | undefined {
  const c = status.conditions.find((x) => x.type === 'Progressing');
  if (!c || !ctx.hasProgressDeadline || deploymentComplete(ctx, status)) return undefined;
  if (c.reason === DeploymentReasons.ProgressDeadlineExceeded) return undefined;
  if (c.reason === DeploymentReasons.NewReplicaSetAvailable) return undefined;
  const deadline = progressDeadlineAt(ctx, c);
  if (deadline === undefined) return undefined;
  return Math.max(0, deadline - ctx.now.getTime()) + 1;
}

export function availabilityRequeue(
  ctx: Ctx,
  states: readonly (RsState | undefined)[],
): number | undefined {
  const minReady = ctx.spec.minReadySeconds;
  if (minReady <= 0) return undefined;
  const now = ctx.now.getTime();
  let next: number | undefined;
  for (const s of states) {
    for (const p of s?.activePods ?? []) {
      const at = podAvailableAt(p, minReady);
      if (at === undefined || at === -Infinity || at < now) continue;
      const wait = at - now + 1;
      if (next === undefined || wait < next) next = wait;
    }
  }
  return next;
}
