/**
 * JSON Patch, RFC 6902 (`application/json-patch+json`), with JSON Pointers (RFC 6901).
 *
 * As in the Kubernetes API server: a malformed patch document is a 400 BadRequest, an
 * operation that cannot be applied to this object (missing path, failed `test`, index out
 * of range) is a 422 Invalid, and more than 10 000 operations is a 413. The patch works on
 * a copy, so it applies completely or not at all, and neither input is modified.
 */
import { ApiError, errors } from '../api/status';
import {
  JsonArray,
  JsonObject,
  JsonValue,
  clientValue,
  cloneJson,
  describe,
  hasOwn,
  isObject,
  jsonEqual,
  setOwn,
} from './json';

export const JSON_PATCH_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;
export type JsonPatchOpName = (typeof JSON_PATCH_OPS)[number];

/** The wire form of one operation. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/** Kubernetes' limit (`maxJSONPatchOperations`). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

export interface ParsedJsonPatchOperation {
  index: number;
  op: JsonPatchOpName;
  path: string;
  tokens: string[];
  from?: string;
  fromTokens?: string[];
  value?: JsonValue;
}

export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  const operations = parseJsonPatch(ops);
  let doc = cloneJson(target, 'target');
  for (const operation of operations) doc = apply(doc, operation);
  return doc;
}

/** Checks the shape of a JSON patch document; throws 400 naming the operation at fault. */
export function parseJsonPatch(ops: unknown): ParsedJsonPatchOperation[] {
  if (!Array.isArray(ops)) {
    throw errors.badRequest(
      `invalid JSON patch: expected a JSON array of operations, got ${kindOf(ops)}`,
    );
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw errors.tooLarge(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  return ops.map((raw: unknown, index) => {
    const bad = (why: string) =>
      errors.badRequest(`invalid JSON patch: operation ${index}${opLabel(raw)}: ${why}`);
    if (!isObject(raw)) throw bad(`expected an object, got ${kindOf(raw)}`);
    const op = hasOwn(raw, 'op') ? raw.op : undefined;
    if (typeof op !== 'string' || !(JSON_PATCH_OPS as readonly string[]).includes(op)) {
      throw bad(
        `"op" must be one of ${JSON_PATCH_OPS.join(', ')}` +
          (op === undefined ? ' but is missing' : `, got ${describe(op)}`),
      );
    }
    const pointer = (member: 'path' | 'from'): [string, string[]] => {
      const text = hasOwn(raw, member) ? raw[member] : undefined;
      if (typeof text !== 'string') {
        throw bad(
          text === undefined
            ? `missing "${member}"`
            : `"${member}" must be a string, got ${kindOf(text)}`,
        );
      }
      try {
        return [text, parsePointer(text)];
      } catch (err) {
        throw bad(`"${member}": ${(err as Error).message}`);
      }
    };
    const [path, tokens] = pointer('path');
    const operation: ParsedJsonPatchOperation = { index, op: op as JsonPatchOpName, path, tokens };
    if (op === 'move' || op === 'copy') {
      [operation.from, operation.fromTokens] = pointer('from');
    }
    if (op === 'add' || op === 'replace' || op === 'test') {
      if (!hasOwn(raw, 'value')) throw bad('missing "value"');
      operation.value = clientValue(raw.value, `operation ${index} "value"`);
    }
    return operation;
  });
}

/** RFC 6901: `""` is the whole document; otherwise `/`-separated tokens, `~1` is `/`, `~0` is `~`. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw errors.badRequest(
      `invalid JSON pointer ${describe(pointer)}: must be empty or start with "/"`,
    );
  }
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) {
        throw errors.badRequest(
          `invalid JSON pointer ${describe(pointer)}: "~" must be followed by "0" or "1"`,
        );
      }
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** The inverse of parsePointer, for building patches. */
export function formatPointer(tokens: readonly string[]): string {
  return tokens.map((t) => '/' + t.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function apply(doc: JsonValue, o: ParsedJsonPatchOperation): JsonValue {
  switch (o.op) {
    case 'add':
      return add(doc, o, o.tokens, o.path, cloneJson(o.value));
    case 'remove':
      return remove(doc, o, o.tokens, o.path);
    case 'replace':
      return replace(doc, o, cloneJson(o.value));
    case 'move': {
      if (o.from === o.path) {
        get(doc, o, o.fromTokens!, o.from!); // RFC: still an error if it does not exist
        return doc;
      }
      if (isProperPrefix(o.fromTokens!, o.tokens)) {
        throw failed(o, `cannot move ${describe(o.from)} into its own child ${describe(o.path)}`);
      }
      const value = get(doc, o, o.fromTokens!, o.from!);
      return add(remove(doc, o, o.fromTokens!, o.from!), o, o.tokens, o.path, value);
    }
    case 'copy':
      return add(doc, o, o.tokens, o.path, cloneJson(get(doc, o, o.fromTokens!, o.from!)));
    case 'test': {
      const actual = get(doc, o, o.tokens, o.path);
      if (!jsonEqual(actual, o.value!)) {
        throw failed(
          o,
          `test failed: value at ${describe(o.path)} is ${describe(actual)}, expected ${describe(o.value)}`,
        );
      }
      return doc;
    }
  }
}

function add(
  doc: JsonValue,
  o: ParsedJsonPatchOperation,
  tokens: string[],
  path: string,
  value: JsonValue,
) {
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, o, tokens, path);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : arrayIndex(o, parent, key, path, true);
    parent.splice(index, 0, value);
  } else {
    setOwn(parent, key, value);
  }
  return doc;
}

function remove(doc: JsonValue, o: ParsedJsonPatchOperation, tokens: string[], path: string) {
  if (tokens.length === 0) throw failed(o, 'cannot remove the whole document');
  const { parent, key } = parentOf(doc, o, tokens, path);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(o, parent, key, path, false), 1);
  } else {
    if (!hasOwn(parent, key)) throw missing(o, path);
    delete parent[key];
  }
  return doc;
}

