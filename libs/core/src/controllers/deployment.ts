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
import { formatTimestamp, type KubeObject } from '../api/types';
import { labelSelectorFromObject, type LabelSelector } from '../selectors';
import { COMPONENTS, eventAbout, type EventSpec } from './events';
import {
  annotationsOf,
  canonicalJson,
  claimObjects,
  compareByCreation,
  conditionsOf,
  controllerRefOf,
  deepClone,
  fnv32a,
  isBeingDeleted,
  isPodActive,
  isPodAvailable,
  isPodReady,
  isPodTerminal,
  metaOf,
  nameOf,
  namespaceOf,
  newControllerRef,
  num,
  obj,
  podAvailableAt,
  safeEncodeString,
  scaledValue,
  str,
  stringMap,
  uidOf,
  type Condition,
  type JsonObject,
} from './util';
import { deepEqual } from '../resources/util';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Deployment annotations that are never copied to or from ReplicaSets. */
const ANNOTATIONS_TO_SKIP = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

/** Kubernetes bounds the revision-history annotation to this many characters. */
const MAX_REVISION_HISTORY_CHARS = 2000;

/** Condition reasons (deployment_util.go). */
export const DeploymentReasons = {
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  DeploymentPaused: 'DeploymentPaused',
  DeploymentResumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
  conditions: Condition[];
  collisionCount?: number;
}

/** A change to an existing ReplicaSet: its new `spec.replicas`, and maybe more. */
export interface ReplicaSetUpdate {
  /** The ReplicaSet as passed in (write guarded by its resourceVersion). */
  rs: KubeObject;
  replicas: number;
  /** The complete new `metadata.annotations`, when they change. */
  annotations?: Record<string, string>;
  /** The new `spec.minReadySeconds`, when it changes. */
  minReadySeconds?: number;
}

export interface DeploymentReconcileResult {
  /** The new ReplicaSet `<deployment>-<hash>` to create. */
  createReplicaSet?: KubeObject;
  scaleReplicaSets: ReplicaSetUpdate[];
  /** Old ReplicaSets with no replicas beyond `revisionHistoryLimit`. */
  deleteReplicaSets: KubeObject[];
  /** Orphan ReplicaSets matching the selector: copies with the controller reference added. */
  adoptReplicaSets: KubeObject[];
  /** Owned ReplicaSets that no longer match: copies without the Deployment's reference. */
  releaseReplicaSets: KubeObject[];
  /** The Deployment's complete new `metadata.annotations` (revision), when they change. */
  deploymentAnnotations?: Record<string, string>;
  status: DeploymentStatus;
  events: EventSpec[];
  /** Reconcile again after this long (progress deadline, minReadySeconds). */
  requeueAfterMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Hashing, templates, revisions
// ---------------------------------------------------------------------------------------------

/**
 * A short, stable hash of a pod template, like Kubernetes' ComputeHash: 32-bit FNV-1a of
 * the template's canonical JSON, then (when given) the collision count as 8 little-endian
 * bytes, printed in decimal and mapped onto consonants and digits (`5d8f7c9b6`).
 */
export function podTemplateHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(canonicalJson(template ?? {}));
  if (collisionCount !== undefined) {
    const bytes = new Uint8Array(8);
    const c = collisionCount >>> 0;
    bytes[0] = c & 0xff;
    bytes[1] = (c >>> 8) & 0xff;
    bytes[2] = (c >>> 16) & 0xff;
    bytes[3] = (c >>> 24) & 0xff;
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}

function withoutHashLabel(template: unknown): JsonObject {
  const t = deepClone(obj(template));
  const meta = obj(t.metadata);
  const labels = { ...stringMap(meta.labels) };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  t.metadata = { ...meta, labels };
  return t;
}

/** Templates equal ignoring the `pod-template-hash` label (deploymentutil.EqualIgnoreHash). */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  const ta = withoutHashLabel(a);
  const tb = withoutHashLabel(b);
  const la = obj(ta.metadata).labels as Record<string, string>;
  const lb = obj(tb.metadata).labels as Record<string, string>;
  if (Object.keys(la).length === 0) delete (ta.metadata as JsonObject).labels;
  if (Object.keys(lb).length === 0) delete (tb.metadata as JsonObject).labels;
  if (Object.keys(obj(ta.metadata)).length === 0) delete ta.metadata;
  if (Object.keys(obj(tb.metadata)).length === 0) delete tb.metadata;
  return deepEqual(ta, tb);
}

/** The ReplicaSet's `deployment.kubernetes.io/revision` (0 when missing or invalid). */
export function revisionOf(rs: KubeObject): number {
  const v = annotationsOf(rs)[REVISION_ANNOTATION];
  if (v === undefined || !/^[0-9]+$/.test(v)) return 0;
  return Number(v);
}

