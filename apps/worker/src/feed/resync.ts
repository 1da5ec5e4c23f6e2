import {
  FOREGROUND_DELETION_FINALIZER,
  findResourceByKind,
  ORPHAN_FINALIZER,
  TENANCY_GROUP,
  type KubeObject,
} from '@berth/core';
import type { StoredObject } from '@berth/store';
import { gcRoute, type Route } from './routes';

const GC_FINALIZERS = new Set([FOREGROUND_DELETION_FINALIZER, ORPHAN_FINALIZER]);

/**
 * What a periodic resync re-enqueues, from a listing of every stored object (Kubernetes'
 * informer resync, level-triggered): every Deployment, ReplicaSet and Node; the quota
 * usage of every namespace with a quota; every Tenant's status; every namespace being deleted (its content
 * deletion and finalizer); and every object waiting on the garbage collector — being
 * deleted with `foregroundDeletion`/`orphan`, or alive with an owner reference whose uid
 * no listed object has (its owner's deletion was missed). The collector re-checks each
 * before acting, so an owner created after the listing costs one no-op job. Pure.
 */
export function resyncRoutes(objects: readonly StoredObject[]): Route[] {
  const uids = new Set<string>();
  for (const o of objects) {
    const uid = (o.object as unknown as KubeObject).metadata?.uid;
    if (uid) uids.add(uid);
  }
  const routes: Route[] = [];
  const quotaNamespaces = new Set<string>();
  for (const stored of objects) {
    const { resource, namespace, name } = stored.key;
    const obj = stored.object as unknown as KubeObject;
    const meta = obj.metadata ?? {};
    const key = namespace ? `${namespace}/${name}` : name;
    switch (resource) {
      case 'deployments.apps':
        routes.push({ queue: 'deployments', payload: { key } });
        break;
      case 'replicasets.apps':
        routes.push({ queue: 'replicasets', payload: { key } });
        break;
      case 'daemonsets.apps':
        routes.push({ queue: 'daemonsets', payload: { key } });
        break;
      case 'replicationcontrollers':
        routes.push({ queue: 'replicationcontrollers', payload: { key } });
        break;
      case 'jobs.batch':
        routes.push({ queue: 'jobs', payload: { key } });
        break;
      case 'cronjobs.batch':
        routes.push({ queue: 'cronjobs', payload: { key } });
        break;
      case 'nodes':
        routes.push({ queue: 'nodes', payload: { key } });
        break;
      case 'namespaces':
        if (meta.deletionTimestamp) routes.push({ queue: 'namespaces', payload: { key } });
        else {
          routes.push({ queue: 'serviceaccounts', payload: { key: name } });
          routes.push({ queue: 'rootca', payload: { key: name } });
        }
        break;
      case `tenants.${TENANCY_GROUP}`:
        routes.push({ queue: 'tenants', payload: { key: `tenant/${name}` } });
        break;
      case 'resourcequotas':
        quotaNamespaces.add(namespace);
        break;
      case 'services':
        routes.push({ queue: 'endpoints', payload: { key: namespace } });
        break;
      case 'poddisruptionbudgets.policy':
        routes.push({ queue: 'disruption', payload: { key: namespace } });
        break;
    }
    const uid = meta.uid ?? '';
    if (!uid) continue;
    if (meta.deletionTimestamp) {
      if ((meta.finalizers ?? []).some((f) => GC_FINALIZERS.has(f)))
        routes.push(gcRoute(resource, key, uid));
    } else if (
      (meta.ownerReferences ?? []).some(
        // Owners of kinds Berth does not serve are never collected on a guess: skip them.
        (ref) => !uids.has(ref.uid) && findResourceByKind(ref.apiVersion, ref.kind) !== undefined,
      )
    ) {
      routes.push(gcRoute(resource, key, uid));
    }
  }
  for (const namespace of quotaNamespaces)
    routes.push({ queue: 'quota', payload: { key: namespace } });
  return routes;
}
