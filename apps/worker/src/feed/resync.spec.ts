import type { JsonObject, StoredObject } from '@berth/store';
import { resyncRoutes } from './resync';
import type { Route } from './routes';

function stored(
  resource: string,
  namespace: string,
  name: string,
  meta: JsonObject = {},
): StoredObject {
  return {
    key: { resource, namespace, name },
    resourceVersion: 1n,
    object: {
      metadata: { name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, ...meta },
    },
  };
}

const ref = (kind: string, name: string, apiVersion = 'apps/v1') => ({
  apiVersion,
  kind,
  name,
  uid: `uid-${name}`,
  controller: true,
  blockOwnerDeletion: true,
});

const keysOf = (routes: Route[], queue: string) =>
  routes.filter((r) => r.queue === queue).map((r) => (r.payload as { key: string }).key);

describe('resyncRoutes', () => {
  it('re-enqueues every Deployment, ReplicaSet and Node, and the quota of namespaces with a quota', () => {
    const routes = resyncRoutes([
      stored('deployments.apps', 'a', 'web'),
      stored('replicasets.apps', 'a', 'web-1', { ownerReferences: [ref('Deployment', 'web')] }),
      stored('nodes', '', 'n1'),
      stored('resourcequotas', 'a', 'q1'),
      stored('resourcequotas', 'a', 'q2'),
      stored('pods', 'b', 'p'),
    ]);
    expect(keysOf(routes, 'deployments')).toEqual(['a/web']);
    expect(keysOf(routes, 'replicasets')).toEqual(['a/web-1']);
    expect(keysOf(routes, 'nodes')).toEqual(['n1']);
    expect(keysOf(routes, 'quota')).toEqual(['a']);
    expect(keysOf(routes, 'gc')).toEqual([]);
  });

  it('re-enqueues namespaces being deleted, and only those', () => {
    const routes = resyncRoutes([
      stored('namespaces', '', 'live'),
      stored('namespaces', '', 'going', {
        deletionTimestamp: '2024-05-01T12:00:00Z',
        finalizers: ['kubernetes'],
      }),
    ]);
    expect(keysOf(routes, 'namespaces')).toEqual(['going']);
  });

  it('re-enqueues objects waiting on the garbage collector: GC finalizers, or an owner that is gone', () => {
    const deleting = { deletionTimestamp: '2024-05-01T12:00:00Z' };
    const routes = resyncRoutes([
      stored('deployments.apps', 'a', 'fg', { ...deleting, finalizers: ['foregroundDeletion'] }),
      stored('replicasets.apps', 'a', 'orph', { ...deleting, finalizers: ['orphan'] }),
      stored('pods', 'a', 'held', { ...deleting, finalizers: ['example.com/x'] }),
      stored('pods', 'a', 'owned', { ownerReferences: [ref('ReplicaSet', 'orph')] }),
      stored('pods', 'a', 'dangling', { ownerReferences: [ref('ReplicaSet', 'vanished')] }),
      stored('pods', 'a', 'foreign', {
        ownerReferences: [ref('Widget', 'w', 'example.com/v1')],
      }),
    ]);
    expect(keysOf(routes, 'gc').sort()).toEqual([
      'deployments.apps|a/fg|uid-fg',
      'pods|a/dangling|uid-dangling',
      'replicasets.apps|a/orph|uid-orph',
    ]);
  });
});
