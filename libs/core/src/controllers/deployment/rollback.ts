import { type KubeObject } from '../../api/types';
import { annotationsOf, controllerRefOf, deepClone, nameOf, obj, uidOf } from '../util';
import { ANNOTATIONS_TO_SKIP, withoutHashLabel, equalIgnoreHash, revisionOf } from './util';
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