// ---------------------------------------------------------------------------------------------
// Spec with defaults
// ---------------------------------------------------------------------------------------------

interface DeploySpec {
  replicas: number;
  rolling: boolean;
  maxSurge: number;
  maxUnavailable: number;
  minReadySeconds: number;
  revisionHistoryLimit: number | undefined;
  progressDeadlineSeconds: number | undefined;
  paused: boolean;
}

/**
 * Resolves maxSurge (rounded up) and maxUnavailable (rounded down) against `desired`, like
 * deploymentutil.ResolveFenceposts; when both come out 0, maxUnavailable is 1.
 */
export function resolveFenceposts(
  maxSurge: unknown,
  maxUnavailable: unknown,
  desired: number,
): { maxSurge: number; maxUnavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { maxSurge: surge, maxUnavailable: unavailable };
}

function deploySpec(deploy: KubeObject): DeploySpec {
  const spec = obj(deploy.spec);
  const replicas = Math.max(0, num(spec.replicas) ?? 1);
  const strategy = obj(spec.strategy);
  const rolling = str(strategy.type, 'RollingUpdate') !== 'Recreate';
  let maxSurge = 0;
  let maxUnavailable = 0;
  if (rolling) {
    const ru = obj(strategy.rollingUpdate);
    const f = resolveFenceposts(ru.maxSurge ?? '25%', ru.maxUnavailable ?? '25%', replicas);
    maxSurge = f.maxSurge;
    maxUnavailable = Math.min(f.maxUnavailable, replicas);
  }
  const limit = num(spec.revisionHistoryLimit);
  const deadline = num(spec.progressDeadlineSeconds);
  return {
    replicas,
    rolling,
    maxSurge,
    maxUnavailable,
    minReadySeconds: num(spec.minReadySeconds) ?? 0,
    revisionHistoryLimit:
      spec.revisionHistoryLimit === undefined ? 10 : limit === 2147483647 ? undefined : limit,
    progressDeadlineSeconds:
      spec.progressDeadlineSeconds === undefined
        ? 600
        : deadline === 2147483647
          ? undefined
          : deadline,
    paused: spec.paused === true,
  };
}

/** maxSurge of a Deployment as a number of pods (0 for Recreate). */
export function maxSurgeOf(deploy: KubeObject): number {
  return deploySpec(deploy).maxSurge;
}

/** maxUnavailable of a Deployment as a number of pods (0 for Recreate). */
export function maxUnavailableOf(deploy: KubeObject): number {
  return deploySpec(deploy).maxUnavailable;
}

// ---------------------------------------------------------------------------------------------
// Working state
// ---------------------------------------------------------------------------------------------

interface RsState {
  rs: KubeObject;
  name: string;
  uid: string;
  created: boolean;
  replicas: number;
  readonly origReplicas: number;
  annotations: Record<string, string>;
  readonly origAnnotations: Record<string, string>;
  minReadySeconds: number;
  readonly origMinReadySeconds: number;
  /** Active pods this ReplicaSet controls. */
  activePods: KubeObject[];
  /** Every pod it controls, including terminal and terminating ones. */
  allPods: KubeObject[];
  ready: number;
  available: number;
}

class Ctx {
  readonly spec: DeploySpec;
  readonly name: string;
  readonly conditions: Condition[];
  collisionCount: number | undefined;
  readonly events: EventSpec[] = [];
  readonly ts: string;
  revision: string | undefined;
  createState: RsState | undefined;

  constructor(
    readonly deploy: KubeObject,
    readonly now: Date,
  ) {
    this.spec = deploySpec(deploy);
    this.name = nameOf(deploy);
    const status = obj(deploy.status);
    this.conditions = conditionsOf(status);
    this.collisionCount = num(status.collisionCount);
    this.ts = formatTimestamp(now);
  }

  get hasProgressDeadline(): boolean {
    return this.spec.progressDeadlineSeconds !== undefined;
  }

  event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push(eventAbout(this.deploy, type, reason, message, COMPONENTS.deployment));
  }

  condition(type: string): Condition | undefined {
    return this.conditions.find((c) => c.type === type);
  }

  newCondition(
    type: string,
    status: Condition['status'],
    reason: string,
    message: string,
  ): Condition {
    return {
      type,
      status,
      lastUpdateTime: this.ts,
      lastTransitionTime: this.ts,
      reason,
      message,
    };
  }
}

/** SetDeploymentCondition: no-op for the same status and reason; keeps transition time. */
function setCondition(conditions: Condition[], c: Condition): void {
  const i = conditions.findIndex((x) => x.type === c.type);
  const current = i >= 0 ? conditions[i] : undefined;
  if (current && current.status === c.status && current.reason === c.reason) return;
  if (current && current.status === c.status) c.lastTransitionTime = current.lastTransitionTime;
  if (i >= 0) conditions.splice(i, 1);
  conditions.push(c);
}

