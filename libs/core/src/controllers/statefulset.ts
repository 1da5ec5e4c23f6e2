/**
 * The StatefulSet controller's decision (kubernetes pkg/controller/statefulset,
 * stateful_set_control.go): stable pod identities `<set>-<ordinal>` with their claims
 * `<template>-<set>-<ordinal>`, ordered (OrderedReady) or parallel creation and scale-down,
 * the rolling update from the highest ordinal down to the partition (or OnDelete), the
 * claim retention policy and the status counts. Pure: the worker applies the actions in order.
 */
import type { KubeObject } from '../api/types';
import { CONTROLLER_REVISION_HASH_LABEL } from './daemon-set';
import { podFromTemplate } from './replicaset';
import {
  arr,
  deepClone,
  isBeingDeleted,
  isControlledBy,
  isPodAvailable,
  isPodReady,
  labelsOf,
  nameOf,
  namespaceOf,
  newControllerRef,
  num,
  obj,
  podPhase,
  scaledValue,
  str,
  stringMap,
  uidOf,
} from './util';

export const STATEFUL_SET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export type StatefulSetAction =
  | { type: 'createClaim'; ordinal: number; claim: KubeObject }
  | { type: 'createPod'; ordinal: number; pod: KubeObject }
  | { type: 'deletePod'; ordinal: number; name: string; reason: 'scale' | 'update' | 'failed' }
  | { type: 'deleteClaim'; ordinal: number; name: string; reason: 'scale' | 'setDeleted' };

export interface StatefulSetStatus {
  replicas: number;
  readyReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  currentRevision: string;
  updateRevision: string;
  observedGeneration?: number;
}

export interface StatefulSetInput {
  set: KubeObject;
  currentRevision: string;
  updateRevision: string;
  pods: readonly KubeObject[];
  /** Existing claims, by name. */
  claims: ReadonlyMap<string, KubeObject> | readonly string[];
  now: Date;
}

export interface StatefulSetPlan {
  actions: StatefulSetAction[];
  status: StatefulSetStatus;
  /** Look again then (a ready pod's minReadySeconds runs out). */
  requeueAfterMs?: number;
}

/** The ordinal of `<set>-<ordinal>`, or -1 when the name is not one of the set's. */
export function statefulPodOrdinal(setName: string, podName: string): number {
  const prefix = `${setName}-`;
  if (!podName.startsWith(prefix)) return -1;
  const rest = podName.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : -1;
}

/** The claim name for a template and ordinal (getPersistentVolumeClaimName). */
export function statefulClaimName(set: KubeObject, templateName: string, ordinal: number): string {
  return `${templateName}-${nameOf(set)}-${ordinal}`;
}

function claimTemplates(set: KubeObject): Array<Record<string, unknown>> {
  return arr(obj(set.spec).volumeClaimTemplates).map((t) => obj(t));
}

/** The set's claims for `ordinal` (getPersistentVolumeClaims), new objects. */
export function statefulClaimsFor(set: KubeObject, ordinal: number): KubeObject[] {
  const selectorLabels = stringMap(obj(obj(set.spec).selector).matchLabels);
  return claimTemplates(set).map((t) => {
    const tmeta = obj(t.metadata);
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: statefulClaimName(set, str(tmeta.name), ordinal),
        namespace: namespaceOf(set),
        labels: { ...stringMap(tmeta.labels), ...selectorLabels },
        ...(Object.keys(stringMap(tmeta.annotations)).length
          ? { annotations: stringMap(tmeta.annotations) }
          : {}),
      },
      spec: deepClone(obj(t.spec)),
    } as KubeObject;
  });
}

