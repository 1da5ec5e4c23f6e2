// The `data` map of a ConfigMap or Secret as the dashboard's forms edit it: rows of
// `{key, value}` that remember the key they were loaded with, and the JSON Patch (RFC 6902)
// that turns the stored map into the edited one. A patch (not a PUT of the whole object)
// lets a Secret's key be renamed or removed, and another key's value replaced, without the
// browser ever reading the values it does not change.

export interface KeyValueRow {
  key?: string;
  value?: string;
  /** The key this row was loaded with (absent for a row the user added). */
  originalKey?: string;
}

export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move'; from: string; path: string };

/** Form rows `[{key, value}]` → a `data` map (the shape ConfigMaps and Secrets share). */
export function pairsToData(
  pairs: KeyValueRow[] | undefined,
  encode: (v: string) => string = (v) => v,
): Record<string, string> {
  return Object.fromEntries(
    (pairs ?? []).filter((p) => p.key).map((p) => [p.key as string, encode(p.value ?? '')]),
  );
}

/** The rows an edit form starts from; `withValues` false leaves values out (a Secret's). */
export function rowsOf(data: Record<string, string> | undefined, withValues = true): KeyValueRow[] {
  return Object.keys(data ?? {})
    .sort()
    .map((k) => ({ originalKey: k, key: k, ...(withValues ? { value: data![k] } : {}) }));
}

/** The keys more than one row names (a map has each key once). */
export function duplicateKeys(rows: KeyValueRow[] | undefined): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of rows ?? []) {
    if (!r.key) continue;
    if (seen.has(r.key)) dup.add(r.key);
    seen.add(r.key);
  }
  return [...dup];
}

/** A JSON Pointer segment (RFC 6901): `~` and `/` escaped. */
const seg = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

export interface DataPatchOptions {
  /** The object's resourceVersion: the patch applies to that version only (else 409). */
  resourceVersion: string;
  /** The map's field (`data`). */
  field?: string;
  /** How a value is stored (base64 for a Secret). */
  encode?: (v: string) => string;
  /**
   * Values are not known (a Secret's, unrevealed): an empty value on a loaded row keeps
   * the stored one; a non-empty one replaces it.
   */
  valuesHidden?: boolean;
  /** Also make the object immutable (a one-way switch, as in Kubernetes). */
  makeImmutable?: boolean;
}

/**
 * The JSON Patch from the stored map (`current`, undefined when the object has no such
 * field; a Secret's values may be '' when unknown) to the edited `rows`: a resourceVersion
 * precondition, removals, renames (moves, through temporary keys when a new name is another
 * row's old one), then the values that are new or changed.
 */
export function dataPatch(
  current: Record<string, string> | undefined,
  rows: KeyValueRow[],
  opts: DataPatchOptions,
): JsonPatchOp[] {
  const field = opts.field ?? 'data';
  const encode = opts.encode ?? ((v: string) => v);
  const at = (k: string) => `/${field}/${seg(k)}`;
  const stored = current ?? {};
  const ops: JsonPatchOp[] = [
    { op: 'replace', path: '/metadata/resourceVersion', value: opts.resourceVersion },
  ];
  const live = rows.filter((r) => r.key);
  const loaded = live.filter((r) => r.originalKey !== undefined && r.originalKey in stored);
  const kept = new Set(loaded.map((r) => r.originalKey as string));
  for (const k of Object.keys(stored).sort())
    if (!kept.has(k)) ops.push({ op: 'remove', path: at(k) });
  const renamed = loaded.filter((r) => r.key !== r.originalKey);
  // a→b with b→a (or b kept elsewhere): move through keys no row uses; the patch is applied
  // as one write, so the temporary keys are never stored.
  const collide = renamed.some((r) => (r.key as string) in stored);
  if (collide) {
    const tmp = (i: number) => `.berth-rename-${i}`;
    renamed.forEach((r, i) => ops.push({ op: 'move', from: at(r.originalKey!), path: at(tmp(i)) }));
    renamed.forEach((r, i) => ops.push({ op: 'move', from: at(tmp(i)), path: at(r.key!) }));
  } else {
    for (const r of renamed) ops.push({ op: 'move', from: at(r.originalKey!), path: at(r.key!) });
  }
  const values: JsonPatchOp[] = [];
  for (const r of live) {
    const value = r.value ?? '';
    const isLoaded = r.originalKey !== undefined && r.originalKey in stored;
    if (isLoaded) {
      if (opts.valuesHidden ? value === '' : value === stored[r.originalKey!]) continue;
    }
    values.push({ op: 'add', path: at(r.key!), value: encode(value) });
  }
  if (values.length && current === undefined) ops.push({ op: 'add', path: `/${field}`, value: {} });
  ops.push(...values);
  if (opts.makeImmutable) ops.push({ op: 'add', path: '/immutable', value: true });
  return ops;
}

/** Base64 of a text's UTF-8 bytes (how a Secret stores a value). */
export const toBase64 = (v: string) =>
  btoa(Array.from(new TextEncoder().encode(v), (b) => String.fromCharCode(b)).join(''));

/** The text a base64 value holds (UTF-8). */
export const fromBase64 = (v: string) =>
  new TextDecoder().decode(Uint8Array.from(atob(v), (c) => c.charCodeAt(0)));
