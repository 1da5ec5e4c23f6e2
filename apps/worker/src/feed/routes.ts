import {
  API_SERVER_CA_CONFIG_MAP,
  API_SERVER_CA_NAMESPACE,
  findResourceByKind,
  qualifiedResource,
  TENANCY_GROUP,
  TENANT_LABEL,
  type KubeObject,
  type OwnerReference,
  workloads,
} from '@berth/core';
import { podBucket, type ChangeRecord } from '@berth/store';
import { gcKey } from '../controllers/garbage-collector.controller';
import { ALL_NAMESPACES } from '../controllers/root-ca.controller';
import type { PayloadOf, QueueName } from '../queue/catalog';

export interface Route<Q extends QueueName = QueueName> {
  queue: Q;
  payload: PayloadOf<Q>;
}

/** Stable shard of a pod key for parallel scheduling runs (the store's bucket mod shards). */
export function shardOf(key: string, shards: number): number {
  return podBucket(key) % shards;
}

function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((r) => r.controller);
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

/** Namespaced resources whose objects no quota is expected to count (heartbeats, events). */
const NOT_COUNTED = new Set(['events', 'leases.coordination.k8s.io']);

/** The garbage collector's key for an object: `<resource>|<ns/name or name>|<uid>`. */
export function gcRoute(resource: string, key: string, uid: string): Route {
  return { queue: 'gc', payload: { key: gcKey(resource, key, uid) } };
}

/** The gc route of the owner `ref` points at, from a dependent in namespace `ns`. */
function ownerGcRoute(ref: OwnerReference, ns: string): Route | undefined {
  const def = findResourceByKind(ref.apiVersion, ref.kind);
  if (!def || !ref.uid || (def.namespaced && !ns)) return undefined;
  return gcRoute(qualifiedResource(def), def.namespaced ? `${ns}/${ref.name}` : ref.name, ref.uid);
}

/**
 * Which controllers must look at a change (keys, not objects: the reconcile reads the
 * current state itself). Level-triggered: a missed route is healed by the resync.
 */
