/**
 * Namespaces: start Active; one joining a tenant must fit its namespace limit, counted in
 * the creating transaction (exact under races); DELETE marks them Terminating.
 */
import {
  formatTimestamp,
  namespaceDefinition,
  NAMESPACE_FINALIZER,
  TENANT_LABEL,
  type KubeObject,
} from '@berth/core';
import { defineStrategy } from '../strategy';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Namespace deletion, as Kubernetes' namespace storage: the first DELETE marks the
 * namespace (deletionTimestamp, phase Terminating, the `kubernetes` finalizer) and returns
 * it. The namespace controller (apps/worker) deletes its content and removes the
 * finalizer, after which the store deletes the namespace. A DELETE of a namespace that is
 * Terminating already returns it as it is.
 */
function markTerminating(current: KubeObject) {
  if (current.metadata.deletionTimestamp) return { object: current };
  return {
    update(cur: KubeObject): KubeObject {
      if (cur.metadata.uid !== current.metadata.uid || cur.metadata.deletionTimestamp) return cur;
      const next = structuredClone(cur);
      next.metadata.deletionTimestamp = formatTimestamp(new Date());
      next.metadata.deletionGracePeriodSeconds = 0;
      next.status = { ...(isPlainObject(next.status) ? next.status : {}), phase: 'Terminating' };
      next.metadata.finalizers = [
        ...new Set([...(next.metadata.finalizers ?? []), NAMESPACE_FINALIZER]),
      ];
      return next;
    },
  };
}

export const namespaceStrategy = defineStrategy(namespaceDefinition, {
  prepareForCreate(ns) {
    ns.status = { phase: 'Active' };
  },
  inCreateTransaction(ctx, ns) {
    if (!ns.metadata.labels?.[TENANT_LABEL]) return undefined;
    return { run: (tx) => ctx.quota.checkNamespaceLimit(tx, ns) };
  },
  beforeDelete: markTerminating,
});
