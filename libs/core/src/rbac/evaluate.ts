/**
 * Kubernetes' RBAC authorizer (`plugin/pkg/auth/authorizer/rbac` and
 * `pkg/registry/rbac/validation.DefaultRuleResolver`), pure: the caller passes every role and
 * binding, and gets a decision, the effective rules, or the rules that apply one by one.
 *
 * - A ClusterRoleBinding grants its ClusterRole everywhere (every namespace and the cluster
 *   scope).
 * - A RoleBinding grants its Role (looked up in the binding's own namespace) or ClusterRole,
 *   but only for requests in the binding's namespace.
 * - Subjects: User by name, Group by membership, ServiceAccount as the user
 *   `system:serviceaccount:<namespace>:<name>` (a RoleBinding's subject without a namespace
 *   means the binding's namespace).
 * - Deny by default: nothing applies unless a rule allows it. Rules only add.
 */
import { goQuote } from './messages';
import type {
  AuthorizationDecision,
  PolicyRule,
  RbacObject,
  RbacPolicy,
  RbacUser,
  RequestAttributes,
  Subject,
} from './types';

export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';

/** `system:serviceaccount:<namespace>:<name>`, the user a service account's token acts as. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${name}`;
}

// ---------------------------------------------------------------------------------------------
// Reading stored objects defensively
// ---------------------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.filter((s): s is string => typeof s === 'string');
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A stored rule as a `PolicyRule` (non-string entries dropped). */
export function toPolicyRule(v: unknown): PolicyRule | undefined {
  if (!isObject(v)) return undefined;
  const rule: PolicyRule = { verbs: strings(v.verbs) ?? [] };
  const apiGroups = strings(v.apiGroups);
  const resources = strings(v.resources);
  const resourceNames = strings(v.resourceNames);
  const nonResourceURLs = strings(v.nonResourceURLs);
  if (apiGroups) rule.apiGroups = apiGroups;
  if (resources) rule.resources = resources;
  if (resourceNames) rule.resourceNames = resourceNames;
  if (nonResourceURLs) rule.nonResourceURLs = nonResourceURLs;
  return rule;
}

function rulesOf(role: RbacObject): PolicyRule[] {
  if (!Array.isArray(role.rules)) return [];
  return role.rules.map(toPolicyRule).filter((r): r is PolicyRule => r !== undefined);
}

function subjectsOf(binding: RbacObject): Subject[] {
  if (!Array.isArray(binding.subjects)) return [];
  return binding.subjects.filter(isObject).map((s) => ({
    kind: str(s.kind),
    name: str(s.name),
    apiGroup: str(s.apiGroup),
    namespace: str(s.namespace),
  }));
}

function metaOf(o: RbacObject): { name: string; namespace: string } {
  const meta = isObject(o.metadata) ? o.metadata : {};
  return { name: str(meta.name), namespace: str(meta.namespace) };
}

function roleRefOf(binding: RbacObject): { kind: string; name: string } {
  const ref = isObject(binding.roleRef) ? binding.roleRef : {};
  return { kind: str(ref.kind), name: str(ref.name) };
}

// ---------------------------------------------------------------------------------------------
// Matching one rule
// ---------------------------------------------------------------------------------------------

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return (rule.verbs ?? []).some((v) => v === '*' || v === verb);
}

function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === '*' || g === group);
}

/** `*`, the exact `resource[/subresource]`, or `*\/subresource` for a subresource request. */
function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  return (rule.resources ?? []).some(
    (r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`),
  );
}

/** An empty list allows every name; a non-empty one never matches a request without a name. */
function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** `*`, an exact path, or a prefix ending in `*` (`/healthz/*`, `/api*`). */
function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some(
    (u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))),
  );
}

/** Kubernetes' `RuleAllows`: whether one rule allows the request. */
export function ruleAllows(rule: PolicyRule, attrs: RequestAttributes): boolean {
  if (attrs.resourceRequest) {
    const subresource = attrs.subresource ?? '';
    const combined = subresource ? `${attrs.resource}/${subresource}` : attrs.resource;
    return (
      verbMatches(rule, attrs.verb) &&
      apiGroupMatches(rule, attrs.apiGroup) &&
      resourceMatches(rule, combined, subresource) &&
      resourceNameMatches(rule, attrs.name ?? '')
    );
  }
  return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path ?? '');
}

// ---------------------------------------------------------------------------------------------
// Which bindings apply
// ---------------------------------------------------------------------------------------------

