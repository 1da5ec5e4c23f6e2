/**
 * Rules ConfigMaps and Secrets share (k8s.io/kubernetes pkg/apis/core/validation): config
 * keys, the 1 MiB size limit, `immutable`, and Go's base64 for `[]byte` fields.
 */
import type { StatusCause } from '../api/status';
import { maxLenError, regexError, utf8Length, DNS1123_SUBDOMAIN_MAX_LENGTH } from '../validation';
import { fe } from './causes';
import { deepEqual, isObject, obj } from './util';

/** core.MaxSecretSize: the limit on a ConfigMap's or Secret's data, 1 MiB. */
export const MAX_SECRET_SIZE = 1024 * 1024;

const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_MAP_KEY_ERR =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const configMapKeyRe = new RegExp(`^${CONFIG_MAP_KEY_FMT}$`);

/** validation.IsConfigMapKey: the problems with `key` as a ConfigMap/Secret key. */
export function isConfigMapKey(key: string): string[] {
  const errs: string[] = [];
  if (utf8Length(key) > DNS1123_SUBDOMAIN_MAX_LENGTH)
    errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!configMapKeyRe.test(key))
    errs.push(
      regexError(CONFIG_MAP_KEY_ERR, CONFIG_MAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'),
    );
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** `Too long: must have at most 1048576 bytes` (field.TooLong), at `field`. */
export function tooLong(field: string, max: number): StatusCause {
  return {
    reason: 'FieldValueTooLong',
    field,
    message: `Too long: must have at most ${max} ${max === 1 ? 'byte' : 'bytes'}`,
  };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUES = new Map([...B64].map((c, i) => [c, i]));

/**
 * Go's `base64.StdEncoding.DecodeString` (how a `[]byte` JSON field decodes): padding is
 * required, `\r` and `\n` are skipped, anything else outside the alphabet is an error at
 * its offset — `illegal base64 data at input byte N`, with N as Go computes it.
 */
export function decodeBase64(
  s: string,
): { ok: true; bytes: Buffer } | { ok: false; error: string } {
  const fail = (at: number) => ({
    ok: false as const,
    error: `illegal base64 data at input byte ${at}`,
  });
  const out: number[] = [];
  let si = 0;
  const skipNewlines = () => {
    while (si < s.length && (s[si] === '\n' || s[si] === '\r')) si++;
  };
  while (si < s.length) {
    const quantum: number[] = [];
    let padded = false;
    for (let j = 0; j < 4; j++) {
      skipNewlines();
      if (si === s.length) {
        if (j === 0) return { ok: true, bytes: Buffer.from(out) };
        return fail(si - j);
      }
      const c = s[si]!;
      si++;
      if (c === '=') {
        if (j === 0 || j === 1) return fail(si - 1);
        if (j === 2) {
          skipNewlines();
          if (si === s.length) return fail(s.length);
          if (s[si] !== '=') return fail(si - 1);
          si++;
        }
        skipNewlines();
        if (si < s.length) return fail(si);
        padded = true;
        break;
      }
      const v = B64_VALUES.get(c);
      if (v === undefined) return fail(si - 1);
      quantum.push(v);
    }
    const [a = 0, b = 0, c = 0, d = 0] = quantum;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    const bytes = quantum.length - 1;
    if (bytes >= 1) out.push((n >> 16) & 0xff);
    if (bytes >= 2) out.push((n >> 8) & 0xff);
    if (bytes >= 3) out.push(n & 0xff);
    if (padded) break;
  }
  return { ok: true, bytes: Buffer.from(out) };
}

/**
 * Checks a `data`/`binaryData` map: keys are config keys (`<field>[<key>]` causes), base64
 * values decode when `base64` is set. Returns the byte size of the valid values.
 */
export function validateDataMap(
  map: unknown,
  field: string,
  opts: { base64: boolean; redact?: boolean },
  causes: StatusCause[],
): number {
  let size = 0;
  for (const key of Object.keys(obj(map)).sort()) {
    const value = obj(map)[key];
    const at = `${field}[${key}]`;
    for (const msg of isConfigMapKey(key)) causes.push(fe.invalid(at, key, msg));
    if (typeof value !== 'string') continue;
    if (!opts.base64) {
      size += utf8Length(value);
      continue;
    }
    const decoded = decodeBase64(value);
    if (decoded.ok) size += decoded.bytes.length;
    else
      causes.push(
        fe.invalid(at, opts.redact ? '<secret contents redacted>' : value, decoded.error),
      );
  }
  return size;
}

export const IMMUTABLE_MESSAGE = 'field is immutable when `immutable` is set';

/**
 * The update rule of immutable ConfigMaps and Secrets: once `immutable: true` is stored,
 * `immutable` cannot be unset and the given data fields cannot change (Forbidden causes,
 * worded as Kubernetes). An absent map and an empty one count as the same.
 */
export function immutableUpdateCauses(
  next: Record<string, unknown>,
  old: Record<string, unknown>,
  dataFields: readonly string[],
): StatusCause[] {
  if (old.immutable !== true) return [];
  const causes: StatusCause[] = [];
  if (next.immutable !== true) causes.push(fe.forbidden('immutable', IMMUTABLE_MESSAGE));
  for (const f of dataFields) {
    const a = isObject(next[f]) ? next[f] : {};
    const b = isObject(old[f]) ? old[f] : {};
    if (!deepEqual(a, b)) causes.push(fe.forbidden(f, IMMUTABLE_MESSAGE));
  }
  return causes;
}
