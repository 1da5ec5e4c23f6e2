/**
 * Texts Kubernetes users see from RBAC, worded exactly as the Kubernetes sources print them:
 * the 403 message (`responsewriters.forbiddenMessage` wrapped by `errors.NewForbidden`) and the
 * compact rule form used in escalation errors (`rbacv1helpers.CompactString`).
 */
import type { PolicyRule, RequestAttributes } from './types';

const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

/** Go's `strconv.Quote` / `%q` for a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === ' ' || !NON_PRINTABLE.test(ch)) out += ch;
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** Go's `%q` for a `[]string`: `["a" "b"]`. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map(goQuote).join(' ')}]`;
}

/**
 * The message of the 403 `Status` Kubernetes returns when a request is not authorized:
 *
 * - `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "team-b"`
 * - `nodes "n1" is forbidden: User "alice" cannot get resource "nodes" in API group "" at the cluster scope`
 * - `deployments.apps "web" is forbidden: User "alice" cannot get resource "deployments/scale" in API group "apps" in the namespace "a"`
 * - `forbidden: User "alice" cannot get path "/metrics"`
 *
 * `reason` is the authorizer's reason; when not empty Kubernetes appends it after `: `.
 */
export function forbiddenMessage(attrs: RequestAttributes, reason = ''): string {
  const user = goQuote(attrs.user?.name ?? '');
  const verb = attrs.verb;
  let detail: string;
  let qualified = '';
  if (!attrs.resourceRequest) {
    detail = `User ${user} cannot ${verb} path ${goQuote(attrs.path ?? '')}`;
  } else {
    const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    const scope = attrs.namespace
      ? `in the namespace ${goQuote(attrs.namespace)}`
      : 'at the cluster scope';
    detail = `User ${user} cannot ${verb} resource ${goQuote(resource)} in API group ${goQuote(attrs.apiGroup)} ${scope}`;
    // errors.NewForbidden(GroupResource{group, resource}, name, …)
    qualified = attrs.apiGroup ? `${attrs.resource}.${attrs.apiGroup}` : attrs.resource;
  }
  if (reason) detail = `${detail}: ${reason}`;
  if (!qualified) return `forbidden: ${detail}`;
  if (!attrs.name) return `${qualified} is forbidden: ${detail}`;
  return `${qualified} ${goQuote(attrs.name)} is forbidden: ${detail}`;
}

/** `{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}`: Kubernetes' `CompactString`. */
export function compactRuleString(rule: PolicyRule): string {
  const parts: string[] = [];
  const add = (label: string, list: readonly string[] | undefined) => {
    if (list && list.length > 0) parts.push(`${label}:${goQuoteList(list)}`);
  };
  add('APIGroups', rule.apiGroups);
  add('Resources', rule.resources);
  add('NonResourceURLs', rule.nonResourceURLs);
  add('ResourceNames', rule.resourceNames);
  add('Verbs', rule.verbs);
  return `{${parts.join(', ')}}`;
}
