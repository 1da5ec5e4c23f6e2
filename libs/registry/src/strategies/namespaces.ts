/**
 * Namespaces: start Active; one joining a tenant must fit its namespace limit, counted in
 * the creating transaction (exact under races); the `default` ServiceAccount is written in
 * that same transaction; DELETE marks them Terminating.
 */
import { randomUUID } from 'node:crypto';
import {
  defaultServiceAccount,
  formatTimestamp,
  namespaceDefinition,
  NAMESPACE_FINALIZER,
  qualifiedResource,
  serviceAccountDefinition,
  TENANT_LABEL,
  type KubeObject,
} from '@berth/core';
import type { AtomicTransaction, JsonObject } from '@berth/store';
import { defineStrategy } from '../strategy';

/**
 * Writes the namespace's `default` ServiceAccount with the namespace, so a pod created
 * right after its namespace finds it (the service account admission refuses pods naming
 * a missing account). The worker's service account controller re-creates it if deleted.
 */
async function createDefaultServiceAccount(tx: AtomicTransaction, namespace: string) {
  const sa = defaultServiceAccount(namespace);
  sa.metadata.uid = randomUUID();
  sa.metadata.creationTimestamp = formatTimestamp(new Date());
  const name = sa.metadata.name!;
  await tx.create(
    { resource: qualifiedResource(serviceAccountDefinition), namespace, name },
    sa.metadata.uid,
    sa as JsonObject,
    {
      'metadata.name': name,
      'metadata.namespace': namespace,
      ...serviceAccountDefinition.selectableFields(sa),
    },
  );
}

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
    return {
      run: async (tx) => {
        if (ns.metadata.labels?.[TENANT_LABEL]) await ctx.quota.checkNamespaceLimit(tx, ns);
        await createDefaultServiceAccount(tx, ns.metadata.name!);
      },
    };
  },
  beforeDelete: markTerminating,
});
