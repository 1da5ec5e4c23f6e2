/**
 * Picks the patch implementation for a PATCH request's `Content-Type`, as the Kubernetes
 * API server does.
 */
import { errors } from '../api/status';
import { describe, isObject } from './json';
import { applyJsonPatch } from './json-patch';
import { applyMergePatch } from './merge-patch';
import { PatchSchema, applyStrategicMergePatch } from './strategic-merge-patch';

export const PATCH_CONTENT_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export type PatchType = keyof typeof PATCH_CONTENT_TYPES;

/** The patch type of a media type, ignoring case and parameters (`; charset=utf-8`). */
export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const entry = Object.entries(PATCH_CONTENT_TYPES).find(([, type]) => type === mediaType);
  return entry?.[0] as PatchType | undefined;
}

/**
 * Applies `patch` to the stored object `target` according to `contentType`. Merge and
 * strategic merge patches must be JSON objects (as for the Kubernetes API server). Server-side
 * apply (`application/apply-patch+yaml`) needs field ownership, which this server does not
 * track, so it is refused with 415 like any other unsupported type.
 */
export function applyPatch(
  contentType: string,
  target: unknown,
  patch: unknown,
  schema: PatchSchema = {},
): unknown {
  const type = patchTypeOf(contentType);
  switch (type) {
    case 'json':
      return applyJsonPatch(target, patch);
    case 'merge':
      if (!isObject(patch)) {
        throw errors.badRequest(`merge patch must be a JSON object, got ${describe(patch)}`);
      }
      return applyMergePatch(target, patch);
    case 'strategic':
      return applyStrategicMergePatch(target, patch, schema);
    case 'apply':
      throw errors.unsupportedMediaType(
        `server-side apply (${PATCH_CONTENT_TYPES.apply}) is not supported by this server; ` +
          `use client-side "kubectl apply" or one of: ${supported()}`,
      );
    default:
      throw errors.unsupportedMediaType(
        `the body of the request was in an unknown format ${describe(contentType ?? '')} - ` +
          `accepted media types include: ${supported()}`,
      );
  }
}

function supported(): string {
  return [PATCH_CONTENT_TYPES.json, PATCH_CONTENT_TYPES.merge, PATCH_CONTENT_TYPES.strategic].join(
    ', ',
  );
}
