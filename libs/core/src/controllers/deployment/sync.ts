/**
 * The Deployment controller's sync.go: finding or creating the new ReplicaSet and its
 * revision, scaling (proportionally while paused or when the replica count changes
 * mid-rollout), deleting old ReplicaSets beyond `revisionHistoryLimit`, and the status.
 */
import { type KubeObject } from '../../api/types';
import {
  annotationsOf,
  deepClone,
  isBeingDeleted,
  metaOf,
  namespaceOf,
  newControllerRef,
  num,
  obj,
  stringMap,
} from '../util';
import {
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  ANNOTATIONS_TO_SKIP,
  MAX_REVISION_HISTORY_CHARS,
  DeploymentReasons,
  type DeploymentStatus,
  podTemplateHash,
  revisionOf,
  type RsState,
  Ctx,
  setCondition,
  stateOf,
  sumReplicas,
  activeStates,
  byCreation,
  setReplicasAnnotations,
  scaleReplicaSet,
  scaleAndRecord,
  newRSNewReplicas,
} from './util';
// ---------------------------------------------------------------------------------------------
// The new ReplicaSet: find, sync annotations, create
// ---------------------------------------------------------------------------------------------

/** SetNewReplicaSetAnnotations for an existing or about-to-be-created new ReplicaSet. */
export function setNewReplicaSetAnnotations(
  ctx: Ctx,
  s: RsState,
  newRevision: number,
  exists: boolean,
): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(annotationsOf(ctx.deploy))) {
    if (ANNOTATIONS_TO_SKIP.has(k) || s.annotations[k] === v) continue;
    s.annotations[k] = v;
    changed = true;
  }
  const oldRevision = s.annotations[REVISION_ANNOTATION];
  const hadRevision = oldRevision !== undefined;
  let oldRevisionInt = 0;
  if (hadRevision && oldRevision !== '') {
    if (!/^[0-9]+$/.test(oldRevision)) return changed;
    oldRevisionInt = Number(oldRevision);
  }
  if (oldRevisionInt < newRevision) {
    s.annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    // The old ReplicaSet comes back (a rollback): remember the revisions it served.
    if (hadRevision) {
      const history = s.annotations[REVISION_HISTORY_ANNOTATION] ?? '';
      let revisions = history === '' ? [] : history.split(',');
      revisions.push(oldRevision!);
      while (revisions.join(',').length > MAX_REVISION_HISTORY_CHARS && revisions.length > 1) {
        revisions = revisions.slice(1);
      }
      s.annotations[REVISION_HISTORY_ANNOTATION] = revisions.join(',');
    }
  }
  if (!exists && setReplicasAnnotations(ctx, s)) changed = true;
  return changed;
}

export function maxRevision(states: readonly RsState[]): number {
  let max = 0;
  for (const s of states) max = Math.max(max, revisionOf(s.rs));
  return max;
}

/** The existing new ReplicaSet: annotations and minReadySeconds synced, revision noted. */
export function syncExistingNewRS(ctx: Ctx, newRS: RsState, olds: readonly RsState[]): void {
  const newRevision = maxRevision(olds) + 1;
  setNewReplicaSetAnnotations(ctx, newRS, newRevision, true);
  newRS.minReadySeconds = ctx.spec.minReadySeconds;
  ctx.revision = newRS.annotations[REVISION_ANNOTATION];
  if (ctx.hasProgressDeadline && !ctx.condition('Progressing')) {
    setCondition(
      ctx.conditions,
      ctx.newCondition(
        'Progressing',
        'True',
        DeploymentReasons.FoundNewReplicaSet,
        `Found new replica set ${JSON.stringify(newRS.name)}`,
      ),
    );
  }
}

