import { errors } from '@berth/core';

const NUL = '\u0000';

/** Where the first string (key or value) holding a NUL is in `value`, e.g. `metadata.name`; undefined if none. */
export function findNul(value: unknown, at = '', depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? at || '<body>' : undefined;
  if (value === null || typeof value !== 'object' || depth > 200) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${at}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const path = at ? `${at}.${key}` : key;
    if (key.includes(NUL)) return path;
    const found = findNul(item, path, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** 400 when a decoded body holds a NUL in any string (PostgreSQL cannot store one). */
export function refuseNulInBody(body: unknown): void {
  const at = findNul(body);
  if (at !== undefined)
    throw errors.badRequest(
      `the request body holds a NUL character (\\u0000) in a string at ${at.replaceAll(NUL, '\\u0000')}: NUL is not allowed in any string`,
    );
}
