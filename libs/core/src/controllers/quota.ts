/**
 * The resource quota controller's decision (kubernetes pkg/controller/resourcequota and the
 * evaluators in pkg/quota/v1/evaluator/core): recompute `status.used` of a ResourceQuota
 * from the objects in its namespace, so any drift heals.
 *
 * Tracked: `pods`, `count/<resource>[.<group>]`, pod `requests.<name>` / `limits.<name>`
 * (and the bare `cpu`, `memory`, `ephemeral-storage` meaning requests), `services`,
 * `services.loadbalancers`, `services.nodeports`, `replicationcontrollers`,
 * `resourcequotas`, `secrets`, `configmaps`, `persistentvolumeclaims`, `requests.storage`.
 * Only keys present in `spec.hard` are reported. Terminal pods (and pods past their deletion
 * grace period) do not count. Scopes (Terminating, NotTerminating, BestEffort,
 * NotBestEffort, PriorityClass, CrossNamespacePodAffinity; `scopes` and `scopeSelector`)
 * select which pods count.
 */
import type { KubeObject } from '../api/types';
import { parseQuantity, Quantity } from '../quantity';
import { findResourceByKind, podQOSClass, qualifiedResource } from '../resources';
import {
  arr,
  metaOf,
  namespaceOf,
  num,
  obj,
  parseTime,
  str,
  stringMap,
  type JsonObject,
} from './util';

export interface ComputeQuotaOptions {
  /** For pods being deleted: past deletionTimestamp + grace they no longer count. */
  now?: Date;
}

type ResourceList = Map<string, Quantity>;

function quantity(v: unknown): Quantity | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return parseQuantity(v);
  } catch {
    return undefined;
  }
}

function list(v: unknown): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, raw] of Object.entries(obj(v))) {
    const q = quantity(raw);
    if (q) out.set(k, q);
  }
  return out;
}

function add(into: ResourceList, other: ResourceList): void {
  for (const [k, q] of other) into.set(k, (into.get(k) ?? Quantity.zero()).add(q));
}

function max(into: ResourceList, other: ResourceList): void {
  for (const [k, q] of other) {
    const cur = into.get(k);
    if (!cur || q.cmp(cur) > 0) into.set(k, q);
  }
}

/** A container's requests (defaulted from its limits, as the API does) or limits. */
function containerResources(c: JsonObject, which: 'requests' | 'limits'): ResourceList {
  const res = obj(c.resources);
  const out = list(res[which]);
  if (which === 'requests') {
    for (const [k, q] of list(res.limits)) if (!out.has(k)) out.set(k, q);
  }
  return out;
}

/**
 * A pod's effective requests or limits (resourcehelper.PodRequests / PodLimits): the sum
 * over containers and sidecars, at least the largest init container's need (with the
 * sidecars started before it), plus the pod overhead.
 */
export function podResources(pod: KubeObject, which: 'requests' | 'limits'): Map<string, Quantity> {
  const spec = obj(pod.spec);
  const total: ResourceList = new Map();
  for (const c of arr(spec.containers)) add(total, containerResources(obj(c), which));
  const sidecars: ResourceList = new Map();
  const initMax: ResourceList = new Map();
  for (const raw of arr(spec.initContainers)) {
    const c = obj(raw);
    const r = containerResources(c, which);
    let need: ResourceList;
    if (c.restartPolicy === 'Always') {
      add(total, r);
      add(sidecars, r);
      need = new Map(sidecars);
    } else {
      need = new Map(r);
      add(need, sidecars);
    }
    max(initMax, need);
  }
  max(total, initMax);
  add(total, list(spec.overhead));
  return total;
}

