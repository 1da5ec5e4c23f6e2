/** The Deployment controller's rolling.go: the RollingUpdate strategy. */
import {
  type RsState,
  Ctx,
  countedAvailable,
  sumReplicas,
  activeStates,
  byCreation,
  scaleAndRecord,
  newRSNewReplicas,
} from './util';
// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/** rolloutRolling: scale up if we can, else scale down if we can. */
export function rolloutRolling(ctx: Ctx, newRS: RsState, olds: RsState[]): void {
  const all = [...olds, newRS];
  if (reconcileNewReplicaSet(ctx, all, newRS)) return;
  reconcileOldReplicaSets(ctx, all, activeStates(olds), newRS);
}

function reconcileNewReplicaSet(ctx: Ctx, all: RsState[], newRS: RsState): boolean {
  const desired = ctx.spec.replicas;
  if (newRS.replicas === desired) return false;
  if (newRS.replicas > desired) return scaleAndRecord(ctx, newRS, desired);
  return scaleAndRecord(ctx, newRS, newRSNewReplicas(ctx, all, newRS));
}

function reconcileOldReplicaSets(
  ctx: Ctx,
  all: RsState[],
  activeOlds: RsState[],
  newRS: RsState,
): boolean {
  if (sumReplicas(activeOlds) === 0) return false;
  const allPodsCount = sumReplicas(all);
  const minAvailable = ctx.spec.replicas - ctx.spec.maxUnavailable;
  const newRSUnavailable = newRS.replicas - countedAvailable(newRS);
  const maxScaledDown = allPodsCount - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return false;
  const olds = [...activeOlds].sort(byCreation);
  // Unhealthy replicas first: removing them does not reduce availability.
  let cleaned = 0;
  for (const s of olds) {
    if (cleaned >= maxScaledDown) break;
    if (s.replicas === 0) continue;
    const unhealthy = s.replicas - countedAvailable(s);
    if (unhealthy <= 0) continue;
    const count = Math.min(maxScaledDown - cleaned, unhealthy);
    scaleAndRecord(ctx, s, s.replicas - count);
    cleaned += count;
  }
  // Then as far as availability allows.
  let available = 0;
  for (const s of all) available += countedAvailable(s);
  let scaledDown = 0;
  if (available > minAvailable) {
    const total = available - minAvailable;
    for (const s of olds) {
      if (scaledDown >= total) break;
      if (s.replicas === 0) continue;
      const count = Math.min(s.replicas, total - scaledDown);
      scaleAndRecord(ctx, s, s.replicas - count);
      scaledDown += count;
    }
  }
  return cleaned + scaledDown > 0;
}

/** rolloutRecreate: old to zero, wait for their pods to go, then the new one up. */
