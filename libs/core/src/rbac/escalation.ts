/**
 * Escalation prevention: a user may only create or update a Role/ClusterRole, or bind one,
 * when they already hold every permission it grants — Kubernetes' `validation.Covers`,
 * `BreakdownRule`, `CompactRules` and `ConfirmNoEscalation`'s message.
 */
import { compactRuleString, goQuote, goQuoteList } from './messages';
import type { PolicyRule, RbacUser } from './types';

const list = (v: readonly string[] | undefined): readonly string[] => v ?? [];

/**
 * Splits a rule into atomic rules of one API group × resource × verb (× resource name), and
 * one non-resource URL × verb — Kubernetes' `BreakdownRule`.
 */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const names = list(rule.resourceNames);
  for (const group of list(rule.apiGroups)) {
    for (const resource of list(rule.resources)) {
      for (const verb of list(rule.verbs)) {
        if (names.length > 0) {
          for (const name of names) {
            out.push({
              apiGroups: [group],
              resources: [resource],
              verbs: [verb],
              resourceNames: [name],
            });
          }
        } else {
          out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        }
      }
    }
  }
  for (const url of list(rule.nonResourceURLs)) {
    for (const verb of list(rule.verbs)) out.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return out;
}

const hasAll = (set: readonly string[], wanted: readonly string[]): boolean =>
  wanted.every((w) => set.includes(w));

/**
 * Held resources cover requested ones: `*`, exact names, or `*\/sub` for a `res/sub`. A
 * requested `*` (or `pods/*`) is only covered by the same string or `*`.
 */
function resourcesCover(held: readonly string[], wanted: readonly string[]): boolean {
  if (held.includes('*') || hasAll(held, wanted)) return true;
  return wanted.every((path) => {
    if (held.includes(path)) return true;
    const slash = path.indexOf('/');
    if (slash < 0) return false;
    return held.includes(`*/${path.slice(slash + 1)}`);
  });
}

function nonResourceURLCovers(held: string, wanted: string): boolean {
  if (held === wanted) return true;
  return held.endsWith('*') && wanted.startsWith(held.replace(/\*+$/, ''));
}

/** Kubernetes' `ruleCovers` for one held rule and one atomic requested rule. */
function ruleCovers(held: PolicyRule, sub: PolicyRule): boolean {
  const verbs = list(held.verbs);
  const groups = list(held.apiGroups);
  const heldNames = list(held.resourceNames);
  const subNames = list(sub.resourceNames);
  const verbOk = verbs.includes('*') || hasAll(verbs, list(sub.verbs));
  const groupOk = groups.includes('*') || hasAll(groups, list(sub.apiGroups));
  const resourceOk = resourcesCover(list(held.resources), list(sub.resources));
  const urlOk = list(sub.nonResourceURLs).every((u) =>
    list(held.nonResourceURLs).some((h) => nonResourceURLCovers(h, u)),
  );
  // A held rule limited to some names never covers a request for every name.
  const namesOk =
    subNames.length === 0
      ? heldNames.length === 0
      : heldNames.length === 0 || hasAll(heldNames, subNames);
  return verbOk && groupOk && resourceOk && urlOk && namesOk;
}

/**
 * Whether `held` covers `requested` (Kubernetes' `validation.Covers`): every atomic piece of
 * every requested rule must be covered by a single held rule. `missing` lists the atomic
 * rules that are not.
 */
export function coversRules(
  held: readonly PolicyRule[],
  requested: readonly PolicyRule[],
): { covered: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const sub of requested.flatMap(breakdownRule)) {
    if (!held.some((h) => ruleCovers(h, sub))) missing.push(sub);
  }
  return { covered: missing.length === 0, missing };
}

/**
 * Kubernetes' `CompactRules`: rules with one API group and one resource and nothing but verbs
 * are merged per group/resource (their verbs concatenated); other rules are kept as they are.
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const compacted: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const groups = list(rule.apiGroups);
    const resources = list(rule.resources);
    const isSimple =
      list(rule.resourceNames).length === 0 &&
      list(rule.nonResourceURLs).length === 0 &&
      groups.length === 1 &&
      resources.length === 1;
    if (!isSimple) {
      compacted.push(rule);
      continue;
    }
    const key = JSON.stringify([groups[0], resources[0]]);
    const existing = simple.get(key);
    if (existing) existing.verbs = [...existing.verbs, ...list(rule.verbs)];
    else
      simple.set(key, {
        apiGroups: [...groups],
        resources: [...resources],
        verbs: [...list(rule.verbs)],
      });
  }
  return [...compacted, ...simple.values()];
}

/**
 * The 403 message when `user` tries to grant rules they do not hold (Kubernetes'
 * `ConfirmNoEscalation`): the missing rules compacted, one per line in `CompactString` form,
 * sorted and without duplicates.
 *
 * `user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:
 * {APIGroups:[""], Resources:["pods"], Verbs:["delete"]}`
 */
export function escalationMessage(user: RbacUser, missing: readonly PolicyRule[]): string {
  const lines = [...new Set(compactRules(missing).map(compactRuleString))].sort(byteOrder);
  return `user ${goQuote(user.name)} (groups=${goQuoteList(user.groups ?? [])}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
}

/** Go's string order (by UTF-8 bytes; the same as code-point order). */
function byteOrder(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}
