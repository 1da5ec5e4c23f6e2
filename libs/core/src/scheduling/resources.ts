/**
 * Resource arithmetic for scheduling: what a pod asks for and what a node offers, in the
 * integer units kube-scheduler uses (milli-CPU, bytes, pod slots, whole units of extended
 * resources). Everything is exact (bigint) except the pod count.
 */
import type { KubeObject } from '../api/types';
import { parseQuantity, Quantity } from '../quantity';
import { arr, isObject, obj } from '../resources/util';

export type Resources = {
  /** CPU in thousandths of a core (`500m` → 500n). */
  milliCpu: bigint;
  /** Memory in bytes. */
  memory: bigint;
  /** Pod slots (a pod's request is always 1). */
  pods: number;
  /** Local ephemeral storage in bytes. */
  ephemeralStorage: bigint;
  /**
   * Extended resources (`nvidia.com/gpu`), hugepages (`hugepages-2Mi`, in bytes) and
   * `attachable-volumes-*`, in whole units. Keys with a zero value may be absent.
   */
  scalar: Record<string, bigint>;
};

/** Node `pods` capacity assumed when a node reports none (the kubelet's default max-pods). */
export const DEFAULT_MAX_PODS = 110;
/** CPU a container without a CPU request counts as when scoring (kube-scheduler's 100m). */
export const DEFAULT_MILLI_CPU_REQUEST = 100n;
/** Memory a container without a memory request counts as when scoring (200Mi). */
export const DEFAULT_MEMORY_REQUEST = 200n * 1024n * 1024n;

export function zeroResources(): Resources {
  return { milliCpu: 0n, memory: 0n, pods: 0, ephemeralStorage: 0n, scalar: {} };
}

function mergeScalar(
  a: Record<string, bigint>,
  b: Record<string, bigint>,
  sign: 1n | -1n,
): Record<string, bigint> {
  const out: Record<string, bigint> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0n) + sign * v;
  return out;
}

/** `a + b`, as a new object. */
export function addResources(a: Resources, b: Resources): Resources {
  return {
    milliCpu: a.milliCpu + b.milliCpu,
    memory: a.memory + b.memory,
    pods: a.pods + b.pods,
    ephemeralStorage: a.ephemeralStorage + b.ephemeralStorage,
    scalar: mergeScalar(a.scalar, b.scalar, 1n),
  };
}

/** `a - b`, as a new object (components may go negative). */
export function subResources(a: Resources, b: Resources): Resources {
  return {
    milliCpu: a.milliCpu - b.milliCpu,
    memory: a.memory - b.memory,
    pods: a.pods - b.pods,
    ephemeralStorage: a.ephemeralStorage - b.ephemeralStorage,
    scalar: mergeScalar(a.scalar, b.scalar, -1n),
  };
}

/**
 * Whether `request` fits in `available`, with kube-scheduler's rule that a zero (or
 * negative) request always fits: only the dimensions the request actually uses are
 * compared, so a pod without requests still fits on an over-committed node (pod slots
 * aside). A scalar resource missing from `available` counts as 0.
 */
export function fitsIn(request: Resources, available: Resources): boolean {
  if (request.pods > 0 && request.pods > available.pods) return false;
  if (request.milliCpu > 0n && request.milliCpu > available.milliCpu) return false;
  if (request.memory > 0n && request.memory > available.memory) return false;
  if (request.ephemeralStorage > 0n && request.ephemeralStorage > available.ephemeralStorage) {
    return false;
  }
  for (const [k, v] of Object.entries(request.scalar)) {
    if (v > 0n && v > (available.scalar[k] ?? 0n)) return false;
  }
  return true;
}

/**
 * Kubernetes' `IsScalarResourceName`: extended resources (a domain-prefixed name),
 * `kubernetes.io/`-prefixed native resources, hugepages and attachable volumes. Other
 * unprefixed names (besides cpu, memory, ephemeral-storage and pods) are ignored, as
 * kube-scheduler ignores them.
 */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  return name.includes('/') && !name.startsWith('requests.');
}

function quantity(v: unknown): Quantity | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return parseQuantity(v);
  } catch {
    return undefined;
  }
}

/** A ResourceList as exact nano-unit amounts; unparsable or negative values are skipped. */
type NanoList = Map<string, bigint>;

function nanoList(list: unknown): NanoList {
  const out: NanoList = new Map();
  if (!isObject(list)) return out;
  for (const [k, v] of Object.entries(list)) {
    const q = quantity(v);
    if (q && q.sign() >= 0) out.set(k, q.nanoValue());
  }
  return out;
}

function addInto(target: NanoList, src: NanoList): void {
  for (const [k, v] of src) target.set(k, (target.get(k) ?? 0n) + v);
}

function maxInto(target: NanoList, src: NanoList): void {
  for (const [k, v] of src) {
    const cur = target.get(k);
    if (cur === undefined || v > cur) target.set(k, v);
  }
}

/** Resource names a pod may set at pod level (`spec.resources`). */
function isPodLevelResource(name: string): boolean {
  return name === 'cpu' || name === 'memory' || name.startsWith('hugepages-');
}

const NANO_PER_MILLI = 1_000_000n;
const NANO_PER_UNIT = 1_000_000_000n;