/** Builds the new ReplicaSet (getNewReplicaSet with createIfNotExisted). */
export function createNewRS(
  ctx: Ctx,
  olds: readonly RsState[],
  takenNames: ReadonlySet<string>,
): RsState {
  const deploy = ctx.deploy;
  const spec = obj(deploy.spec);
  const template = obj(spec.template);
  let collisionCount = ctx.collisionCount;
  let hash = podTemplateHash(template, collisionCount);
  // A name taken by a ReplicaSet with another template is a hash collision: count it and
  // hash again (bounded; the API's AlreadyExists is the backstop for names not seen here).
  for (let i = 0; i < 1000 && takenNames.has(`${ctx.name}-${hash}`); i++) {
    collisionCount = (collisionCount ?? 0) + 1;
    hash = podTemplateHash(template, collisionCount);
  }
  ctx.collisionCount = collisionCount;
  const name = `${ctx.name}-${hash}`;
  const tmeta = obj(template.metadata);
  const labels = { ...stringMap(tmeta.labels), [POD_TEMPLATE_HASH_LABEL]: hash };
  const newTemplate = deepClone(template);
  newTemplate.metadata = { ...deepClone(tmeta), labels };
  const selector = deepClone(obj(spec.selector));
  selector.matchLabels = { ...stringMap(selector.matchLabels), [POD_TEMPLATE_HASH_LABEL]: hash };
  const rs: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: namespaceOf(deploy),
      labels: { ...labels },
      ownerReferences: [newControllerRef(deploy)],
    },
    spec: {
      replicas: 0,
      minReadySeconds: ctx.spec.minReadySeconds,
      selector,
      template: newTemplate,
    },
  };
  const state = stateOf(rs, [], ctx.spec.minReadySeconds, ctx.now);
  state.created = true;
  state.replicas = 0;
  state.replicas = newRSNewReplicas(ctx, [...olds, state], state);
  const newRevision = maxRevision(olds) + 1;
  setNewReplicaSetAnnotations(ctx, state, newRevision, false);
  ctx.revision = String(newRevision);
  if (state.replicas > 0) {
    ctx.event(
      'Normal',
      'ScalingReplicaSet',
      `Scaled up replica set ${name} from 0 to ${state.replicas}`,
    );
  }
  if (ctx.hasProgressDeadline) {
    setCondition(
      ctx.conditions,
      ctx.newCondition(
        'Progressing',
        'True',
        DeploymentReasons.NewReplicaSetCreated,
        `Created new replica set ${JSON.stringify(name)}`,
      ),
    );
  }
  ctx.createState = state;
  return state;
}

