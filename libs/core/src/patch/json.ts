/**
 * Small helpers for plain JSON values shared by the three patch implementations.
 *
 * Every object these helpers build is an ordinary object, and every property is read and
 * written as an *own* property, so a key such as `__proto__`, `constructor` or `toString`
 * in client input is treated as data and never reaches a prototype.
 */
import { errors } from '../api/status';

export type JsonPrimitive = string | number | boolean | null;
export type JsonObject = { [key: string]: JsonValue };
export type JsonArray = JsonValue[];
export type JsonValue = JsonPrimitive | JsonObject | JsonArray;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isPrimitive(value: unknown): value is JsonPrimitive {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

export function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** The own property `key` of `object`, or `undefined`. */
export function getOwn(object: JsonObject, key: string): JsonValue | undefined {
  return hasOwn(object, key) ? object[key] : undefined;
}

/** Sets an own, enumerable property, even for `__proto__`. */
export function setOwn(object: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    object[key] = value;
  }
}

/**
 * A deep copy of a JSON value. `undefined` inside objects is dropped (as JSON.stringify
 * would); anything that is not JSON (functions, symbols, bigints, class instances such
 * as Date, non-finite numbers) is rejected, so a patch can never smuggle it into an object.
 */
export function cloneJson(value: unknown, where = 'value'): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${where} is not a finite number`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => cloneJson(item, `${where}[${i}]`));
  if (typeof value === 'object') {
    // Plain objects only (from any realm): Object.prototype or no prototype at all.
    const proto = Object.getPrototypeOf(value);
    if (proto !== null && Object.getPrototypeOf(proto) !== null) {
      throw new TypeError(`${where} is not a plain JSON object`);
    }
    const copy: JsonObject = {};
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      setOwn(copy, key, cloneJson(item, `${where}.${key}`));
    }
    return copy;
  }
  throw new TypeError(`${where} is not a JSON value (${typeof value})`);
}

/** Structural equality of JSON values: object key order does not matter, array order does. */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/** A short rendering of a value for error messages. */
export function describe(value: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A deep copy of client input; anything that is not JSON is the client's mistake (400). */
export function clientValue(value: unknown, what: string): JsonValue {
  try {
    return cloneJson(value, what);
  } catch (err) {
    throw errors.badRequest(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}