/** The pod for `ordinal` at `revision` (newVersionedStatefulSetPod): identity, storage, labels. */
export function statefulPodFor(set: KubeObject, ordinal: number, revision: string): KubeObject {
  const name = `${nameOf(set)}-${ordinal}`;
  const pod = podFromTemplate(set, () => '');
  const meta = obj(pod.metadata);
  delete meta.generateName;
  meta.name = name;
  meta.labels = {
    ...stringMap(meta.labels),
    [STATEFUL_SET_POD_NAME_LABEL]: name,
    [POD_INDEX_LABEL]: String(ordinal),
    [CONTROLLER_REVISION_HASH_LABEL]: revision,
  };
  const spec = obj(pod.spec);
  spec.hostname = name;
  const serviceName = str(obj(set.spec).serviceName);
  if (serviceName) spec.subdomain = serviceName;
  // updateStorage: each template's volume refers to this ordinal's claim.
  const templates = claimTemplates(set).map((t) => str(obj(t.metadata).name));
  if (templates.length) {
    const volumes = arr(spec.volumes)
      .map((v) => obj(v))
      .filter((v) => !templates.includes(str(v.name)));
    for (const t of templates)
      volumes.push({
        name: t,
        persistentVolumeClaim: { claimName: statefulClaimName(set, t, ordinal) },
      });
    spec.volumes = volumes;
  }
  return { ...pod, metadata: meta, spec };
}

function revisionOf(pod: KubeObject): string {
  return labelsOf(pod)[CONTROLLER_REVISION_HASH_LABEL] ?? '';
}

function retention(set: KubeObject): { whenDeleted: string; whenScaled: string } {
  const p = obj(obj(set.spec).persistentVolumeClaimRetentionPolicy);
  return { whenDeleted: str(p.whenDeleted, 'Retain'), whenScaled: str(p.whenScaled, 'Retain') };
}

/**
 * One pass of the StatefulSet controller (updateStatefulSet): an ordered list of actions and
 * the status counted from the pods observed.
 */
