/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`).
 *
 * Like a JSON merge patch (maps merge, `null` deletes), except that a list named in the
 * {@link PatchSchema} can merge element-wise by a key (containers by `name`) or as a set of
 * primitives (finalizers), and that the patch may carry directives:
 *
 * - `"$patch": "replace"` in a map: the map becomes the patch (minus the directive).
 * - `"$patch": "delete"` in a map: the map is removed from its parent (Kubernetes leaves an
 *   empty map, which its typed decoding then mostly drops; at the top level the result is
 *   `{}`); in an element of a keyed list: every element with that key is removed.
 * - `{"$patch": "replace"}` as an element of a keyed list: the list becomes the patch's
 *   other elements.
 * - `"$retainKeys": [..]`: keys of the map not listed are cleared before merging.
 * - `"$deleteFromPrimitiveList/<field>": [..]`: these values are removed from `<field>`.
 * - `"$setElementOrder/<field>": [..]`: the order of `<field>` after the merge; elements
 *   not listed (added by the server) keep their place relative to the listed ones.
 *
 * Ordering without `$setElementOrder` follows Kubernetes (apimachinery `mergeSlice`):
 * elements named in the patch take the patch's relative order and are interleaved with the
 * others by their current positions; new elements go in front of the first server-only
 * element that follows them. Directives never reach the result, also not from parts of the
 * patch that are added as a whole.
 *
 * Errors are 400 BadRequest, except content that contradicts `$retainKeys` (422 Invalid,
 * as in the Kubernetes API server).
 */
import { ApiError, errors } from '../api/status';
import {
  JsonArray,
  JsonObject,
  JsonValue,
  clientValue,
  cloneJson,
  describe,
  getOwn,
  hasOwn,
  isObject,
  isPrimitive,
  jsonEqual,
  setOwn,
} from './json';

/**
 * Patch metadata of the lists (and, rarely, maps) of one kind of object, keyed by dotted
 * path from the object's root, `[]` marking the elements of a list:
 * `{ 'spec.template.spec.containers': { mergeKey: 'name' },
 *    'spec.template.spec.containers[].ports': { mergeKey: 'containerPort' },
 *    'metadata.finalizers': { strategy: 'merge' } }`.
 *
 * A list with a `mergeKey` merges by it unless `strategy` is `'replace'`; a list with
 * `strategy: 'merge'` and no key merges as a set of primitives; every other list is replaced.
 * A map with `strategy: 'replace'` is replaced instead of merged.
 */
export type PatchSchema = Record<string, { mergeKey?: string; strategy?: 'merge' | 'replace' }>;

export const DIRECTIVE_MARKER = '$patch';
export const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
export const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder/';
export const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList/';

/** Returned by mergeMap when a `$patch: delete` removes the map from its parent. */
const REMOVE = Symbol('remove');
type Removed = typeof REMOVE;
/** Key of an element that has no merge key: it matches nothing, not even itself. */
const NO_KEY = Symbol('no merge key');

interface ListRule {
  merge: boolean;
  mergeKey?: string;
}

export function applyStrategicMergePatch(
  target: unknown,
  patch: unknown,
  schema: PatchSchema = {},
): unknown {
  const patchValue = clientValue(patch, 'strategic merge patch');
  if (!isObject(patchValue)) {
    throw errors.badRequest(
      `strategic merge patch must be a JSON object, got ${describe(patchValue)}`,
    );
  }
  let original: JsonObject | undefined;
  if (target !== undefined && target !== null) {
    const copy = cloneJson(target, 'target');
    if (!isObject(copy)) {
      throw errors.badRequest(
        `a strategic merge patch applies to an object, not ${describe(copy)}`,
      );
    }
    original = copy;
  }
  const merged = new Merger(schema).mergeMap(original, patchValue, '');
  // A top-level `$patch: delete` empties the object, as in Kubernetes.
  return merged === REMOVE ? {} : merged;
}

class Merger {
  constructor(private readonly schema: PatchSchema) {}

  /**
   * Merges `patch` into `original` (owned by the merger: it is changed in place and
   * returned). With no original, the result is the patch with its directives applied and
   * its `null`s dropped.
   */
  mergeMap(
    original: JsonObject | undefined,
    patch: JsonObject,
    path: string,
  ): JsonObject | Removed {
    if (hasOwn(patch, DIRECTIVE_MARKER)) {
      const directive = patch[DIRECTIVE_MARKER];
      const rest = without(patch, DIRECTIVE_MARKER);
      switch (directive) {
        case 'replace':
          return this.mergeMap(undefined, rest, path);
        case 'delete':
          return REMOVE;
        case 'merge':
          return this.mergeMap(original, rest, path);
        default:
          throw bad(
            `unknown directive "${DIRECTIVE_MARKER}": ${describe(directive)} at ${where(path)}; ` +
              'expected "replace", "delete" or "merge"',
          );
      }
    }
    const result: JsonObject = original ?? {};
    const done = new Set<string>();

    if (hasOwn(patch, RETAIN_KEYS_DIRECTIVE)) {
      this.retainKeys(result, patch, path);
      done.add(RETAIN_KEYS_DIRECTIVE);
    }

    for (const key of Object.keys(patch)) {
      if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
      done.add(key);
      const field = directiveField(key, SET_ELEMENT_ORDER_PREFIX, path);
      if (this.setElementOrder(result, patch, field, patch[key], path)) done.add(field);
    }

    for (const key of Object.keys(patch)) {
      if (done.has(key)) continue;
      const value = patch[key];
      if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
        const field = directiveField(key, DELETE_FROM_PRIMITIVE_LIST_PREFIX, path);
        this.deleteFromPrimitiveList(result, field, value, path);
        continue;
      }
      if (value === null) {
        delete result[key];
        continue;
      }
      const merged = this.mergeField(getOwn(result, key), value, join(path, key));
      if (merged === REMOVE) delete result[key];
      else setOwn(result, key, merged);
    }
    return result;
  }

  private mergeField(
    current: JsonValue | undefined,
    patch: JsonValue,
    path: string,
  ): JsonValue | Removed {
    if (isObject(patch)) {
      const replace = this.entry(path)?.strategy === 'replace';
      return this.mergeMap(isObject(current) && !replace ? current : undefined, patch, path);
    }
    if (Array.isArray(patch)) {
      return this.mergeList(Array.isArray(current) ? current : undefined, patch, path);
    }
    return patch;
  }

  /** Merges a patch list into the current one (owned, may be changed) per the schema. */
  mergeList(
    current: JsonArray | undefined,
    patch: JsonArray,
    path: string,
    rule = this.rule(path, patch),
  ): JsonArray {
    if (!rule.merge) return this.replaceList(patch, path);
    if (rule.mergeKey) return this.mergeKeyedList(current ?? [], patch, rule.mergeKey, path);
    return this.mergePrimitiveList(current ?? [], patch, path);
  }

  /**
   * How the list at `path` merges. Lists the schema does not know are replaced, unless the
   * patch itself shows they merge: kubectl only sends `$patch: delete` elements and
   * `$setElementOrder` for merging lists, and each such entry names the merge key (or, for
   * primitives, is the value). Honouring that keeps a kubectl-computed patch from wiping a
   * list the schema forgot.
   */
  private entry(path: string): PatchSchema[string] | undefined {
    return hasOwn(this.schema, path) ? this.schema[path] : undefined;
  }

  private rule(path: string, patch?: JsonArray, order?: JsonArray): ListRule {
    const entry = this.entry(path);
    if (entry) {
      const mergeKey = entry.mergeKey || undefined;
      const strategy = entry.strategy ?? (mergeKey ? 'merge' : 'replace');
      return { merge: strategy === 'merge', mergeKey };
    }
    if (order && order.length > 0 && order.every(isPrimitive)) return { merge: true };
    const keys = new Set<string>();
    for (const item of order ?? []) {
      const itemKeys = isObject(item) ? Object.keys(item) : [];
      if (itemKeys.length !== 1) return { merge: false };
      keys.add(itemKeys[0]);
    }
    for (const item of patch ?? []) {
      if (!isObject(item) || item[DIRECTIVE_MARKER] !== 'delete') continue;
      const itemKeys = Object.keys(item).filter((k) => k !== DIRECTIVE_MARKER);
      if (itemKeys.length !== 1) return { merge: false };
      keys.add(itemKeys[0]);
    }
    if (keys.size !== 1) return { merge: false };
    const [mergeKey] = keys;
    // Every element of the patch must carry that key, or this is no kubectl merge list.
    const keyed = (patch ?? []).every((item) => isObject(item) && hasOwn(item, mergeKey));
    return keyed ? { merge: true, mergeKey } : { merge: false };
  }

  /** A list without merge semantics becomes the patch list, cleaned of directives. */
  private replaceList(patch: JsonArray, path: string): JsonArray {
    const items: JsonArray = [];
    for (const item of patch) {
      if (isObject(item)) {
        if (isListReplaceMarker(item)) continue;
        const merged = this.mergeMap(undefined, item, `${path}[]`);
        if (merged !== REMOVE) items.push(merged);
      } else if (Array.isArray(item)) {
        items.push(this.mergeList(undefined, item, `${path}[]`));
      } else {
        items.push(item);
      }
    }
    return items;
  }

  private mergeKeyedList(
    current: JsonArray,
    patch: JsonArray,
    mergeKey: string,
    path: string,
  ): JsonArray {
    const keyOf = keyFn(mergeKey);
    let items = current;
    let replace = false;
    const regular: JsonObject[] = [];
    patch.forEach((item, i) => {
      if (!isObject(item)) {
        throw bad(
          `${where(path)} merges its items by "${mergeKey}", so they must be objects; ` +
            `item ${i} is ${describe(item)}`,
        );
      }
      if (!hasOwn(item, DIRECTIVE_MARKER)) {
        regular.push(item);
        return;
      }
      const directive = item[DIRECTIVE_MARKER];
      switch (directive) {
        case 'delete':
          if (!hasOwn(item, mergeKey)) {
            throw bad(
              `item ${i} of ${where(path)} has "${DIRECTIVE_MARKER}": "delete" but no merge key "${mergeKey}"`,
            );
          }
          items = items.filter((el) => !sameKey(keyOf(el), item[mergeKey]));
          break;
        case 'replace': {
          replace = true;
          const rest = without(item, DIRECTIVE_MARKER);
          if (Object.keys(rest).length > 0) regular.push(rest);
          break;
        }
        case 'merge':
          regular.push(without(item, DIRECTIVE_MARKER));
          break;
        default:
          throw bad(
            `unknown directive "${DIRECTIVE_MARKER}": ${describe(directive)} in item ${i} of ${where(path)}; ` +
              'expected "delete" or "replace"',
          );
      }
    });
    if (replace) items = [];

    const serverOrder = items;
    const merged = [...items];
    const itemPath = `${path}[]`;
    regular.forEach((item) => {
      if (!hasOwn(item, mergeKey)) {
        throw bad(`an item of ${where(path)} lacks its merge key "${mergeKey}": ${describe(item)}`);
      }
      const index = merged.findIndex((el) => sameKey(keyOf(el), item[mergeKey]));
      if (index < 0) {
        const added = this.mergeMap(undefined, item, itemPath);
        if (added !== REMOVE) merged.push(added);
        return;
      }
      const existing = merged[index];
      const updated = this.mergeMap(isObject(existing) ? existing : undefined, item, itemPath);
      if (updated === REMOVE) merged.splice(index, 1);
      else merged[index] = updated;
    });
    return enforceOrder(merged, regular, serverOrder, keyOf);
  }

  /** A list with merge strategy and no key is an ordered set: union, no duplicates. */
  private mergePrimitiveList(current: JsonArray, patch: JsonArray, path: string): JsonArray {
    patch.forEach((item, i) => {
      if (!isPrimitive(item)) {
        throw bad(
          `${where(path)} merges as a set of values, but item ${i} is ${describe(item)}; ` +
            'lists of objects need a merge key',
        );
      }
    });
    const merged: JsonArray = [];
    for (const item of [...current, ...patch]) {
      if (!merged.some((el) => jsonEqual(el, item))) merged.push(item);
    }
    return enforceOrder(merged, patch, current, identity);
  }

  private retainKeys(result: JsonObject, patch: JsonObject, path: string): void {
    const keep = patch[RETAIN_KEYS_DIRECTIVE];
    if (!Array.isArray(keep) || !keep.every((k) => typeof k === 'string')) {
      throw bad(`${RETAIN_KEYS_DIRECTIVE} at ${where(path)} must be a list of field names`);
    }
    const retained = new Set(keep as string[]);
    for (const key of Object.keys(patch)) {
      if (
        key === RETAIN_KEYS_DIRECTIVE ||
        key.startsWith(SET_ELEMENT_ORDER_PREFIX) ||
        key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) ||
        patch[key] === null
      ) {
        continue;
      }
      if (!retained.has(key)) {
        throw new ApiError(
          422,
          'Invalid',
          `patch content doesn't match retainKeys list: ${describe(key)} is set at ${where(path)} ` +
            `but not listed in ${RETAIN_KEYS_DIRECTIVE} ${describe(keep)}`,
          {
            causes: [
              {
                reason: 'FieldValueInvalid',
                message: `not listed in ${RETAIN_KEYS_DIRECTIVE}`,
                field: join(path, key),
              },
            ],
          },
        );
      }
    }
    for (const key of Object.keys(result)) {
      if (!retained.has(key)) delete result[key];
    }
  }

  /**
   * Applies `$setElementOrder/<field>`, merging `<field>` of the patch on the way.
   * Returns whether `<field>` of the patch has been consumed.
   */
  private setElementOrder(
    result: JsonObject,
    patch: JsonObject,
    field: string,
    order: JsonValue,
    path: string,
  ): boolean {
    const fieldPath = join(path, field);
    if (!Array.isArray(order)) {
      throw bad(`${SET_ELEMENT_ORDER_PREFIX}${field} at ${where(path)} must be a list`);
    }
    const patchList = getOwn(patch, field);
    if (patchList === null) return false; // the field is deleted; there is nothing to order
    if (patchList !== undefined && !Array.isArray(patchList)) {
      throw bad(
        `${SET_ELEMENT_ORDER_PREFIX}${field} at ${where(path)} orders a list, but the patch sets ` +
          `${describe(field)} to ${describe(patchList)}`,
      );
    }
    const rule = this.rule(fieldPath, patchList ?? undefined, order);
    const { mergeKey } = rule;
    const keyOf = mergeKey ? keyFn(mergeKey) : identity;
    order.forEach((item, i) => {
      const ok = mergeKey ? isObject(item) && hasOwn(item, mergeKey) : isPrimitive(item);
      if (!ok) {
        throw bad(
          `item ${i} of ${SET_ELEMENT_ORDER_PREFIX}${field} at ${where(path)} must be ` +
            (mergeKey ? `an object with merge key "${mergeKey}"` : 'a primitive value') +
            `, got ${describe(item)}`,
        );
      }
    });
    if (patchList) checkOrderMatches(patchList, order, keyOf, field, path);

    const current = getOwn(result, field);
    const currentList = Array.isArray(current) ? current : undefined;
    let merged: JsonArray;
    if (patchList) merged = this.mergeList(currentList, patchList, fieldPath, rule);
    else if (currentList) merged = currentList;
    else return false;
    setOwn(result, field, enforceOrder(merged, order, currentList ?? [], keyOf));
    return patchList !== undefined;
  }

  private deleteFromPrimitiveList(
    result: JsonObject,
    field: string,
    values: JsonValue,
    path: string,
  ): void {
    if (!Array.isArray(values) || !values.every(isPrimitive)) {
      throw bad(
        `${DELETE_FROM_PRIMITIVE_LIST_PREFIX}${field} at ${where(path)} must be a list of primitive values`,
      );
    }
    const current = getOwn(result, field);
    if (!Array.isArray(current)) return;
    setOwn(
      result,
      field,
      current.filter((item) => !values.some((v) => jsonEqual(v, item))),
    );
  }
}

