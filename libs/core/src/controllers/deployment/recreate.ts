/** The Deployment controller's recreate.go: the Recreate strategy. */
import { isPodTerminal, num, obj } from '../util';
import { type RsState, Ctx, activeStates, scaleAndRecord } from './util';
import { createNewRS } from './sync';
export function rolloutRecreate(
  ctx: Ctx,
  newRS: RsState | undefined,
  olds: RsState[],
  taken: ReadonlySet<string>,
): RsState | undefined {
  let scaledDown = false;
  for (const s of activeStates(olds)) if (scaleAndRecord(ctx, s, 0)) scaledDown = true;
  if (scaledDown) return newRS;
  if (oldPodsRunning(olds)) return newRS;
  const target = newRS ?? createNewRS(ctx, olds, taken);
  scaleAndRecord(ctx, target, ctx.spec.replicas);
  return target;
}

function oldPodsRunning(olds: readonly RsState[]): boolean {
  for (const s of olds) {
    if ((num(obj(s.rs.status).replicas) ?? 0) > 0) return true;
    if (s.allPods.some((p) => !isPodTerminal(p))) return true;
  }
  return false;
}

/** FindActiveOrLatest: the only active ReplicaSet, else the newest when none is active. */