function findActiveOrLatest(
  newRS: RsState | undefined,
  olds: readonly RsState[],
): RsState | undefined {
  if (!newRS && olds.length === 0) return undefined;
  const sortedOlds = [...olds].sort((a, b) => byCreation(b, a));
  const active = activeStates([...sortedOlds, newRS]);
  if (active.length === 0) return newRS ?? sortedOlds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

function isSaturated(ctx: Ctx, newRS: RsState | undefined): boolean {
  if (!newRS) return false;
  const desired = newRS.annotations[DESIRED_REPLICAS_ANNOTATION];
  if (desired === undefined || !/^[0-9]+$/.test(desired)) return false;
  const replicas = ctx.spec.replicas;
  return (
    newRS.replicas === replicas && Number(desired) === replicas && newRS.available === replicas
  );
}

/** isScalingEvent: an active ReplicaSet was sized for another replica count. */
export function isScalingEvent(
  ctx: Ctx,
  newRS: RsState | undefined,
  olds: readonly RsState[],
): boolean {
  for (const s of activeStates([...olds, newRS])) {
    const desired = s.annotations[DESIRED_REPLICAS_ANNOTATION];
    if (desired === undefined || !/^-?[0-9]+$/.test(desired)) continue;
    if (Number(desired) !== ctx.spec.replicas) return true;
  }
  return false;
}

/** Go's math.Round: half away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function replicaSetFraction(ctx: Ctx, s: RsState, statusReplicas: number): number {
  if (ctx.spec.replicas === 0) return -s.replicas;
  const deploymentMax = ctx.spec.replicas + ctx.spec.maxSurge;
  const annotated = s.annotations[MAX_REPLICAS_ANNOTATION];
  let before = annotated !== undefined && /^[0-9]+$/.test(annotated) ? Number(annotated) : 0;
  if (before === 0) {
    before = statusReplicas;
    if (before === 0) return 0;
  }
  return roundHalfAway((s.replicas * deploymentMax) / before) - s.replicas;
}

function proportion(
  ctx: Ctx,
  s: RsState,
  toAdd: number,
  added: number,
  statusReplicas: number,
): number {
  if (s.replicas === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(ctx, s, statusReplicas);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** scale(): the single active ReplicaSet to full size, or proportionally across several. */
export function scale(
  ctx: Ctx,
  newRS: RsState | undefined,
  olds: RsState[],
  statusReplicas: number,
): void {
  const single = findActiveOrLatest(newRS, olds);
  if (single) {
    if (single.replicas !== ctx.spec.replicas) scaleAndRecord(ctx, single, ctx.spec.replicas);
    return;
  }
  if (isSaturated(ctx, newRS)) {
    for (const s of activeStates(olds)) scaleAndRecord(ctx, s, 0);
    return;
  }
  if (!ctx.spec.rolling) return;
  const all = activeStates([...olds, newRS]);
  const allowedSize = ctx.spec.replicas > 0 ? ctx.spec.replicas + ctx.spec.maxSurge : 0;
  const toAdd = allowedSize - sumReplicas(all);
  let operation: 'up' | 'down' | undefined;
  if (toAdd > 0) {
    // Larger first; among equals, newer first.
    all.sort((a, b) => b.replicas - a.replicas || byCreation(b, a));
    operation = 'up';
  } else if (toAdd < 0) {
    // Larger first; among equals, older first.
    all.sort((a, b) => b.replicas - a.replicas || byCreation(a, b));
    operation = 'down';
  }
  let added = 0;
  const sizes = new Map<RsState, number>();
  for (const s of all) {
    if (toAdd !== 0) {
      const p = proportion(ctx, s, toAdd, added, statusReplicas);
      sizes.set(s, s.replicas + p);
      added += p;
    } else {
      sizes.set(s, s.replicas);
    }
  }
  all.forEach((s, i) => {
    let size = sizes.get(s)!;
    if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
    scaleReplicaSet(ctx, s, size, operation);
  });
}

/** cleanupDeployment: delete the oldest unused ReplicaSets beyond revisionHistoryLimit. */
export function cleanup(ctx: Ctx, olds: readonly RsState[]): KubeObject[] {
  const limit = ctx.spec.revisionHistoryLimit;
  if (limit === undefined) return [];
  const cleanable = olds.filter((s) => !isBeingDeleted(s.rs));
  const diff = cleanable.length - limit;
  if (diff <= 0) return [];
  cleanable.sort((a, b) => revisionOf(a.rs) - revisionOf(b.rs) || byCreation(a, b));
  const out: KubeObject[] = [];
  for (const s of cleanable.slice(0, diff)) {
    const status = obj(s.rs.status);
    const generation = num(metaOf(s.rs).generation) ?? 0;
    const observed = num(status.observedGeneration) ?? 0;
    if ((num(status.replicas) ?? 0) !== 0 || s.replicas !== 0 || s.allPods.length > 0) continue;
    if (generation > observed) continue;
    out.push(s.rs);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

export function calculateStatus(
  ctx: Ctx,
  all: readonly (RsState | undefined)[],
  newRS: RsState | undefined,
): DeploymentStatus {
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let total = 0;
  for (const s of all) {
    if (!s) continue;
    replicas += s.activePods.length;
    ready += s.ready;
    available += s.available;
    total += s.created ? s.replicas : s.origReplicas;
  }
  const conditions = ctx.conditions.map((c) => ({ ...c }));
  const minAvailable = ctx.spec.replicas - ctx.spec.maxUnavailable;
  setCondition(
    conditions,
    available >= minAvailable
      ? ctx.newCondition(
          'Available',
          'True',
          DeploymentReasons.MinimumReplicasAvailable,
          'Deployment has minimum availability.',
        )
      : ctx.newCondition(
          'Available',
          'False',
          DeploymentReasons.MinimumReplicasUnavailable,
          'Deployment does not have minimum availability.',
        ),
  );
  const status: DeploymentStatus = {
    replicas,
    updatedReplicas: newRS ? newRS.activePods.length : 0,
    readyReplicas: ready,
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    conditions,
  };
  const generation = num(metaOf(ctx.deploy).generation);
  if (generation !== undefined) status.observedGeneration = generation;
  if (ctx.collisionCount !== undefined) status.collisionCount = ctx.collisionCount;
  return status;
}

/** checkPausedConditions: Progressing Unknown DeploymentPaused / DeploymentResumed. */
export function checkPausedConditions(ctx: Ctx): void {
  if (!ctx.hasProgressDeadline) return;
  const c = ctx.condition('Progressing');
  if (c?.reason === DeploymentReasons.ProgressDeadlineExceeded) return;
  const pausedCondExists = c?.reason === DeploymentReasons.DeploymentPaused;
  if (ctx.spec.paused && !pausedCondExists) {
    setCondition(
      ctx.conditions,
      ctx.newCondition(
        'Progressing',
        'Unknown',
        DeploymentReasons.DeploymentPaused,
        'Deployment is paused',
      ),
    );
  } else if (!ctx.spec.paused && pausedCondExists) {
    setCondition(
      ctx.conditions,
      ctx.newCondition(
        'Progressing',
        'Unknown',
        DeploymentReasons.DeploymentResumed,
        'Deployment is resumed',
      ),
    );
  }
}
