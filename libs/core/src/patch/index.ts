export { applyMergePatch } from './merge-patch';
export {
  applyJsonPatch,
  parseJsonPatch,
  parsePointer,
  formatPointer,
  JSON_PATCH_OPS,
  MAX_JSON_PATCH_OPERATIONS,
} from './json-patch';
export type { JsonPatchOperation, JsonPatchOpName, ParsedJsonPatchOperation } from './json-patch';
export {
  applyStrategicMergePatch,
  DIRECTIVE_MARKER,
  RETAIN_KEYS_DIRECTIVE,
  SET_ELEMENT_ORDER_PREFIX,
  DELETE_FROM_PRIMITIVE_LIST_PREFIX,
} from './strategic-merge-patch';
export type { PatchSchema } from './strategic-merge-patch';
export {
  podSpecPatchSchema,
  objectMetaPatchSchema,
  servicePatchSchema,
  conditionsPatchSchema,
  podPatchSchema,
  workloadPatchSchema,
  nodePatchSchema,
} from './schemas';
export { PATCH_CONTENT_TYPES, applyPatch, patchTypeOf } from './apply-patch';
export type { PatchType } from './apply-patch';
export { cloneJson, jsonEqual } from './json';
export type { JsonValue, JsonObject, JsonArray, JsonPrimitive } from './json';
