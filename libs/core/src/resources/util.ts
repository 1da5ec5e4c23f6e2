/**
 * Small defensive helpers for reading untrusted, already-decoded JSON. Everything here is
 * iterative (no recursion over the input), so hostile nesting depth cannot overflow the stack.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` if it is a plain JSON object, else `{}`. */
export function obj(v: unknown): JsonObject {
  return isObject(v) ? v : {};
}

/** `v` if it is an array, else `[]`. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `v` if it is a string, else `fallback`. */
export function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

/** `v` if it is a finite number, else `undefined`. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** A string map (labels, selectors): non-string values are skipped. */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/**
 * Deep copy of JSON-like data. Object keys whose value is `null` or `undefined` (or a function
 * or symbol) are dropped when `dropNulls` is set, as Kubernetes' decoder treats them as unset.
 * Objects met a second time (shared or cyclic references) are dropped too, so the result is
 * always a tree. Non-plain objects (Date, Map, class instances) are kept by reference.
 */
export function deepClone<T>(value: T, dropNulls = false): T {
  if (typeof value !== 'object' || value === null) return value;
  const seen = new Set<object>();
  const root: unknown = Array.isArray(value) ? [] : {};
  seen.add(value as object);
  const stack: Array<[unknown, unknown]> = [[value, root]];
  while (stack.length > 0) {
    const [src, dst] = stack.pop()!;
    if (Array.isArray(src)) {
      const out = dst as unknown[];
      for (let i = 0; i < src.length; i++) {
        const v: unknown = src[i];
        if (isCloneable(v)) {
          if (seen.has(v)) {
            out.push(null);
            continue;
          }
          seen.add(v);
          const child: unknown = Array.isArray(v) ? [] : {};
          out.push(child);
          stack.push([v, child]);
        } else {
          out.push(v);
        }
      }
    } else {
      const out = dst as JsonObject;
      for (const key of Object.keys(src as object)) {
        const v: unknown = (src as JsonObject)[key];
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        if (v === null && dropNulls) continue;
        if (isCloneable(v)) {
          if (seen.has(v)) continue;
          seen.add(v);
          const child: unknown = Array.isArray(v) ? [] : {};
          defineKey(out, key, child);
          stack.push([v, child]);
        } else {
          defineKey(out, key, v);
        }
      }
    }
  }
  return root as T;
}

function isCloneable(v: unknown): v is object {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  // Realm-independent (objects from structuredClone or another vm context count too).
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Assignment that is safe for keys like `__proto__` coming from JSON. */
function defineKey(target: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

/** Structural equality of JSON-like values (iterative). Missing keys equal `undefined`. */
export function deepEqual(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x)) {
      const ya = y as unknown[];
      if (x.length !== ya.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], ya[i]]);
      continue;
    }
    const xo = x as JsonObject;
    const yo = y as JsonObject;
    const keys = new Set([...Object.keys(xo), ...Object.keys(yo)]);
    for (const k of keys) {
      if (xo[k] === undefined && yo[k] === undefined) continue;
      stack.push([xo[k], yo[k]]);
    }
  }
  return true;
}

/**
 * Renders a value for an error message the way Kubernetes quotes it: strings in double
 * quotes, numbers and booleans bare, objects as (truncated) JSON. Never throws.
 */
export function formatValue(v: unknown, max = 120): string {
  let s: string;
  try {
    if (typeof v === 'string') {
      s = JSON.stringify(v.length > max ? `${v.slice(0, max)}...` : v);
      return s;
    }
    if (typeof v === 'bigint') s = v.toString();
    else if (v === undefined) s = 'null';
    else s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? '[...]' : typeof v === 'object' ? '{...}' : String(v);
  }
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

/** The JSON type name of a value, as OpenAPI validation messages print it. */
export function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'bigint') return 'integer';
  return typeof v;
}