type KeyOf = (item: JsonValue) => JsonValue | typeof NO_KEY;

function keyFn(mergeKey: string): KeyOf {
  return (item) => (isObject(item) && hasOwn(item, mergeKey) ? item[mergeKey] : NO_KEY);
}

function identity(item: JsonValue): JsonValue {
  return item;
}

function sameKey(a: JsonValue | typeof NO_KEY, b: JsonValue | typeof NO_KEY): boolean {
  return a !== NO_KEY && b !== NO_KEY && jsonEqual(a, b);
}

/**
 * Kubernetes' order for a merged list (apimachinery `normalizeElementOrder`): elements named
 * in `patchOrder` in that order, the others in their `serverOrder`, interleaved so that a
 * server-only element stays in front of a patch element it preceded on the server.
 */
function enforceOrder(
  merged: JsonArray,
  patchOrder: JsonArray,
  serverOrder: JsonArray,
  keyOf: KeyOf,
): JsonArray {
  const indexIn = (list: JsonArray, item: JsonValue) => {
    const key = keyOf(item);
    return list.findIndex((el) => sameKey(keyOf(el), key));
  };
  const rank = (list: JsonArray) => (item: JsonValue) => {
    const i = indexIn(list, item);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const inPatch = merged.filter((item) => indexIn(patchOrder, item) >= 0);
  const serverOnly = merged.filter((item) => indexIn(patchOrder, item) < 0);
  const patchItems = stableSortBy(inPatch, rank(patchOrder));
  const serverItems = stableSortBy(serverOnly, rank(serverOrder));

  const result: JsonArray = [];
  let i = 0;
  let j = 0;
  while (i < serverItems.length || j < patchItems.length) {
    if (j >= patchItems.length) {
      result.push(serverItems[i++]);
    } else if (i >= serverItems.length) {
      result.push(patchItems[j++]);
    } else {
      const left = indexIn(serverOrder, serverItems[i]);
      const right = indexIn(serverOrder, patchItems[j]);
      if (left >= 0 && right >= 0 && left < right) result.push(serverItems[i++]);
      else result.push(patchItems[j++]);
    }
  }
  return result;
}

function stableSortBy<T>(items: T[], rank: (item: T) => number): T[] {
  return items
    .map((item, index) => ({ item, index, rank: rank(item) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((x) => x.item);
}

/**
 * The patch list must list its (non-deleting) elements in the order `$setElementOrder`
 * gives them (apimachinery `validatePatchWithSetOrderList`).
 */
function checkOrderMatches(
  patchList: JsonArray,
  order: JsonArray,
  keyOf: KeyOf,
  field: string,
  path: string,
): void {
  const items = patchList.filter((item) => !(isObject(item) && hasOwn(item, DIRECTIVE_MARKER)));
  let p = 0;
  for (let s = 0; p < items.length && s < order.length; s++) {
    if (sameKey(keyOf(items[p]), keyOf(order[s]))) p++;
  }
  if (p < items.length) {
    throw bad(
      `the order of ${describe(field)} in the patch at ${where(path)} doesn't match ` +
        `${SET_ELEMENT_ORDER_PREFIX}${field}: ${describe(items[p], 120)} is missing or out of order`,
    );
  }
}

function isListReplaceMarker(item: JsonObject): boolean {
  const keys = Object.keys(item);
  return keys.length === 1 && keys[0] === DIRECTIVE_MARKER && item[DIRECTIVE_MARKER] === 'replace';
}

function without(object: JsonObject, key: string): JsonObject {
  const copy: JsonObject = {};
  for (const k of Object.keys(object)) if (k !== key) setOwn(copy, k, object[k]);
  return copy;
}

function directiveField(key: string, prefix: string, path: string): string {
  const field = key.slice(prefix.length);
  if (!field) throw bad(`directive ${describe(key)} at ${where(path)} names no field`);
  return field;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function where(path: string): string {
  return path ? `"${path}"` : 'the top level';
}

function bad(message: string): ApiError {
  return errors.badRequest(`invalid strategic merge patch: ${message}`);
}
