/**
 * JSON merge patch, RFC 7386 (`application/merge-patch+json`).
 *
 * Objects merge recursively, `null` deletes a key, everything else (arrays included)
 * replaces. `kubectl scale` and `kubectl patch --type merge` send these.
 */
import { JsonObject, JsonValue, clientValue, cloneJson, getOwn, isObject, setOwn } from './json';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  const base = target === undefined ? undefined : cloneJson(target, 'target');
  return mergePatch(base, clientValue(patch, 'merge patch'));
}

function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return patch;
  const result: JsonObject = isObject(target) ? target : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete result[key];
    } else {
      setOwn(result, key, mergePatch(getOwn(result, key), value));
    }
  }
  return result;
}
