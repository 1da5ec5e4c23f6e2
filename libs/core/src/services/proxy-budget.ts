/**
 * A node proxy's listener budget, pure: which Services it serves when their listeners do
 * not all fit. Whole Services only (a Service with half its ports is a broken Service),
 * in creation order (the oldest first, then by `namespace/name`), each one that still fits
 * taken (first fit): a new Service never takes listeners from an older one, and every
 * proxy with the same budget makes the same choice.
 */
import type { KubeObject } from '../api/types';
import { str } from '../resources/util';
import { proxyRules } from './proxy-rules';

export interface BudgetCandidate {
  /** `namespace/name`. */
  key: string;
  /** RFC 3339, as in `metadata.creationTimestamp` ('' sorts first). */
  creationTimestamp: string;
  /** Listeners it needs on this node (cluster IP ports and node ports). */
  listeners: number;
}

export interface RefusedService {
  key: string;
  listeners: number;
  /** Listeners still free when its turn came. */
  free: number;
}

export interface BudgetPlan {
  /** The Services served (keys). */
  served: Set<string>;
  /** The Services left out, in the order they were considered. */
  refused: RefusedService[];
  /** Listeners the served Services take. */
  used: number;
}

/** The listeners `service` needs on a node at `nodeIP` (what proxyRules listens on). */
export function proxyListenerCount(service: KubeObject, nodeIP: string): number {
  let n = 0;
  for (const rule of proxyRules(service, undefined, nodeIP).rules) n += rule.listen.length;
  return n;
}

export function budgetCandidate(service: KubeObject, nodeIP: string): BudgetCandidate {
  return {
    key: `${service.metadata.namespace ?? ''}/${service.metadata.name ?? ''}`,
    creationTimestamp: str(service.metadata.creationTimestamp),
    listeners: proxyListenerCount(service, nodeIP),
  };
}

function byAge(a: BudgetCandidate, b: BudgetCandidate): number {
  if (a.creationTimestamp !== b.creationTimestamp)
    return a.creationTimestamp < b.creationTimestamp ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Chooses the Services served within `budget` listeners (see the module comment). */
export function planListenerBudget(
  candidates: Iterable<BudgetCandidate>,
  budget: number,
): BudgetPlan {
  const served = new Set<string>();
  const refused: RefusedService[] = [];
  let used = 0;
  for (const c of [...candidates].sort(byAge)) {
    if (used + c.listeners <= budget) {
      used += c.listeners;
      served.add(c.key);
    } else {
      refused.push({ key: c.key, listeners: c.listeners, free: budget - used });
    }
  }
  return { served, refused, used };
}
