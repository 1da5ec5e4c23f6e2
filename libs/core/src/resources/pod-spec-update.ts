/** The pod update rule (`ValidatePodUpdate` for the spec): what a Pod update may change. */
import type { StatusCause } from '../api/status';
import { fe } from './causes';
import { arr, deepClone, deepEqual, isObject, obj, str, type JsonObject } from './util';

const POD_UPDATE_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * `ValidatePodUpdate` for the spec: only container images, `activeDeadlineSeconds`
 * (set, or lowered), tolerations (additions), scheduling gates (removals) and — so a
 * scheduler may bind with a plain update — an unset `nodeName` may change.
 */
export function validatePodSpecUpdate(newSpec: unknown, oldSpec: unknown): StatusCause[] {
  const causes: StatusCause[] = [];
  const next = deepClone(obj(newSpec));
  const prev = obj(oldSpec);

  const prevAds = prev.activeDeadlineSeconds;
  const nextAds = next.activeDeadlineSeconds;
  if (typeof prevAds === 'number') {
    if (typeof nextAds !== 'number') {
      causes.push(
        fe.invalid(
          'spec.activeDeadlineSeconds',
          null,
          'must not update from a positive integer to nil value',
        ),
      );
    } else if (nextAds > prevAds) {
      causes.push(
        fe.invalid(
          'spec.activeDeadlineSeconds',
          nextAds,
          'must be less than or equal to previous value',
        ),
      );
    }
  }

  const prevTolerations = arr(prev.tolerations);
  const nextTolerations = arr(next.tolerations);
  const tolerationsOk = prevTolerations.every((t) => nextTolerations.some((n) => deepEqual(n, t)));
  if (!tolerationsOk) {
    causes.push(
      fe.forbidden(
        'spec.tolerations',
        'existing toleration can not be modified except its tolerationSeconds',
      ),
    );
  }

  // Put the mutable parts of the old spec into the new one; what remains must be equal.
  for (const list of ['containers', 'initContainers'] as const) {
    const p = arr(prev[list]);
    const n = arr(next[list]);
    if (p.length !== n.length) continue;
    n.forEach((c, i) => {
      if (isObject(c) && isObject(p[i])) {
        const oldImage = (p[i] as JsonObject).image;
        if (oldImage === undefined) delete c.image;
        else c.image = oldImage;
      }
    });
  }
  copyField(next, prev, 'activeDeadlineSeconds');
  copyField(next, prev, 'tolerations');
  if (!str(prev.nodeName)) copyField(next, prev, 'nodeName');
  const prevGates = arr(prev.schedulingGates);
  const nextGates = arr(next.schedulingGates);
  if (nextGates.every((g) => prevGates.some((o) => deepEqual(o, g))))
    copyField(next, prev, 'schedulingGates');
  if (
    typeof prev.terminationGracePeriodSeconds === 'number' &&
    prev.terminationGracePeriodSeconds < 0 &&
    next.terminationGracePeriodSeconds === 1
  ) {
    copyField(next, prev, 'terminationGracePeriodSeconds');
  }

  if (!deepEqual(next, prev)) {
    const changed = [...new Set([...Object.keys(next), ...Object.keys(prev)])]
      .filter((k) => !deepEqual(next[k], prev[k]))
      .sort()
      .map((k) => `spec.${k}`);
    causes.push(fe.forbidden('spec', `${POD_UPDATE_MESSAGE} (changed: ${changed.join(', ')})`));
  }
  return causes;
}

function copyField(target: JsonObject, source: JsonObject, key: string): void {
  if (source[key] === undefined) delete target[key];
  else target[key] = deepClone(source[key]);
}