function removeCondition(conditions: Condition[], type: string): void {
  const i = conditions.findIndex((x) => x.type === type);
  if (i >= 0) conditions.splice(i, 1);
}

function stateOf(rs: KubeObject, pods: KubeObject[], minReadySeconds: number, now: Date): RsState {
  const spec = obj(rs.spec);
  const replicas = Math.max(0, num(spec.replicas) ?? 1);
  const annotations = annotationsOf(rs);
  const active = pods.filter(isPodActive);
  let ready = 0;
  let available = 0;
  for (const p of active) {
    if (isPodReady(p)) ready++;
    if (isPodAvailable(p, minReadySeconds, now)) available++;
  }
  const mrs = num(spec.minReadySeconds) ?? 0;
  return {
    rs,
    name: nameOf(rs),
    uid: uidOf(rs),
    created: false,
    replicas,
    origReplicas: replicas,
    annotations: { ...annotations },
    origAnnotations: annotations,
    minReadySeconds: mrs,
    origMinReadySeconds: mrs,
    activePods: active,
    allPods: pods,
    ready,
    available,
  };
}

/** Available pods that count toward the rollout: never more than the ReplicaSet's size. */
function countedAvailable(s: RsState): number {
  return Math.min(s.replicas, s.available);
}

function sumReplicas(states: readonly (RsState | undefined)[]): number {
  let n = 0;
  for (const s of states) if (s) n += s.replicas;
  return n;
}

function activeStates(states: readonly (RsState | undefined)[]): RsState[] {
  return states.filter((s): s is RsState => s !== undefined && s.replicas > 0);
}

function byCreation(a: RsState, b: RsState): number {
  return compareByCreation(a.rs, b.rs);
}

// ---------------------------------------------------------------------------------------------
// Scaling
// ---------------------------------------------------------------------------------------------

/** SetReplicasAnnotations; true when they changed. */
function setReplicasAnnotations(ctx: Ctx, s: RsState): boolean {
  const desired = String(ctx.spec.replicas);
  const max = String(ctx.spec.replicas + ctx.spec.maxSurge);
  let changed = false;
  if (s.annotations[DESIRED_REPLICAS_ANNOTATION] !== desired) {
    s.annotations[DESIRED_REPLICAS_ANNOTATION] = desired;
    changed = true;
  }
  if (s.annotations[MAX_REPLICAS_ANNOTATION] !== max) {
    s.annotations[MAX_REPLICAS_ANNOTATION] = max;
    changed = true;
  }
  return changed;
}

/** scaleReplicaSet: sets the size and the replicas annotations; records the event. */
function scaleReplicaSet(
  ctx: Ctx,
  s: RsState,
  newScale: number,
  operation?: 'up' | 'down',
): boolean {
  const sizeNeedsUpdate = s.replicas !== newScale;
  setReplicasAnnotations(ctx, s);
  if (!sizeNeedsUpdate) return false;
  const op = operation ?? (newScale > s.replicas ? 'up' : 'down');
  ctx.event(
    'Normal',
    'ScalingReplicaSet',
    `Scaled ${op} replica set ${s.name} from ${s.replicas} to ${newScale}`,
  );
  s.replicas = newScale;
  return true;
}

/** scaleReplicaSetAndRecordEvent: nothing at all when the size is already right. */
function scaleAndRecord(ctx: Ctx, s: RsState, newScale: number): boolean {
  if (s.replicas === newScale) return false;
  return scaleReplicaSet(ctx, s, newScale);
}

/** NewRSNewReplicas: how far the new ReplicaSet may grow now. */
function newRSNewReplicas(
  ctx: Ctx,
  all: readonly (RsState | undefined)[],
  newRS: RsState | undefined,
): number {
  const current = newRS?.replicas ?? 0;
  if (!ctx.spec.rolling) return ctx.spec.replicas;
  const currentPodCount = sumReplicas(all);
  const maxTotalPods = ctx.spec.replicas + ctx.spec.maxSurge;
  if (currentPodCount >= maxTotalPods) return current;
  const scaleUpCount = Math.min(maxTotalPods - currentPodCount, ctx.spec.replicas - current);
  return current + Math.max(0, scaleUpCount);
}

// ---------------------------------------------------------------------------------------------
// The new ReplicaSet: find, sync annotations, create
// ---------------------------------------------------------------------------------------------

