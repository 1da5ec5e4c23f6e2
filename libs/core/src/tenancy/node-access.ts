/**
 * What a node credential may do: Kubernetes' Node authorizer and NodeRestriction admission,
 * pure. A node reads nodes, services and endpoints; reads, updates the status of, and
 * deletes only the pods bound to it (lists must select `spec.nodeName=<itself>`); gets the
 * ConfigMaps, Secrets and ServiceAccounts (and tokens) its pods refer to; writes
 * its own Node and its own Lease in `kube-node-lease`; records events. Nothing else.
 */
import type { RequestAttributes } from '../rbac/types';
import type { NodeGraphResource } from './node-graph';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export type NodeAccess =
  | { allowed: false; reason: string }
  | {
      allowed: true;
      /** The target pod must be bound to this node (checked on the stored object). */
      boundPodOnly?: boolean;
      /** A pod bound to this node must refer to the target (node-graph.ts). */
      graph?: NodeGraphResource;
    };

const READ = new Set(['get', 'list', 'watch']);
const WRITE_OWN = new Set(['get', 'list', 'watch', 'create', 'update', 'patch']);

/**
 * Decides a node's request. `fieldSelector` is the raw selector of a list or watch (a node
 * may only list the pods bound to it).
 */
export function nodeAccess(
  nodeName: string,
  attrs: RequestAttributes,
  fieldSelector = '',
): NodeAccess {
  const { verb, apiGroup, resource, subresource, name, namespace } = attrs;
  const deny = (reason: string): NodeAccess => ({ allowed: false, reason });
  if (!attrs.resourceRequest)
    return verb === 'get' ? { allowed: true } : deny('nodes may only read');
  if (apiGroup === '' && resource === 'nodes') {
    if (READ.has(verb) && !subresource) return { allowed: true };
    if (WRITE_OWN.has(verb) && (!subresource || subresource === 'status')) {
      if (verb === 'create' || name === nodeName) return { allowed: true };
      return deny(`node "${nodeName}" may only change its own Node object`);
    }
    return deny(`node "${nodeName}" may not ${verb} nodes`);
  }
  if (apiGroup === 'coordination.k8s.io' && resource === 'leases') {
    if (namespace !== NODE_LEASE_NAMESPACE)
      return deny(
        `node "${nodeName}" may only use leases in the ${NODE_LEASE_NAMESPACE} namespace`,
      );
    if (!WRITE_OWN.has(verb) && verb !== 'delete')
      return deny(`node "${nodeName}" may not ${verb} leases`);
    if (verb === 'create' || name === nodeName) return { allowed: true };
    return deny(`node "${nodeName}" may only use its own Lease "${nodeName}"`);
  }
  if (apiGroup === '' && resource === 'pods') {
    if (verb === 'list' || verb === 'watch') {
      const selectsSelf = fieldSelector
        .split(',')
        .map((s) => s.trim().replace(/\s+/g, ''))
        .some((s) => s === `spec.nodeName=${nodeName}` || s === `spec.nodeName==${nodeName}`);
      if (selectsSelf) return { allowed: true };
      return deny(
        `node "${nodeName}" can only list and watch the pods bound to it: add fieldSelector=spec.nodeName=${nodeName}`,
      );
    }
    if (verb === 'get' && (!subresource || subresource === 'status'))
      return { allowed: true, boundPodOnly: true };
    if ((verb === 'update' || verb === 'patch') && subresource === 'status')
      return { allowed: true, boundPodOnly: true };
    if (verb === 'delete' && !subresource) return { allowed: true, boundPodOnly: true };
    return deny(`node "${nodeName}" may only read pods bound to it and write their status`);
  }
  if (apiGroup === '' && (resource === 'services' || resource === 'endpoints')) {
    if (READ.has(verb) && !subresource) return { allowed: true };
    return deny(`node "${nodeName}" may only read ${resource}`);
  }
  if (
    apiGroup === '' &&
    (resource === 'configmaps' || resource === 'secrets' || resource === 'serviceaccounts')
  ) {
    if (verb === 'get' && !subresource && name) return { allowed: true, graph: resource };
    if (resource === 'serviceaccounts' && verb === 'create' && subresource === 'token' && name)
      return { allowed: true, graph: resource };
    return deny(
      `node "${nodeName}" may only get the ${resource} that pods bound to it refer to${resource === 'serviceaccounts' ? ' (and request their tokens)' : ''}`,
    );
  }
  if ((apiGroup === '' || apiGroup === 'events.k8s.io') && resource === 'events') {
    if (verb === 'create' || verb === 'update' || verb === 'patch') return { allowed: true };
    return deny(`node "${nodeName}" may only record events`);
  }
  return deny(`node "${nodeName}" may not ${verb} ${resource}`);
}