function replace(doc: JsonValue, o: ParsedJsonPatchOperation, value: JsonValue) {
  if (o.tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, o, o.tokens, o.path);
  if (Array.isArray(parent)) {
    parent[arrayIndex(o, parent, key, o.path, false)] = value;
  } else {
    if (!hasOwn(parent, key)) throw missing(o, o.path);
    setOwn(parent, key, value);
  }
  return doc;
}

function get(
  doc: JsonValue,
  o: ParsedJsonPatchOperation,
  tokens: string[],
  path: string,
): JsonValue {
  let current = doc;
  for (const token of tokens) {
    const next = child(current, token);
    if (next === undefined) throw missing(o, path);
    current = next;
  }
  return current;
}

/** The container that holds the last token, which must itself exist. */
function parentOf(
  doc: JsonValue,
  o: ParsedJsonPatchOperation,
  tokens: string[],
  path: string,
): { parent: JsonObject | JsonArray; key: string } {
  const parent = get(doc, o, tokens.slice(0, -1), path);
  if (!isObject(parent) && !Array.isArray(parent)) {
    throw failed(o, `cannot address ${describe(path)}: its parent is ${kindOf(parent)}`);
  }
  return { parent, key: tokens[tokens.length - 1] };
}

function child(container: JsonValue, token: string): JsonValue | undefined {
  if (Array.isArray(container)) {
    if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
    const index = Number(token);
    return index < container.length ? container[index] : undefined;
  }
  if (isObject(container)) return hasOwn(container, token) ? container[token] : undefined;
  return undefined;
}

function arrayIndex(
  o: ParsedJsonPatchOperation,
  array: JsonArray,
  token: string,
  path: string,
  insert: boolean,
) {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) {
    throw failed(
      o,
      `${describe(token)} in ${describe(path)} is not a valid array index` +
        (token === '-' ? ' ("-" may only be used to append with "add")' : ''),
    );
  }
  const index = Number(token);
  const max = insert ? array.length : array.length - 1;
  if (index > max) {
    throw failed(
      o,
      `index ${index} in ${describe(path)} is out of range (array length ${array.length})`,
    );
  }
  return index;
}

function isProperPrefix(prefix: string[], tokens: string[]): boolean {
  return prefix.length < tokens.length && prefix.every((t, i) => t === tokens[i]);
}

function missing(o: ParsedJsonPatchOperation, path: string): ApiError {
  return failed(o, `path ${describe(path)} does not exist`);
}

function failed(o: ParsedJsonPatchOperation, why: string): ApiError {
  const message = `JSON patch operation ${o.index} (${o.op} ${describe(o.path)}) cannot be applied: ${why}`;
  return new ApiError(422, 'Invalid', message, {
    causes: [{ reason: 'FieldValueInvalid', message: why, field: o.path }],
  });
}

function opLabel(raw: unknown): string {
  return isObject(raw) && typeof raw.op === 'string' && hasOwn(raw, 'op')
    ? ` (${raw.op.slice(0, 20)})`
    : '';
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