/** SetNewReplicaSetAnnotations for an existing or about-to-be-created new ReplicaSet. */
function setNewReplicaSetAnnotations(
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

function maxRevision(states: readonly RsState[]): number {
  let max = 0;
  for (const s of states) max = Math.max(max, revisionOf(s.rs));
  return max;
}

/** The existing new ReplicaSet: annotations and minReadySeconds synced, revision noted. */
function syncExistingNewRS(ctx: Ctx, newRS: RsState, olds: readonly RsState[]): void {
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
function createNewRS(ctx: Ctx, olds: readonly RsState[], takenNames: ReadonlySet<string>): RsState {
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

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/** rolloutRolling: scale up if we can, else scale down if we can. */
function rolloutRolling(ctx: Ctx, newRS: RsState, olds: RsState[]): void {
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
function rolloutRecreate(
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
function isScalingEvent(ctx: Ctx, newRS: RsState | undefined, olds: readonly RsState[]): boolean {
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
function scale(
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
function cleanup(ctx: Ctx, olds: readonly RsState[]): KubeObject[] {
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

function calculateStatus(
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

function deploymentComplete(ctx: Ctx, s: DeploymentStatus): boolean {
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
function rolloutStatus(
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
function stuckRequeue(ctx: Ctx, status: DeploymentStatus): number | undefined {
  const c = status.conditions.find((x) => x.type === 'Progressing');
  if (!c || !ctx.hasProgressDeadline || deploymentComplete(ctx, status)) return undefined;
  if (c.reason === DeploymentReasons.ProgressDeadlineExceeded) return undefined;
  if (c.reason === DeploymentReasons.NewReplicaSetAvailable) return undefined;
  const deadline = progressDeadlineAt(ctx, c);
  if (deadline === undefined) return undefined;
  return Math.max(0, deadline - ctx.now.getTime()) + 1;
}

function availabilityRequeue(
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

/** checkPausedConditions: Progressing Unknown DeploymentPaused / DeploymentResumed. */
function checkPausedConditions(ctx: Ctx): void {
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

// ---------------------------------------------------------------------------------------------
// Rollback (kubectl rollout undo)
// ---------------------------------------------------------------------------------------------

export type RollbackPlan =
  | { ok: true; deployment: KubeObject; revision: number; changed: boolean; message: string }
  | { ok: false; reason: 'Paused' | 'RevisionNotFound' | 'NoHistory'; message: string };

/**
 * What `kubectl rollout undo [--to-revision=N]` does: find the ReplicaSet of revision N
 * (default: the previous revision) among the Deployment's, and put its template (without
 * `pod-template-hash`) and annotations back into the Deployment. `changed` is false when
 * the template already matches (kubectl's "skipped rollback").
 */
export function planRollback(
  deploy: KubeObject,
  replicaSets: readonly KubeObject[],
  toRevision = 0,
): RollbackPlan {
  const name = nameOf(deploy);
  if (obj(deploy.spec).paused === true) {
    return {
      ok: false,
      reason: 'Paused',
      message:
        "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
    };
  }
  const uid = uidOf(deploy);
  const owned = replicaSets.filter((rs) => !uid || controllerRefOf(rs)?.uid === uid);
  let target: KubeObject | undefined;
  if (toRevision > 0) {
    target = owned.find((rs) => revisionOf(rs) === toRevision);
    if (!target) {
      return {
        ok: false,
        reason: 'RevisionNotFound',
        message: `unable to find specified revision ${toRevision} in history`,
      };
    }
  } else {
    let latest = -1;
    let previous = -1;
    let latestRS: KubeObject | undefined;
    for (const rs of owned) {
      const v = revisionOf(rs);
      if (latest < v) {
        previous = latest;
        target = latestRS;
        latest = v;
        latestRS = rs;
      } else if (previous < v) {
        previous = v;
        target = rs;
      }
    }
    if (!target) {
      return {
        ok: false,
        reason: 'NoHistory',
        message: `no rollout history found for deployment ${JSON.stringify(name)}`,
      };
    }
  }
  const revision = revisionOf(target);
  const rsTemplate = obj(obj(target.spec).template);
  if (equalIgnoreHash(rsTemplate, obj(deploy.spec).template)) {
    return {
      ok: true,
      deployment: deepClone(deploy),
      revision,
      changed: false,
      message: `skipped rollback (current template already matches revision ${revision})`,
    };
  }
  const copy = deepClone(deploy);
  const template = withoutHashLabel(rsTemplate);
  copy.spec = { ...obj(copy.spec), template };
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotationsOf(deploy)))
    if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(annotationsOf(target)))
    if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  copy.metadata = { ...copy.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete copy.metadata.annotations;
  return { ok: true, deployment: copy, revision, changed: true, message: 'rolled back' };
}

/**
 * The Deployment with `spec.template` set from the ReplicaSet of `toRevision` (default:
 * the previous revision); undefined when there is no such revision or it is paused.
 */
export function rollbackTemplate(
  deploy: KubeObject,
  replicaSets: readonly KubeObject[],
  toRevision?: number,
): KubeObject | undefined {
  const plan = planRollback(deploy, replicaSets, toRevision ?? 0);
  return plan.ok ? plan.deployment : undefined;
}