export function routeChange(change: ChangeRecord, shards: number): Route[] {
  const obj = change.object as unknown as KubeObject;
  const ns = change.namespace;
  const key = ns ? `${ns}/${change.name}` : change.name;
  const routes: Route[] = [];
  const owner = controllerOf(obj);
  const deleting = Boolean(obj.metadata?.deletionTimestamp);
  const refs = obj.metadata?.ownerReferences ?? [];
  if (change.type === 'DELETED' || deleting) {
    // Dependents of a vanished (or foreground-deleting) owner are the garbage collector's.
    routes.push(gcRoute(change.resource, key, obj.metadata?.uid ?? ''));
    // An owner deleting in the foreground waits for this one: look at it again.
    for (const ref of refs) {
      const route = ref.blockOwnerDeletion ? ownerGcRoute(ref, ns) : undefined;
      if (route) routes.push(route);
    }
  } else if (change.type === 'ADDED' && refs.length > 0) {
    // Created just as its owner went away? The collector checks the owners exist.
    routes.push(gcRoute(change.resource, key, obj.metadata?.uid ?? ''));
  }
  switch (change.resource) {
    case 'pods': {
      const phase = (obj.status as { phase?: string } | undefined)?.phase ?? '';
      const nodeName = (obj.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
      if (change.type !== 'DELETED' && !nodeName && !deleting && !TERMINAL.has(phase)) {
        routes.push({
          queue: 'scheduler',
          payload: { shard: shardOf(key, shards), retryUnschedulable: false },
        });
      }
      if ((change.type === 'DELETED' || TERMINAL.has(phase)) && nodeName) {
        // Capacity was freed: pods that did not fit may fit now.
        for (let s = 0; s < shards; s++)
          routes.push({ queue: 'scheduler', payload: { shard: s, retryUnschedulable: true } });
      }
      if (owner?.kind === 'ReplicaSet')
        routes.push({ queue: 'replicasets', payload: { key: `${ns}/${owner.name}` } });
      if (owner?.kind === 'DaemonSet' && owner.apiVersion === 'apps/v1')
        routes.push({ queue: 'daemonsets', payload: { key: `${ns}/${owner.name}` } });
      if (owner?.kind === 'ReplicationController' && owner.apiVersion === 'v1')
        routes.push({ queue: 'replicationcontrollers', payload: { key: `${ns}/${owner.name}` } });
      if (owner?.kind === 'Job' && owner.apiVersion === 'batch/v1')
        routes.push({ queue: 'jobs', payload: { key: `${ns}/${owner.name}` } });
      // A pod's address, readiness or labels may change what a Service's endpoints are.
      routes.push({ queue: 'endpoints', payload: { key: ns } });
      // ...and how many pods a disruption budget counts healthy.
      routes.push({ queue: 'disruption', payload: { key: ns } });
      break;
    }
    case 'poddisruptionbudgets.policy': {
      if (change.type !== 'DELETED') routes.push({ queue: 'disruption', payload: { key: ns } });
      break;
    }
    case 'services':
    case 'endpoints':
      routes.push({ queue: 'endpoints', payload: { key: ns } });
      break;
    case 'replicasets.apps':
      routes.push({ queue: 'replicasets', payload: { key } });
      if (owner?.kind === 'Deployment')
        routes.push({ queue: 'deployments', payload: { key: `${ns}/${owner.name}` } });
      break;
    case 'deployments.apps':
      routes.push({ queue: 'deployments', payload: { key } });
      break;
    case 'daemonsets.apps':
      routes.push({ queue: 'daemonsets', payload: { key } });
      break;
    case 'controllerrevisions.apps':
      // A DaemonSet's history changed (or was deleted by hand): it looks again.
      if (owner?.kind === 'DaemonSet' && owner.apiVersion === 'apps/v1')
        routes.push({ queue: 'daemonsets', payload: { key: `${ns}/${owner.name}` } });
      break;
    case 'replicationcontrollers':
      routes.push({ queue: 'replicationcontrollers', payload: { key } });
      break;
    case 'jobs.batch':
      if (change.type !== 'DELETED') routes.push({ queue: 'jobs', payload: { key } });
      if (owner?.kind === 'CronJob' && owner.apiVersion === 'batch/v1')
        routes.push({ queue: 'cronjobs', payload: { key: `${ns}/${owner.name}` } });
      break;
    case 'cronjobs.batch':
      if (change.type !== 'DELETED') routes.push({ queue: 'cronjobs', payload: { key } });
      break;
    case 'nodes':
      routes.push({ queue: 'nodes', payload: { key } });
      // Which nodes a DaemonSet runs on follows their labels, taints and existence.
      routes.push({ queue: 'daemonsets', payload: { key: '*' } });
      for (let s = 0; s < shards; s++)
        routes.push({ queue: 'scheduler', payload: { shard: s, retryUnschedulable: true } });
      break;
    case 'leases.coordination.k8s.io':
      // A node's first Lease is news; its renewals are not (1,000 nodes renewing every 10 s
      // would be 100 node reconciles a second): the periodic node sweep looks at them.
      if (ns === 'kube-node-lease' && change.type === 'ADDED')
        routes.push({ queue: 'nodes', payload: { key: change.name } });
      break;
    case 'namespaces': {
      if (deleting) routes.push({ queue: 'namespaces', payload: { key } });
      else if (change.type !== 'DELETED') {
        routes.push({ queue: 'serviceaccounts', payload: { key: change.name } });
        routes.push({ queue: 'rootca', payload: { key: change.name } });
      }
      // The tenant's namespace list (and usage) changes with its namespaces.
      const tenant = obj.metadata?.labels?.[TENANT_LABEL];
      if (tenant) routes.push({ queue: 'tenants', payload: { key: `tenant/${tenant}` } });
      break;
    }
    case `tenants.${TENANCY_GROUP}`:
      routes.push({ queue: 'tenants', payload: { key: `tenant/${change.name}` } });
      break;
    case 'configmaps':
      // kube-root-ca.crt is put back when deleted or edited; a CA a replica published
      // goes into every namespace's.
      if (change.name === workloads.ROOT_CA_CONFIG_MAP)
        routes.push({ queue: 'rootca', payload: { key: ns } });
      if (ns === API_SERVER_CA_NAMESPACE && change.name === API_SERVER_CA_CONFIG_MAP)
        routes.push({ queue: 'rootca', payload: { key: ALL_NAMESPACES } });
      break;
    case 'serviceaccounts':
      // The default account is made again when deleted.
      if (change.type === 'DELETED')
        routes.push({ queue: 'serviceaccounts', payload: { key: ns } });
      break;
  }
  // Quotas count pods, services, `count/<resource>` of anything: recompute the namespace.
  // A pod was charged when it was created (admission keeps the ledger) and its requests
  // never change, so only its going (deleted, or finished) frees quota — Kubernetes'
  // quota replenishment; not each of the status writes a starting pod makes.
  const podStillCounted =
    change.resource === 'pods' &&
    change.type !== 'DELETED' &&
    !TERMINAL.has((obj.status as { phase?: string } | undefined)?.phase ?? '');
  if (ns && !NOT_COUNTED.has(change.resource) && !podStillCounted)
    routes.push(
      { queue: 'quota', payload: { key: ns } },
      // The namespace's tenant (if any) sums usage over all its namespaces.
      { queue: 'tenants', payload: { key: `ns/${ns}` } },
    );
  return routes;
}
