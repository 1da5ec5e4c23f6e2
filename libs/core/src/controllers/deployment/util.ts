/**
 * What the Deployment controller's steps share (kubernetes pkg/controller/deployment/util):
 * annotation names, the result types, the pod-template hash, the spec with its defaults,
 * the working state of one reconcile ({@link Ctx}, one {@link RsState} per ReplicaSet) and
 * the scaling primitives that record Kubernetes' ScalingReplicaSet events.
 */
import { formatTimestamp, type KubeObject } from '../../api/types';
import { COMPONENTS, eventAbout, type EventSpec } from '../events';
import {
  annotationsOf,
  canonicalJson,
  compareByCreation,
  conditionsOf,
  deepClone,
  fnv32a,
  isPodActive,
  isPodAvailable,
  isPodReady,
  nameOf,
  num,
  obj,
  safeEncodeString,
  scaledValue,
  str,
  stringMap,
  uidOf,
  type Condition,
  type JsonObject,
} from '../util';
import { deepEqual } from '../../resources/util';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Deployment annotations that are never copied to or from ReplicaSets. */
export const ANNOTATIONS_TO_SKIP = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

/** Kubernetes bounds the revision-history annotation to this many characters. */
export const MAX_REVISION_HISTORY_CHARS = 2000;

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

export function withoutHashLabel(template: unknown): JsonObject {
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

export interface DeploySpec {
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

export function deploySpec(deploy: KubeObject): DeploySpec {
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

export interface RsState {
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

export class Ctx {
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
export function setCondition(conditions: Condition[], c: Condition): void {
  const i = conditions.findIndex((x) => x.type === c.type);
  const current = i >= 0 ? conditions[i] : undefined;
  if (current && current.status === c.status && current.reason === c.reason) return;
  if (current && current.status === c.status) c.lastTransitionTime = current.lastTransitionTime;
  if (i >= 0) conditions.splice(i, 1);
  conditions.push(c);
}

export function removeCondition(conditions: Condition[], type: string): void {
  const i = conditions.findIndex((x) => x.type === type);
  if (i >= 0) conditions.splice(i, 1);
}

export function stateOf(
  rs: KubeObject,
  pods: KubeObject[],
  minReadySeconds: number,
  now: Date,
): RsState {
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
export function countedAvailable(s: RsState): number {
  return Math.min(s.replicas, s.available);
}

export function sumReplicas(states: readonly (RsState | undefined)[]): number {
  let n = 0;
  for (const s of states) if (s) n += s.replicas;
  return n;
}

export function activeStates(states: readonly (RsState | undefined)[]): RsState[] {
  return states.filter((s): s is RsState => s !== undefined && s.replicas > 0);
}

export function byCreation(a: RsState, b: RsState): number {
  return compareByCreation(a.rs, b.rs);
}

// ---------------------------------------------------------------------------------------------
// Scaling
// ---------------------------------------------------------------------------------------------

/** SetReplicasAnnotations; true when they changed. */
export function setReplicasAnnotations(ctx: Ctx, s: RsState): boolean {
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
export function scaleReplicaSet(
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
export function scaleAndRecord(ctx: Ctx, s: RsState, newScale: number): boolean {
  if (s.replicas === newScale) return false;
  return scaleReplicaSet(ctx, s, newScale);
}

/** NewRSNewReplicas: how far the new ReplicaSet may grow now. */
export function newRSNewReplicas(
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