export function reconcileStatefulSet(input: StatefulSetInput): StatefulSetPlan {
  const { set, currentRevision, updateRevision, now } = input;
  const spec = obj(set.spec);
  const replicas = Math.max(0, num(spec.replicas) ?? 1);
  const minReady = num(spec.minReadySeconds) ?? 0;
  const monotonic = str(spec.podManagementPolicy, 'OrderedReady') !== 'Parallel';
  const strategy = obj(spec.updateStrategy);
  const rolling = str(strategy.type, 'RollingUpdate') === 'RollingUpdate';
  const ru = obj(strategy.rollingUpdate);
  const partition = rolling ? Math.max(0, num(ru.partition) ?? 0) : 0;
  const maxUnavailable = Math.max(1, scaledValue(ru.maxUnavailable ?? 1, replicas, true, 1));
  const claimNames = new Set(
    Array.isArray(input.claims)
      ? (input.claims as readonly string[])
      : [...(input.claims as ReadonlyMap<string, KubeObject>).keys()],
  );
  const policy = retention(set);
  const setName = nameOf(set);
  const available = (p: KubeObject) => isPodAvailable(p, minReady, now);
  const healthy = (p: KubeObject) =>
    !isBeingDeleted(p) && podPhase(p) === 'Running' && available(p);

  const byOrdinal = new Map<number, KubeObject>();
  for (const p of input.pods) {
    if (!isControlledBy(p, uidOf(set))) continue;
    const ordinal = statefulPodOrdinal(setName, nameOf(p));
    if (ordinal >= 0) byOrdinal.set(ordinal, p);
  }

  const status: StatefulSetStatus = {
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    availableReplicas: 0,
    currentRevision,
    updateRevision,
  };
  let requeueAfterMs: number | undefined;
  for (const p of byOrdinal.values()) {
    status.replicas++;
    // computeReplicaStatus: ready means running and ready; terminating pods are neither
    // current nor updated.
    if (podPhase(p) === 'Running' && isPodReady(p)) {
      status.readyReplicas++;
      if (available(p)) status.availableReplicas++;
      else if (minReady > 0) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, minReady * 1000);
    }
    if (isBeingDeleted(p)) continue;
    if (revisionOf(p) === currentRevision) status.currentReplicas++;
    if (revisionOf(p) === updateRevision) status.updatedReplicas++;
  }
  const generation = num(obj(set.metadata).generation);
  if (generation !== undefined) status.observedGeneration = generation;

  const actions: StatefulSetAction[] = [];
  const done = (): StatefulSetPlan => ({ actions, status, requeueAfterMs });

  // The set is going away: only the whenDeleted policy remains to apply.
  if (isBeingDeleted(set)) {
    if (policy.whenDeleted === 'Delete')
      for (let i = 0; i < Math.max(replicas, ...[...byOrdinal.keys()].map((o) => o + 1)); i++)
        for (const c of statefulClaimsFor(set, i))
          if (claimNames.has(nameOf(c)))
            actions.push({
              type: 'deleteClaim',
              ordinal: i,
              name: nameOf(c),
              reason: 'setDeleted',
            });
    return done();
  }

  const createClaims = (ordinal: number) => {
    for (const claim of statefulClaimsFor(set, ordinal))
      if (!claimNames.has(nameOf(claim))) {
        const withOwner =
          policy.whenDeleted === 'Delete'
            ? {
                ...claim,
                metadata: { ...claim.metadata, ownerReferences: [newControllerRef(set)] },
              }
            : claim;
        actions.push({ type: 'createClaim', ordinal, claim: withOwner });
      }
  };
  const revisionFor = (ordinal: number) =>
    rolling && currentRevision !== updateRevision && ordinal < partition
      ? currentRevision
      : updateRevision;

  // Replicas [0, replicas): replace failed pods, create missing ones, in order.
  for (let i = 0; i < replicas; i++) {
    const p = byOrdinal.get(i);
    if (p && !isBeingDeleted(p) && podPhase(p) === 'Failed') {
      actions.push({ type: 'deletePod', ordinal: i, name: nameOf(p), reason: 'failed' });
      if (monotonic) return done();
      continue;
    }
    if (!p) {
      createClaims(i);
      actions.push({ type: 'createPod', ordinal: i, pod: statefulPodFor(set, i, revisionFor(i)) });
      if (monotonic) return done();
      continue;
    }
    createClaims(i);
    if (monotonic && !healthy(p)) return done();
  }

  // Condemned: ordinals >= replicas, highest first.
  const condemned = [...byOrdinal.keys()].filter((o) => o >= replicas).sort((a, b) => b - a);
  if (monotonic) {
    for (let i = 0; i < replicas; i++) if (!healthy(byOrdinal.get(i)!)) return done();
  }
  for (const ordinal of condemned) {
    const p = byOrdinal.get(ordinal)!;
    if (isBeingDeleted(p)) {
      if (monotonic) return done();
      continue;
    }
    actions.push({ type: 'deletePod', ordinal, name: nameOf(p), reason: 'scale' });
    if (policy.whenScaled === 'Delete')
      for (const c of statefulClaimsFor(set, ordinal))
        if (claimNames.has(nameOf(c)))
          actions.push({ type: 'deleteClaim', ordinal, name: nameOf(c), reason: 'scale' });
    if (monotonic) return done();
  }
  if (!rolling) return done();

  // Rolling update: highest ordinal down to the partition, within maxUnavailable.
  let unavailable = 0;
  for (let i = partition; i < replicas; i++) {
    const p = byOrdinal.get(i);
    if (!p || !healthy(p)) unavailable++;
  }
  for (let i = replicas - 1; i >= partition; i--) {
    const p = byOrdinal.get(i);
    if (!p || isBeingDeleted(p) || revisionOf(p) === updateRevision) continue;
    if (unavailable >= maxUnavailable) break;
    actions.push({ type: 'deletePod', ordinal: i, name: nameOf(p), reason: 'update' });
    unavailable++;
  }
  return done();
}
