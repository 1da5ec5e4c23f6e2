/**
 * Kubernetes' LimitRanger admission for pods, pure: containers without requests or limits
 * get the namespace's `defaultRequest` / `default`, then every container (type Container)
 * and the pod as a whole (type Pod) must stay within `min`, `max` and
 * `maxLimitRequestRatio`. Messages follow Kubernetes' wording.
 */
import type { KubeObject } from '../api/types';
import { parseQuantity, type Quantity } from '../quantity';

type Resources = Record<string, string>;

interface Container {
  name?: string;
  resources?: { requests?: Resources; limits?: Resources };
}

function q(v: unknown): Quantity | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return parseQuantity(v);
  } catch {
    return undefined;
  }
}

function items(limitRanges: readonly KubeObject[], type: string): Array<Record<string, Resources>> {
  return limitRanges.flatMap((lr) => {
    const limits = (lr.spec as { limits?: unknown[] } | undefined)?.limits;
    return Array.isArray(limits)
      ? (limits.filter(
          (l) => typeof l === 'object' && l !== null && (l as { type?: string }).type === type,
        ) as Array<Record<string, Resources>>)
      : [];
  });
}

function containersOf(pod: KubeObject): Container[] {
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
}

/**
 * Fills defaults into `pod` in place (a private copy the caller owns): a limit from
 * `default` where the container has none, a request from `defaultRequest` — or, failing
 * that, from its limit, as Kubernetes defaults requests to limits.
 */
export function applyLimitRangeDefaults(pod: KubeObject, limitRanges: readonly KubeObject[]): void {
  const ranges = items(limitRanges, 'Container');
  if (!ranges.length) return;
  for (const c of containersOf(pod)) {
    const resources = (c.resources ??= {});
    for (const range of ranges) {
      for (const [name, value] of Object.entries(range.default ?? {})) {
        resources.limits ??= {};
        if (resources.limits[name] === undefined) resources.limits[name] = value;
      }
      for (const [name, value] of Object.entries(range.defaultRequest ?? {})) {
        resources.requests ??= {};
        if (resources.requests[name] === undefined) resources.requests[name] = value;
      }
    }
    for (const [name, value] of Object.entries(resources.limits ?? {})) {
      resources.requests ??= {};
      if (resources.requests[name] === undefined) resources.requests[name] = value;
    }
  }
}

function check(
  kind: 'Container' | 'Pod',
  range: Record<string, Resources>,
  requests: Map<string, Quantity>,
  limits: Map<string, Quantity>,
  problems: string[],
): void {
  for (const [name, raw] of Object.entries(range.min ?? {})) {
    const min = q(raw);
    if (!min) continue;
    const req = requests.get(name);
    const lim = limits.get(name);
    if (!req)
      problems.push(`minimum ${name} usage per ${kind} is ${raw}.  No request is specified`);
    else if (req.cmp(min) < 0)
      problems.push(
        `minimum ${name} usage per ${kind} is ${raw}, but request is ${req.toString()}`,
      );
    if (lim && lim.cmp(min) < 0)
      problems.push(`minimum ${name} usage per ${kind} is ${raw}, but limit is ${lim.toString()}`);
  }
  for (const [name, raw] of Object.entries(range.max ?? {})) {
    const max = q(raw);
    if (!max) continue;
    const req = requests.get(name);
    const lim = limits.get(name);
    if (!lim) problems.push(`maximum ${name} usage per ${kind} is ${raw}.  No limit is specified`);
    else if (lim.cmp(max) > 0)
      problems.push(`maximum ${name} usage per ${kind} is ${raw}, but limit is ${lim.toString()}`);
    else if (req && req.cmp(max) > 0)
      problems.push(
        `maximum ${name} usage per ${kind} is ${raw}, but request is ${req.toString()}`,
      );
  }
  for (const [name, raw] of Object.entries(range.maxLimitRequestRatio ?? {})) {
    const ratio = q(raw);
    const req = requests.get(name);
    const lim = limits.get(name);
    if (!ratio || !lim) continue;
    if (!req || req.isZero()) {
      problems.push(
        `${name} max limit to request ratio per ${kind} is ${raw}, but no request is specified or request is 0`,
      );
      continue;
    }
    const actual = Number(lim.milliValue()) / Number(req.milliValue());
    if (actual > Number(ratio.milliValue()) / 1000)
      problems.push(
        `${name} max limit to request ratio per ${kind} is ${raw}, but provided ratio is ${actual.toFixed(6)}`,
      );
  }
}

function toMap(r: Resources | undefined): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [k, v] of Object.entries(r ?? {})) {
    const parsed = q(v);
    if (parsed) out.set(k, parsed);
  }
  return out;
}

/** What in `pod` (already defaulted) breaks the namespace's limit ranges; empty when fine. */
export function limitRangeViolations(
  pod: KubeObject,
  limitRanges: readonly KubeObject[],
): string[] {
  const problems: string[] = [];
  const containers = containersOf(pod);
  for (const range of items(limitRanges, 'Container'))
    for (const c of containers)
      check('Container', range, toMap(c.resources?.requests), toMap(c.resources?.limits), problems);
  const podRanges = items(limitRanges, 'Pod');
  if (podRanges.length) {
    const sum = (which: 'requests' | 'limits') => {
      const total = new Map<string, Quantity>();
      for (const c of (pod.spec as { containers?: Container[] } | undefined)?.containers ?? [])
        for (const [k, v] of toMap(c.resources?.[which])) total.set(k, total.get(k)?.add(v) ?? v);
      return total;
    };
    const requests = sum('requests');
    const limits = sum('limits');
    for (const range of podRanges) check('Pod', range, requests, limits, problems);
  }
  return problems;
}

/** Kubernetes' aggregate: one problem as itself, several as `[a, b]`. */
export function limitRangeMessage(pod: KubeObject, problems: readonly string[]): string {
  const detail = problems.length === 1 ? problems[0] : `[${problems.join(', ')}]`;
  return `pods "${pod.metadata.name ?? ''}" is forbidden: ${detail}`;
}
