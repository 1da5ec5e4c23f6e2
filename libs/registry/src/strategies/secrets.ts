/**
 * Secrets: `stringData` is folded into `data` before anything else sees it (create, update
 * and every patch, as Kubernetes' v1 conversion does), so it is never stored. Immutability
 * (and `type`) are checked by the definition's validate against the stored object; the
 * update is written only if the stored revision is still that one. ConfigMaps need no
 * strategy: the generic behaviour plus their definition's validate is all they do.
 */
import { foldStringData, secretDefinition, type KubeObject } from '@berth/core';
import { defineStrategy } from '../strategy';

/** foldStringData, in place (the hooks change the object they are given). */
function foldInPlace(o: KubeObject): void {
  const folded = foldStringData(o);
  if (folded === o) return;
  const target = o as unknown as Record<string, unknown>;
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, folded);
}

export const secretStrategy = defineStrategy(secretDefinition, {
  prepareForCreate: foldInPlace,
  prepareForUpdate: (next) => foldInPlace(next),
});