function containerRequests(c: unknown, nonMissing: boolean): NanoList {
  const resources = obj(obj(c).resources);
  const requests = obj(resources.requests);
  const list = nanoList(requests);
  // Extended resources cannot be overcommitted: a limit without a request is the request
  // (Kubernetes' defaulting copies it; a pod stored without that still counts it).
  for (const [k, v] of nanoList(resources.limits)) {
    if (isScalarResourceName(k) && !Object.hasOwn(requests, k)) list.set(k, v);
  }
  if (nonMissing) {
    // An explicit request, even zero, is kept; only missing ones get the defaults.
    if (!Object.hasOwn(requests, 'cpu'))
      list.set('cpu', DEFAULT_MILLI_CPU_REQUEST * NANO_PER_MILLI);
    if (!Object.hasOwn(requests, 'memory'))
      list.set('memory', DEFAULT_MEMORY_REQUEST * NANO_PER_UNIT);
  }
  return list;
}

/**
 * Kubernetes' `PodRequests`: the sum over containers, then the maximum with each init
 * container's need at the moment it runs (a regular init container's own requests plus
 * every restartable "sidecar" init container started before it; sidecars also add to the
 * long-running sum), then pod-level requests (`spec.resources.requests` for cpu, memory
 * and hugepages) replace the aggregate, then `spec.overhead` is added.
 *
 * With `nonMissing`, containers without a cpu/memory request count as 100m / 200Mi, which
 * is what kube-scheduler uses for scoring (`NonZeroRequested`).
 */
function podRequestNano(pod: KubeObject, nonMissing: boolean): NanoList {
  const spec = obj(pod.spec);
  const total: NanoList = new Map();
  for (const c of arr(spec.containers)) addInto(total, containerRequests(c, nonMissing));

  const sidecars: NanoList = new Map();
  const initPeak: NanoList = new Map();
  for (const c of arr(spec.initContainers)) {
    const own = containerRequests(c, nonMissing);
    if (obj(c).restartPolicy === 'Always') {
      addInto(total, own);
      addInto(sidecars, own);
      maxInto(initPeak, sidecars);
    } else {
      const combined: NanoList = new Map(own);
      addInto(combined, sidecars);
      maxInto(initPeak, combined);
    }
  }
  maxInto(total, initPeak);

  const podLevel = nanoList(obj(obj(spec.resources).requests));
  for (const [k, v] of podLevel) if (isPodLevelResource(k)) total.set(k, v);

  addInto(total, nanoList(spec.overhead));
  return total;
}

/** Nano-units → Kubernetes' MilliValue (rounded up). */
function toMilli(nano: bigint): bigint {
  return Quantity.fromNano(nano).milliValue();
}

/** Nano-units → Kubernetes' Value (rounded up). */
function toUnits(nano: bigint): bigint {
  return Quantity.fromNano(nano).value();
}

function resourcesFromNano(list: NanoList, pods: number): Resources {
  const r = zeroResources();
  r.pods = pods;
  for (const [k, v] of list) {
    if (k === 'cpu') r.milliCpu = toMilli(v);
    else if (k === 'memory') r.memory = toUnits(v);
    else if (k === 'ephemeral-storage') r.ephemeralStorage = toUnits(v);
    else if (k === 'pods') continue;
    else if (isScalarResourceName(k)) {
      const units = toUnits(v);
      if (units !== 0n) r.scalar[k] = units;
    }
  }
  return r;
}

/**
 * The effective request of a pod as kube-scheduler's resource-fit filter sees it (see
 * {@link podRequestNano}); missing requests count as zero; `pods` is 1.
 */
export function podRequests(pod: KubeObject): Resources {
  return resourcesFromNano(podRequestNano(pod, false), 1);
}

/** CPU and memory with kube-scheduler's scoring defaults for missing requests. */
export function podNonZeroRequests(pod: KubeObject): { milliCpu: bigint; memory: bigint } {
  const r = resourcesFromNano(podRequestNano(pod, true), 1);
  return { milliCpu: r.milliCpu, memory: r.memory };
}

/**
 * What a node offers: `status.allocatable`, or `status.capacity` when a node reports no
 * allocatable at all; `pods` defaults to {@link DEFAULT_MAX_PODS} when absent.
 */
export function nodeAllocatable(node: KubeObject): Resources {
  const status = obj(node.status);
  const list = isObject(status.allocatable) ? status.allocatable : obj(status.capacity);
  const r = resourcesFromNano(nanoList(list), DEFAULT_MAX_PODS);
  const pods = quantity(list.pods);
  if (pods && pods.sign() >= 0) {
    const n = pods.value();
    r.pods = n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
  }
  return r;
}

/**
 * The dimensions besides cpu, memory and pods that a {@link Resources} holds with a
 * positive amount — `ephemeral-storage` and every scalar (extended) resource — by their
 * Kubernetes names, sorted. What a store sums for these beside cpu and memory.
 */
export function otherResources(r: Resources): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  if (r.ephemeralStorage > 0n) out['ephemeral-storage'] = r.ephemeralStorage;
  for (const k of Object.keys(r.scalar).sort()) {
    const v = r.scalar[k]!;
    if (v > 0n) out[k] = v;
  }
  return out;
}
