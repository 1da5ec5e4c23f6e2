/**
 * A DaemonSet's revision history, as kube's daemonset controller keeps it
 * (pkg/controller/daemon/update.go: constructHistory, dedupCurHistories, cleanupHistory):
 * one ControllerRevision per template the DaemonSet has had, named `<ds>-<hash>`, labelled
 * `controller-revision-hash`, controlled by the DaemonSet, whose `data` is the strategic
 * merge patch that restores the template (`{"spec":{"template":{…,"$patch":"replace"}}}`)
 * — what `kubectl rollout undo ds/x` sends back.
 */
import type { KubeObject } from '../api/types';
import { CONTROLLER_REVISION_HASH_LABEL, daemonSetHash } from './daemon-set';
import {
  canonicalJson,
  compareStrings,
  deepClone,
  isBeingDeleted,
  isControlledBy,
  labelsOf,
  metaOf,
  nameOf,
  namespaceOf,
  newControllerRef,
  num,
  obj,
  uidOf,
  type JsonObject,
} from './util';

/** What `kubectl rollout history` prints in its CHANGE-CAUSE column. */
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

/** How many old revisions a DaemonSet keeps when it does not say (SetDefaults_DaemonSet). */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** getPatch: the patch that puts the DaemonSet's current template back. */
export function daemonSetRevisionData(ds: KubeObject): JsonObject {
  const template = deepClone(obj(obj(ds.spec).template));
  return { spec: { template: { ...template, $patch: 'replace' } } };
}

/** Match: whether `revision` holds the DaemonSet's current template. */
export function revisionMatches(ds: KubeObject, revision: KubeObject): boolean {
  return canonicalJson(revision.data ?? null) === canonicalJson(daemonSetRevisionData(ds));
}

/** Whether `revision` is the DaemonSet's own record of its current template. */
export function isCurrentRevisionOf(ds: KubeObject, revision: KubeObject): boolean {
  return isControlledBy(revision, uidOf(ds)) && revisionMatches(ds, revision);
}

export function revisionNumber(revision: KubeObject): number {
  return num(revision.revision) ?? 0;
}

/** The hash a revision stands for: its label, else (as kube relabels) its name. */
export function revisionHash(revision: KubeObject): string {
  return labelsOf(revision)[CONTROLLER_REVISION_HASH_LABEL] || nameOf(revision);
}

function maxRevision(revisions: readonly KubeObject[]): number {
  return revisions.reduce((max, r) => Math.max(max, revisionNumber(r)), 0);
}

/** Lowest revision first (historiesByRevision), then by name for a stable order. */
function byRevision(a: KubeObject, b: KubeObject): number {
  return revisionNumber(a) - revisionNumber(b) || compareStrings(nameOf(a), nameOf(b));
}

/**
 * snapshot: the ControllerRevision of the DaemonSet's current template, numbered `revision`:
 * the template's labels plus the hash, the DaemonSet's annotations (its change-cause).
 */
export function newDaemonSetRevision(ds: KubeObject, revision: number): KubeObject {
  const hash = daemonSetHash(ds);
  const templateLabels = obj(obj(obj(ds.spec).template).metadata).labels;
  const annotations = obj(metaOf(ds).annotations);
  const metadata: JsonObject = {
    name: `${nameOf(ds)}-${hash}`,
    namespace: namespaceOf(ds),
    labels: { ...obj(templateLabels), [CONTROLLER_REVISION_HASH_LABEL]: hash },
    ownerReferences: [newControllerRef(ds)],
  };
  if (Object.keys(annotations).length > 0) metadata.annotations = deepClone(annotations);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata,
    data: daemonSetRevisionData(ds),
    revision,
  } as unknown as KubeObject;
}

export interface DaemonSetHistoryPlan {
  /** The current revision's hash: every up-to-date daemon pod carries it. */
  hash: string;
  /** The revision to create when none holds the current template. */
  create?: KubeObject;
  /** The existing current revision, renumbered to `to` (a template that came back). */
  renumber?: { revision: KubeObject; to: number };
  /** Other revisions holding the current template (dedupCurHistories): deleted. */
  deleteDuplicates: KubeObject[];
  /** Pods labelled with a duplicate's hash, relabelled with `hash` (copies to write). */
  relabelPods: KubeObject[];
  /** Old revisions beyond `revisionHistoryLimit`, oldest first, that no pod still uses. */
  cleanup: KubeObject[];
}

/**
 * constructHistory + cleanupHistory over the revisions in the DaemonSet's namespace and its
 * pods: which revision is current (created, or an old one renumbered to the newest), the
 * duplicates to drop, and the old revisions to delete.
 */
export function planDaemonSetHistory(
  ds: KubeObject,
  allRevisions: readonly KubeObject[],
  allPods: readonly KubeObject[],
): DaemonSetHistoryPlan {
  const uid = uidOf(ds);
  const revisions = allRevisions.filter((r) => isControlledBy(r, uid) && !isBeingDeleted(r));
  const current = revisions.filter((r) => revisionMatches(ds, r));
  const old = revisions.filter((r) => !current.includes(r));
  const next = maxRevision(old) + 1;
  const plan: DaemonSetHistoryPlan = {
    hash: daemonSetHash(ds),
    deleteDuplicates: [],
    relabelPods: [],
    cleanup: [],
  };
  const pods = allPods.filter((p) => isControlledBy(p, uid));
  if (current.length === 0) {
    plan.create = newDaemonSetRevision(ds, next);
    plan.hash = labelsOf(plan.create)[CONTROLLER_REVISION_HASH_LABEL];
  } else {
    // The highest-numbered one stays (the last of equals, as kube's loop keeps).
    const keep = [...current].sort(byRevision)[current.length - 1];
    plan.hash = revisionHash(keep);
    plan.deleteDuplicates = current.filter((r) => r !== keep);
    const duplicateHashes = new Set(plan.deleteDuplicates.map(revisionHash));
    for (const pod of pods) {
      const hash = labelsOf(pod)[CONTROLLER_REVISION_HASH_LABEL];
      if (hash === undefined || !duplicateHashes.has(hash) || hash === plan.hash) continue;
      const copy = deepClone(pod);
      const meta = obj(copy.metadata);
      meta.labels = { ...labelsOf(pod), [CONTROLLER_REVISION_HASH_LABEL]: plan.hash };
      copy.metadata = meta as never;
      plan.relabelPods.push(copy);
    }
    if (revisionNumber(keep) < next) plan.renumber = { revision: keep, to: next };
  }

  const limit = num(obj(ds.spec).revisionHistoryLimit) ?? DEFAULT_REVISION_HISTORY_LIMIT;
  let toKill = old.length - Math.max(0, limit);
  if (toKill > 0) {
    const liveHashes = new Set(
      pods.map((p) => labelsOf(p)[CONTROLLER_REVISION_HASH_LABEL]).filter(Boolean),
    );
    for (const revision of [...old].sort(byRevision)) {
      if (toKill <= 0) break;
      if (liveHashes.has(revisionHash(revision))) continue;
      plan.cleanup.push(revision);
      toKill--;
    }
  }
  return plan;
}