/** QuotaV1Pod: not terminal, and not past its deletion grace period. */
function podCounts(pod: KubeObject, now: Date | undefined): boolean {
  const phase = str(obj(pod.status).phase);
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const meta = metaOf(pod);
  const grace = num(meta.deletionGracePeriodSeconds);
  const deleted = parseTime(meta.deletionTimestamp);
  if (now && deleted !== undefined && grace !== undefined) {
    if (now.getTime() > deleted + grace * 1000) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Scopes
// ---------------------------------------------------------------------------------------------

interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values: string[];
}

function scopeRequirements(quota: KubeObject): ScopeRequirement[] {
  const spec = obj(quota.spec);
  const out: ScopeRequirement[] = arr(spec.scopes)
    .filter((s): s is string => typeof s === 'string')
    .map((scopeName) => ({ scopeName, operator: 'Exists', values: [] }));
  for (const e of arr(obj(spec.scopeSelector).matchExpressions)) {
    const x = obj(e);
    out.push({
      scopeName: str(x.scopeName),
      operator: str(x.operator),
      values: arr(x.values).filter((v): v is string => typeof v === 'string'),
    });
  }
  return out;
}

function hasCrossNamespaceAffinity(pod: KubeObject): boolean {
  const affinity = obj(obj(pod.spec).affinity);
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = obj(affinity[kind]);
    const terms = [
      ...arr(a.requiredDuringSchedulingIgnoredDuringExecution),
      ...arr(a.preferredDuringSchedulingIgnoredDuringExecution).map((p) => obj(p).podAffinityTerm),
    ];
    for (const t of terms) {
      const term = obj(t);
      if (arr(term.namespaces).length > 0 || term.namespaceSelector !== undefined) return true;
    }
  }
  return false;
}

function podMatchesScope(pod: KubeObject, r: ScopeRequirement): boolean {
  const spec = obj(pod.spec);
  let matches: boolean;
  switch (r.scopeName) {
    case 'Terminating':
      matches = typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0;
      break;
    case 'NotTerminating':
      matches = !(
        typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0
      );
      break;
    case 'BestEffort':
      matches = podQOSClass(pod.spec) === 'BestEffort';
      break;
    case 'NotBestEffort':
      matches = podQOSClass(pod.spec) !== 'BestEffort';
      break;
    case 'CrossNamespacePodAffinity':
      matches = hasCrossNamespaceAffinity(pod);
      break;
    case 'PriorityClass': {
      const pc = str(spec.priorityClassName);
      switch (r.operator) {
        case 'In':
          return r.values.includes(pc);
        case 'NotIn':
          return !r.values.includes(pc);
        case 'Exists':
          return pc !== '';
        case 'DoesNotExist':
          return pc === '';
        default:
          return false;
      }
    }
    default:
      return false;
  }
  return r.operator === 'DoesNotExist' ? !matches : matches;
}

// ---------------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------------

/** Plural resource names of kinds Berth does not serve but quotas commonly name. */
const EXTRA_KINDS: Record<string, string> = {
  'v1/ConfigMap': 'configmaps',
  'v1/Secret': 'secrets',
  'v1/PersistentVolumeClaim': 'persistentvolumeclaims',
  'v1/ReplicationController': 'replicationcontrollers',
  'v1/ServiceAccount': 'serviceaccounts',
  'apps/v1/StatefulSet': 'statefulsets.apps',
  'apps/v1/DaemonSet': 'daemonsets.apps',
  'batch/v1/Job': 'jobs.batch',
  'batch/v1/CronJob': 'cronjobs.batch',
};

/** `pods`, `services`, `deployments.apps`: the name `count/…` uses for an object's kind. */
export function quotaResourceName(o: KubeObject): string {
  const def = findResourceByKind(o.apiVersion, o.kind);
  if (def) return qualifiedResource(def);
  const extra = EXTRA_KINDS[`${o.apiVersion}/${o.kind}`];
  if (extra) return extra;
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  const lower = o.kind.toLowerCase();
  const plural = /(s|x|z|ch|sh)$/.test(lower)
    ? `${lower}es`
    : /[^aeiou]y$/.test(lower)
      ? `${lower.slice(0, -1)}ies`
      : `${lower}s`;
  return group ? `${plural}.${group}` : plural;
}

/** Legacy names that count objects of a kind. */
const LEGACY_COUNTS: Record<string, string> = {
  services: 'services',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
  secrets: 'secrets',
  configmaps: 'configmaps',
  persistentvolumeclaims: 'persistentvolumeclaims',
};