/** Kubernetes' `appliesToUser`; `namespace` is the binding's (`''` for ClusterRoleBindings). */
function subjectAppliesTo(user: RbacUser, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.name === subject.name;
    case 'Group':
      return (user.groups ?? []).includes(subject.name);
    case 'ServiceAccount': {
      const saNamespace = subject.namespace || namespace;
      if (!saNamespace) return false;
      return user.name === serviceAccountUser(saNamespace, subject.name);
    }
    default:
      return false;
  }
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') {
    return `${subject.kind} ${goQuote(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  }
  return `${subject.kind} ${goQuote(subject.name)}`;
}

/** Why a binding applies: Kubernetes' `clusterRoleBindingDescriber` / `roleBindingDescriber`. */
function describeBinding(binding: RbacObject, subject: Subject, namespaced: boolean): string {
  const { name, namespace } = metaOf(binding);
  const ref = roleRefOf(binding);
  const kind = namespaced ? 'RoleBinding' : 'ClusterRoleBinding';
  const bindingName = namespaced ? `${name}/${namespace}` : name;
  return `${kind} ${goQuote(bindingName)} of ${ref.kind} ${goQuote(ref.name)} to ${describeSubject(subject, namespaced ? namespace : '')}`;
}

/** The rules a binding's roleRef points to, or the Kubernetes-worded resolution error. */
export function roleReferenceRules(
  binding: RbacObject,
  bindingNamespace: string,
  policy: RbacPolicy,
): { rules: PolicyRule[] } | { error: string } {
  const ref = roleRefOf(binding);
  switch (ref.kind) {
    case 'Role': {
      const role = bindingNamespace
        ? policy.roles.find((r) => {
            const m = metaOf(r);
            return m.namespace === bindingNamespace && m.name === ref.name;
          })
        : undefined;
      return role
        ? { rules: rulesOf(role) }
        : { error: `role.rbac.authorization.k8s.io ${goQuote(ref.name)} not found` };
    }
    case 'ClusterRole': {
      const role = policy.clusterRoles.find((r) => metaOf(r).name === ref.name);
      return role
        ? { rules: rulesOf(role) }
        : { error: `clusterrole.rbac.authorization.k8s.io ${goQuote(ref.name)} not found` };
    }
    default:
      return { error: `unsupported role reference kind: ${goQuote(ref.kind)}` };
  }
}

/**
 * Called for each rule that applies, with a description of its source (the binding, role
 * and subject), or with an error for a binding whose role cannot be found. Return `false` to
 * stop visiting.
 */
export type RuleVisitor = (source: string, rule: PolicyRule | undefined, error?: string) => boolean;

/**
 * Kubernetes' `VisitRulesFor`: every rule granted to `user` by ClusterRoleBindings, then (when
 * `namespace` is set) by the RoleBindings of that namespace, in the order the bindings are
 * given.
 */
export function visitRulesFor(
  user: RbacUser,
  namespace: string | undefined,
  policy: RbacPolicy,
  visitor: RuleVisitor,
): void {
  const visitBinding = (binding: RbacObject, bindingNamespace: string): boolean => {
    const subject = subjectsOf(binding).find((s) => subjectAppliesTo(user, s, bindingNamespace));
    if (!subject) return true;
    const resolved = roleReferenceRules(binding, bindingNamespace, policy);
    if ('error' in resolved) return visitor('', undefined, resolved.error);
    const source = describeBinding(binding, subject, bindingNamespace !== '');
    for (const rule of resolved.rules) {
      if (!visitor(source, rule)) return false;
    }
    return true;
  };

  for (const binding of policy.clusterRoleBindings) {
    if (!visitBinding(binding, '')) return;
  }
  if (!namespace) return;
  for (const binding of policy.roleBindings) {
    if (metaOf(binding).namespace !== namespace) continue;
    if (!visitBinding(binding, namespace)) return;
  }
}

/**
 * The effective rules of `user` in `namespace` (cluster-wide bindings plus the namespace's
 * role bindings), or only the cluster-wide ones when `namespace` is undefined. What
 * `kubectl auth can-i --list` shows and what escalation checks compare against.
 */
export function rulesFor(
  user: RbacUser,
  namespace: string | undefined,
  policy: RbacPolicy,
): PolicyRule[] {
  const rules: PolicyRule[] = [];
  visitRulesFor(user, namespace, policy, (_source, rule) => {
    if (rule) rules.push(rule);
    return true;
  });
  return rules;
}

/**
 * Kubernetes' RBAC `Authorize`: allowed when any rule that applies to the user in the
 * request's namespace allows the request; denied by default.
 */
export function authorize(attrs: RequestAttributes, policy: RbacPolicy): AuthorizationDecision {
  let reason = '';
  const errors: string[] = [];
  visitRulesFor(attrs.user, attrs.namespace, policy, (source, rule, error) => {
    if (rule && ruleAllows(rule, attrs)) {
      reason = `RBAC: allowed by ${source}`;
      return false;
    }
    if (error) errors.push(error);
    return true;
  });
  if (reason) return { allowed: true, reason };
  if (errors.length === 0) return { allowed: false, reason: '' };
  // utilerrors.NewAggregate: duplicates once; one error prints as itself, several as `[a, b]`.
  const unique = [...new Set(errors)];
  const aggregate = unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
  return { allowed: false, reason: `RBAC: ${aggregate}` };
}
