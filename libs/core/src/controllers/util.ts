/**
 * Helpers the reconcile decisions share: reading pods, owner references, claiming
 * (adopt/release) like Kubernetes' ControllerRefManager, time parsing, int-or-percent,
 * stable hashing and name suffixes. Everything here is pure and never mutates its inputs.
 */
import type { KubeObject, OwnerReference } from '../api/types';
import { matchesLabels, type LabelSelector } from '../selectors';
import { arr, num, obj, str, stringMap, type JsonObject } from '../resources/util';

export { arr, num, obj, str, stringMap, type JsonObject };

/**
 * A deep copy. Unlike `resources/util`'s deepClone (which drops objects met twice), shared
 * references survive: objects built in code often share a labels map between metadata and
 * selector.
 */
export function deepClone<T>(value: T): T {
  return structuredClone(value);
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/** Milliseconds since the epoch of an RFC 3339 timestamp, or undefined. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

// ---------------------------------------------------------------------------------------------
// Object metadata
// ---------------------------------------------------------------------------------------------

export function metaOf(o: KubeObject): JsonObject {
  return obj(o.metadata);
}

export function nameOf(o: KubeObject): string {
  return str(metaOf(o).name);
}

export function namespaceOf(o: KubeObject): string {
  return str(metaOf(o).namespace);
}

export function uidOf(o: KubeObject): string {
  return str(metaOf(o).uid);
}

export function isBeingDeleted(o: KubeObject): boolean {
  return str(metaOf(o).deletionTimestamp) !== '';
}

export function labelsOf(o: KubeObject): Record<string, string> {
  return stringMap(metaOf(o).labels);
}

export function annotationsOf(o: KubeObject): Record<string, string> {
  return stringMap(metaOf(o).annotations);
}

export function ownerReferencesOf(o: KubeObject): OwnerReference[] {
  return arr(metaOf(o).ownerReferences)
    .map(obj)
    .filter((r) => typeof r.uid === 'string')
    .map((r) => r as unknown as OwnerReference);
}

/** The owner reference with `controller: true`, if any (metav1.GetControllerOf). */
export function controllerRefOf(o: KubeObject): OwnerReference | undefined {
  return ownerReferencesOf(o).find((r) => r.controller === true);
}

export function isControlledBy(o: KubeObject, ownerUid: string): boolean {
  return ownerUid !== '' && controllerRefOf(o)?.uid === ownerUid;
}

/** A controller reference to `owner` (metav1.NewControllerRef). */
export function newControllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: nameOf(owner),
    uid: uidOf(owner),
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A copy of `o` with `ref` appended to its owner references. */
export function withOwnerRef(o: KubeObject, ref: OwnerReference): KubeObject {
  const copy = deepClone(o);
  const meta = obj(copy.metadata);
  meta.ownerReferences = [...ownerReferencesOf(o).filter((r) => r.uid !== ref.uid), { ...ref }];
  copy.metadata = meta;
  return copy;
}

/** A copy of `o` without the owner references whose uid is in `uids`. */
export function withoutOwnerRefs(o: KubeObject, uids: readonly string[]): KubeObject {
  const copy = deepClone(o);
  const meta = obj(copy.metadata);
  const remaining = ownerReferencesOf(o).filter((r) => !uids.includes(r.uid));
  if (remaining.length > 0) meta.ownerReferences = remaining;
  else delete meta.ownerReferences;
  copy.metadata = meta;
  return copy;
}

/** A copy of `o` without `finalizer`. */
export function withoutFinalizer(o: KubeObject, finalizer: string): KubeObject {
  const copy = deepClone(o);
  const meta = obj(copy.metadata);
  const remaining = arr(meta.finalizers).filter((f) => f !== finalizer);
  if (remaining.length > 0) meta.finalizers = remaining;
  else delete meta.finalizers;
  copy.metadata = meta;
  return copy;
}

export function finalizersOf(o: KubeObject): string[] {
  return arr(metaOf(o).finalizers).filter((f): f is string => typeof f === 'string');
}

/** Oldest first, then by name (controller.ReplicaSetsByCreationTimestamp). */
export function compareByCreation(a: KubeObject, b: KubeObject): number {
  const ta = parseTime(metaOf(a).creationTimestamp) ?? 0;
  const tb = parseTime(metaOf(b).creationTimestamp) ?? 0;
  if (ta !== tb) return ta - tb;
  return compareStrings(nameOf(a), nameOf(b));
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Claiming (ControllerRefManager.ClaimObject)
// ---------------------------------------------------------------------------------------------

export interface ClaimResult {
  /** Objects this owner controls and that match its selector (including those adopted now). */
  owned: KubeObject[];
  /** Orphans to adopt: copies with the controller reference added, ready to write. */
  adopt: KubeObject[];
  /** Owned objects that no longer match: copies with the owner's reference removed. */
  release: KubeObject[];
}

/**
 * Decides, like Kubernetes' ControllerRefManager, which candidates `owner` controls:
 * objects with a controller reference to another uid are left alone; owned objects that
 * no longer match `selector` are released; orphans (no controller reference) that match
 * and are not being deleted are adopted — unless the owner itself is being deleted.
 * Candidates outside the owner's namespace are ignored.
 */
export function claimObjects(
  owner: KubeObject,
  selector: LabelSelector,
  candidates: readonly KubeObject[],
  controllerRef: OwnerReference = newControllerRef(owner),
): ClaimResult {
  const ownerUid = uidOf(owner);
  const ownerNs = namespaceOf(owner);
  const ownerDeleting = isBeingDeleted(owner);
  const result: ClaimResult = { owned: [], adopt: [], release: [] };
  for (const candidate of candidates) {
    if (namespaceOf(candidate) !== ownerNs) continue;
    const ref = controllerRefOf(candidate);
    const matches = matchesLabels(selector, labelsOf(candidate));
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (matches) result.owned.push(candidate);
      else if (!ownerDeleting) result.release.push(withoutOwnerRefs(candidate, [ownerUid]));
      continue;
    }
    if (!matches || ownerDeleting || ownerUid === '' || isBeingDeleted(candidate)) continue;
    result.adopt.push(withOwnerRef(candidate, controllerRef));
    result.owned.push(candidate);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Pods
// ---------------------------------------------------------------------------------------------

export function podPhase(pod: KubeObject): string {
  return str(obj(pod.status).phase);
}

export function isPodTerminal(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Not terminal and not being deleted (controller.IsPodActive). */
export function isPodActive(pod: KubeObject): boolean {
  return !isPodTerminal(pod) && !isBeingDeleted(pod);
}

export function podNodeName(pod: KubeObject): string {
  return str(obj(pod.spec).nodeName);
}

export function podCondition(pod: KubeObject, type: string): JsonObject | undefined {
  return arr(obj(pod.status).conditions)
    .map(obj)
    .find((c) => c.type === type);
}

export function isPodReady(pod: KubeObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** When the pod last became ready (its Ready condition's lastTransitionTime), if ready. */
export function podReadySince(pod: KubeObject): number | undefined {
  const c = podCondition(pod, 'Ready');
  if (c?.status !== 'True') return undefined;
  return parseTime(c.lastTransitionTime);
}

/**
 * When a pod becomes (or became) available: ready for at least `minReadySeconds`
 * (podutil.IsPodAvailable). Undefined when it is not ready, or ready with an unknown
 * transition time while minReadySeconds > 0.
 */
export function podAvailableAt(pod: KubeObject, minReadySeconds: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (minReadySeconds <= 0) return -Infinity;
  const since = podReadySince(pod);
  return since === undefined ? undefined : since + minReadySeconds * 1000;
}

/** Ready for at least `minReadySeconds` at `now` (strictly after, as Kubernetes compares). */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: Date): boolean {
  const at = podAvailableAt(pod, minReadySeconds);
  if (at === undefined) return false;
  return at === -Infinity || at < now.getTime();
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
  lastProbeTime?: string;
}

export function conditionsOf(status: unknown): Condition[] {
  return arr(obj(status).conditions)
    .map(obj)
    .filter((c) => typeof c.type === 'string')
    .map((c) => ({ ...c }) as unknown as Condition);
}

// ---------------------------------------------------------------------------------------------
// Int or percent (intstr.GetScaledValueFromIntOrPercent)
// ---------------------------------------------------------------------------------------------

/**
 * Resolves `25%` of `total` (rounding up or down) or a plain integer. Invalid values resolve
 * to `fallback`, as validation is the API's job.
 */
export function scaledValue(v: unknown, total: number, roundUp: boolean, fallback = 0): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.max(0, Math.trunc(v));
  if (typeof v === 'string') {
    const m = /^([0-9]+)%$/.exec(v);
    if (m) {
      const product = Number(m[1]) * total;
      return roundUp ? Math.ceil(product / 100) : Math.floor(product / 100);
    }
    if (/^[0-9]+$/.test(v)) return Number(v);
  }
  return fallback;
}

// ---------------------------------------------------------------------------------------------
// Hashing and names
// ---------------------------------------------------------------------------------------------

/** UTF-8 bytes of a string (no TextEncoder dependency needed, but it is standard). */
function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** 32-bit FNV-1a over `data`, continuing from `hash` (hash/fnv New32a). */
export function fnv32a(data: string | Uint8Array, hash = 0x811c9dc5): number {
  const bytes = typeof data === 'string' ? utf8(data) : data;
  let h = hash >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** 64-bit FNV-1a of a string, as 16 lowercase hex digits. */
export function fnv64aHex(data: string): string {
  let h = FNV64_OFFSET;
  for (const b of utf8(data)) {
    h ^= BigInt(b);
    h = (h * FNV64_PRIME) & MASK64;
  }
  return h.toString(16).padStart(16, '0');
}

/** Consonants and digits that cannot spell words (k8s.io/apimachinery/pkg/util/rand). */
export const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: maps each character onto {@link SAFE_ALPHANUMS}. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

/** Produces the random part of generated names (`web-7d4b9-<suffix>`). */
export type NameSuffixGenerator = () => string;

/** Five characters from {@link SAFE_ALPHANUMS}, like the API server's generateName. */
export const randomNameSuffix: NameSuffixGenerator = () => {
  const bytes = new Uint8Array(5);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let out = '';
  for (const b of bytes) out += SAFE_ALPHANUMS[b % SAFE_ALPHANUMS.length];
  return out;
};

/** Maximum length of generated-name prefixes (names.SimpleNameGenerator keeps 58). */
const MAX_GENERATED_PREFIX = 58;

/** `<prefix><suffix>` with the prefix cut like Kubernetes' SimpleNameGenerator. */
export function generatedName(generateName: string, suffix: string): string {
  const base =
    generateName.length > MAX_GENERATED_PREFIX
      ? generateName.slice(0, MAX_GENERATED_PREFIX)
      : generateName;
  return `${base}${suffix}`;
}

/**
 * JSON with object keys sorted at every level and `undefined` members dropped: the same
 * value always gives the same text, whatever order its keys were written in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted = Object.create(null) as JsonObject;
    for (const k of Object.keys(v as JsonObject).sort()) sorted[k] = (v as JsonObject)[k];
    return sorted;
  });
}