const BARE_REQUESTS = new Set(['cpu', 'memory', 'ephemeral-storage']);

function serviceNodePorts(svc: KubeObject): number {
  const spec = obj(svc.spec);
  const ports = arr(spec.ports).map(obj);
  if (spec.type === 'NodePort') return ports.length;
  if (spec.type === 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === false) {
      return ports.filter((p) => typeof p.nodePort === 'number' && p.nodePort > 0).length;
    }
    return ports.length;
  }
  return 0;
}

/**
 * `status.used` for `quota`, computed from `objects` (everything in its namespace: pods,
 * services, deployments, …; objects in other namespaces are ignored). Keys are exactly
 * those of `spec.hard`; values are canonical quantity strings. A key this code cannot
 * compute keeps its previous `status.used` value (or `0`).
 */
export function computeQuotaUsage(
  quota: KubeObject,
  objects: readonly KubeObject[],
  opts: ComputeQuotaOptions = {},
): Record<string, string> {
  const hard = Object.keys(obj(obj(quota.spec).hard)).sort();
  const previous = stringMap(obj(quota.status).used);
  const ns = namespaceOf(quota);
  const inNamespace = objects.filter((o) => !ns || namespaceOf(o) === ns);
  const scopes = scopeRequirements(quota);

  const byResource = new Map<string, KubeObject[]>();
  for (const o of inNamespace) {
    const name = quotaResourceName(o);
    const l = byResource.get(name) ?? [];
    l.push(o);
    byResource.set(name, l);
  }
  const pods = (byResource.get('pods') ?? []).filter(
    (p) => podCounts(p, opts.now) && scopes.every((r) => podMatchesScope(p, r)),
  );
  let requests: ResourceList | undefined;
  let limits: ResourceList | undefined;
  const podTotals = (which: 'requests' | 'limits'): ResourceList => {
    const total: ResourceList = new Map();
    for (const p of pods) add(total, podResources(p, which));
    return total;
  };
  const services = byResource.get('services') ?? [];
  const pvcs = byResource.get('persistentvolumeclaims') ?? [];

  const used: Record<string, string> = {};
  for (const key of hard) {
    let value: string | undefined;
    if (key === 'pods' || key === 'count/pods') {
      value = String(pods.length);
    } else if (key === 'requests.storage') {
      const total = pvcs.reduce(
        (sum, p) =>
          sum.add(quantity(obj(obj(obj(p.spec).resources).requests).storage) ?? Quantity.zero()),
        Quantity.zero(),
      );
      value = total.toString();
    } else if (BARE_REQUESTS.has(key) || key.startsWith('requests.')) {
      requests ??= podTotals('requests');
      const name = key.startsWith('requests.') ? key.slice('requests.'.length) : key;
      value = (requests.get(name) ?? Quantity.zero()).toString();
    } else if (key.startsWith('limits.')) {
      limits ??= podTotals('limits');
      value = (limits.get(key.slice('limits.'.length)) ?? Quantity.zero()).toString();
    } else if (key === 'services.loadbalancers') {
      value = String(services.filter((s) => obj(s.spec).type === 'LoadBalancer').length);
    } else if (key === 'services.nodeports') {
      value = String(services.reduce((n, s) => n + serviceNodePorts(s), 0));
    } else if (key.startsWith('count/')) {
      value = String((byResource.get(key.slice('count/'.length)) ?? []).length);
    } else if (LEGACY_COUNTS[key]) {
      value = String((byResource.get(LEGACY_COUNTS[key]) ?? []).length);
    }
    used[key] = value ?? previous[key] ?? '0';
  }
  return used;
}

/** The whole ResourceQuota status: `hard` (canonical copy of spec.hard) and `used`. */
export function quotaStatus(
  quota: KubeObject,
  objects: readonly KubeObject[],
  opts: ComputeQuotaOptions = {},
): { hard: Record<string, string>; used: Record<string, string> } {
  const hard: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(obj(quota.spec).hard))) {
    const q = quantity(v);
    hard[k] = q ? q.toString() : String(v);
  }
  return { hard, used: computeQuotaUsage(quota, objects, opts) };
}
