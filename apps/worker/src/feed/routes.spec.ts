import type { ChangeRecord, ChangeType, JsonObject } from '@berth/store';
import { routeChange, shardOf, type Route } from './routes';

function change(
  type: ChangeType,
  resource: string,
  namespace: string,
  name: string,
  object: JsonObject = {},
): ChangeRecord {
  const metadata = { name, ...(namespace ? { namespace } : {}), uid: `uid-${name}` };
  return {
    revision: 1n,
    resource,
    namespace,
    name,
    type,
    object: { ...object, metadata: { ...metadata, ...((object.metadata as object) ?? {}) } },
  };
}

const rsRef = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'web-1',
  uid: 'uid-rs',
  controller: true,
  blockOwnerDeletion: true,
};

const keysOf = (routes: Route[], queue: string) =>
  routes.filter((r) => r.queue === queue).map((r) => (r.payload as { key: string }).key);

describe('routeChange', () => {
  it('routes a node, its first Lease (in kube-node-lease only) and nothing else to the nodes queue', () => {
    expect(keysOf(routeChange(change('MODIFIED', 'nodes', '', 'n1'), 2), 'nodes')).toEqual(['n1']);
    const lease = routeChange(
      change('ADDED', 'leases.coordination.k8s.io', 'kube-node-lease', 'n1'),
      2,
    );
    expect(lease).toEqual([{ queue: 'nodes', payload: { key: 'n1' } }]);
    // Renewals are left to the periodic node sweep.
    const renewal = routeChange(
      change('MODIFIED', 'leases.coordination.k8s.io', 'kube-node-lease', 'n1'),
      2,
    );
    expect(renewal).toEqual([]);
    const other = routeChange(change('MODIFIED', 'leases.coordination.k8s.io', 'apps', 'lock'), 2);
    expect(other).toEqual([]);
  });

  it('routes namespaced objects quotas count to the namespace quota, never events or leases', () => {
    for (const resource of [
      'services',
      'deployments.apps',
      'replicasets.apps',
      'resourcequotas',
      'limitranges',
    ]) {
      expect(keysOf(routeChange(change('ADDED', resource, 'team-a', 'x'), 2), 'quota')).toEqual([
        'team-a',
      ]);
    }
    expect(keysOf(routeChange(change('ADDED', 'events', 'team-a', 'e'), 2), 'quota')).toEqual([]);
    expect(keysOf(routeChange(change('MODIFIED', 'nodes', '', 'n1'), 2), 'quota')).toEqual([]);
  });

  it('routes a pod to the quotas only when it frees quota: deleted or finished', () => {
    // Admission charged it at creation; its status writes change nothing quotas count.
    for (const type of ['ADDED', 'MODIFIED'] as const) {
      const running = change(type, 'pods', 'team-a', 'p', { status: { phase: 'Running' } });
      expect(keysOf(routeChange(running, 2), 'quota')).toEqual([]);
      expect(keysOf(routeChange(running, 2), 'tenants')).toEqual([]);
    }
    for (const gone of [
      change('DELETED', 'pods', 'team-a', 'p'),
      change('MODIFIED', 'pods', 'team-a', 'p', { status: { phase: 'Succeeded' } }),
      change('MODIFIED', 'pods', 'team-a', 'p', { status: { phase: 'Failed' } }),
    ]) {
      expect(keysOf(routeChange(gone, 2), 'quota')).toEqual(['team-a']);
      expect(keysOf(routeChange(gone, 2), 'tenants')).toEqual(['ns/team-a']);
    }
  });

  it('routes a deleted or deleting object to the garbage collector by resource, key and uid', () => {
    expect(keysOf(routeChange(change('DELETED', 'deployments.apps', 'd', 'web'), 2), 'gc')).toEqual(
      ['deployments.apps|d/web|uid-web'],
    );
    const deleting = change('MODIFIED', 'nodes', '', 'n1', {
      metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' },
    });
    expect(keysOf(routeChange(deleting, 2), 'gc')).toEqual(['nodes|n1|uid-n1']);
    expect(
      keysOf(routeChange(change('MODIFIED', 'deployments.apps', 'd', 'web'), 2), 'gc'),
    ).toEqual([]);
  });

  it('wakes the owners a deleted dependent blocked, so a foreground deletion can finish', () => {
    const pod = change('DELETED', 'pods', 'd', 'web-1-abcde', {
      metadata: {
        ownerReferences: [
          rsRef,
          { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-n1', blockOwnerDeletion: true },
          {
            apiVersion: 'example.com/v1',
            kind: 'Unknown',
            name: 'u',
            uid: 'uid-u',
            blockOwnerDeletion: true,
          },
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nb', uid: 'uid-nb' },
        ],
      },
      spec: { nodeName: 'n1' },
    });
    expect(keysOf(routeChange(pod, 2), 'gc')).toEqual([
      'pods|d/web-1-abcde|uid-web-1-abcde',
      'replicasets.apps|d/web-1|uid-rs',
      'nodes|n1|uid-n1',
    ]);
  });

  it('checks the owners of a newly created dependent, not of an updated one', () => {
    const owned = { metadata: { ownerReferences: [rsRef] } };
    expect(keysOf(routeChange(change('ADDED', 'pods', 'd', 'p', owned), 2), 'gc')).toEqual([
      'pods|d/p|uid-p',
    ]);
    expect(keysOf(routeChange(change('MODIFIED', 'pods', 'd', 'p', owned), 2), 'gc')).toEqual([]);
    expect(keysOf(routeChange(change('ADDED', 'pods', 'd', 'q'), 2), 'gc')).toEqual([]);
  });

  it('still routes pods to the scheduler and their ReplicaSet', () => {
    const pending = change('ADDED', 'pods', 'd', 'p', { metadata: { ownerReferences: [rsRef] } });
    const routes = routeChange(pending, 4);
    expect(routes).toContainEqual({
      queue: 'scheduler',
      payload: { shard: shardOf('d/p', 4), retryUnschedulable: false },
    });
    expect(keysOf(routes, 'replicasets')).toEqual(['d/web-1']);
  });

  it('routes tenant status work: counted objects by namespace, namespaces and tenants by tenant', () => {
    expect(keysOf(routeChange(change('ADDED', 'services', 'a1', 's'), 2), 'tenants')).toEqual([
      'ns/a1',
    ]);
    expect(keysOf(routeChange(change('ADDED', 'events', 'a1', 'e'), 2), 'tenants')).toEqual([]);
    const labelled = change('DELETED', 'namespaces', '', 'a1', {
      metadata: { labels: { 'tenancy.berth.dev/tenant': 'team-a' } },
    });
    expect(keysOf(routeChange(labelled, 2), 'tenants')).toEqual(['tenant/team-a']);
    expect(keysOf(routeChange(change('ADDED', 'namespaces', '', 'free'), 2), 'tenants')).toEqual(
      [],
    );
    expect(
      keysOf(
        routeChange(change('MODIFIED', 'tenants.tenancy.berth.dev', '', 'team-b'), 2),
        'tenants',
      ),
    ).toEqual(['tenant/team-b']);
  });

  it('routes pod and budget changes to their namespace for the disruption controller', () => {
    for (const resource of ['pods', 'poddisruptionbudgets.policy'])
      expect(keysOf(routeChange(change('MODIFIED', resource, 'a1', 'x'), 2), 'disruption')).toEqual(
        ['a1'],
      );
    expect(
      keysOf(
        routeChange(change('DELETED', 'poddisruptionbudgets.policy', 'a1', 'x'), 2),
        'disruption',
      ),
    ).toEqual([]);
    expect(keysOf(routeChange(change('MODIFIED', 'services', 'a1', 'x'), 2), 'disruption')).toEqual(
      [],
    );
  });

  it('routes pod, service and endpoints changes to their namespace for the endpoints controller', () => {
    for (const resource of ['pods', 'services', 'endpoints'])
      expect(keysOf(routeChange(change('MODIFIED', resource, 'a1', 'x'), 2), 'endpoints')).toEqual([
        'a1',
      ]);
    expect(
      keysOf(routeChange(change('MODIFIED', 'deployments.apps', 'a1', 'x'), 2), 'endpoints'),
    ).toEqual([]);
  });

  it("routes a DaemonSet's ControllerRevision to that DaemonSet, and no one else's", () => {
    const dsRef = { ...rsRef, kind: 'DaemonSet', name: 'agent', uid: 'uid-ds' };
    const owned = { metadata: { ownerReferences: [dsRef] } };
    for (const type of ['ADDED', 'MODIFIED', 'DELETED'] as const)
      expect(
        keysOf(
          routeChange(change(type, 'controllerrevisions.apps', 'd', 'agent-1', owned), 2),
          'daemonsets',
        ),
      ).toEqual(['d/agent']);
    const other = { metadata: { ownerReferences: [rsRef] } };
    expect(
      keysOf(
        routeChange(change('ADDED', 'controllerrevisions.apps', 'd', 'x', other), 2),
        'daemonsets',
      ),
    ).toEqual([]);
  });
});
