/**
 * Namespaces: start Active; one joining a tenant must fit its namespace limit, counted in
 * the creating transaction (exact under races); the `default` ServiceAccount and the
 * `kube-root-ca.crt` ConfigMap are written in that same transaction; DELETE marks them
 * Terminating.
 */
import { randomUUID } from 'node:crypto';
import {
  API_SERVER_CA_CONFIG_MAP,
  API_SERVER_CA_NAMESPACE,
  caBundle,
  configMapDefinition,
  defaultServiceAccount,
  rootCaConfigMap,
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

/**
 * Writes the namespace's `kube-root-ca.crt` (the API servers' CA bundle, as the API
 * replicas published it) with the namespace, so the token volume of a pod created right
 * after finds it. The worker's root CA publisher keeps it right afterwards (and makes it
 * where no CA was published yet).
 */
async function createRootCaConfigMap(tx: AtomicTransaction, namespace: string) {
  const resource = qualifiedResource(configMapDefinition);
  const source = await tx.get({
    resource,
    namespace: API_SERVER_CA_NAMESPACE,
    name: API_SERVER_CA_CONFIG_MAP,
  });
  const bundle = caBundle(source?.object as KubeObject | undefined);
  if (!bundle) return;
  const cm = rootCaConfigMap(namespace, bundle);
  cm.metadata.uid = randomUUID();
  cm.metadata.creationTimestamp = formatTimestamp(new Date());
  const name = cm.metadata.name!;
  await tx.create({ resource, namespace, name }, cm.metadata.uid, cm as JsonObject, {
    'metadata.name': name,
    'metadata.namespace': namespace,
    ...configMapDefinition.selectableFields(cm),
  });
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
        await createRootCaConfigMap(tx, ns.metadata.name!);
      },
    };
  },
  beforeDelete: markTerminating,
});
