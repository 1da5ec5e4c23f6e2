import type { RequestAttributes } from '../rbac/types';
import { nodeAccess } from './node-access';

function attrs(
  verb: string,
  resource: string,
  opts: { name?: string; namespace?: string; sub?: string; group?: string } = {},
): RequestAttributes {
  return {
    user: { name: 'system:node:n1', groups: ['system:nodes'] },
    verb,
    apiGroup: opts.group ?? '',
    resource,
    subresource: opts.sub,
    name: opts.name,
    namespace: opts.namespace,
    resourceRequest: true,
  };
}

describe('node restriction', () => {
  it('reads every node and writes only its own', () => {
    expect(nodeAccess('n1', attrs('list', 'nodes')).allowed).toBe(true);
    expect(nodeAccess('n1', attrs('get', 'nodes', { name: 'n2' })).allowed).toBe(true);
    expect(nodeAccess('n1', attrs('create', 'nodes')).allowed).toBe(true);
    expect(nodeAccess('n1', attrs('patch', 'nodes', { name: 'n1', sub: 'status' })).allowed).toBe(
      true,
    );
    expect(nodeAccess('n1', attrs('update', 'nodes', { name: 'n2' }))).toEqual({
      allowed: false,
      reason: 'node "n1" may only change its own Node object',
    });
    expect(nodeAccess('n1', attrs('delete', 'nodes', { name: 'n1' })).allowed).toBe(false);
  });

  it('uses only its own Lease in kube-node-lease', () => {
    const lease = (verb: string, name?: string, namespace = 'kube-node-lease') =>
      nodeAccess('n1', attrs(verb, 'leases', { name, namespace, group: 'coordination.k8s.io' }));
    expect(lease('update', 'n1').allowed).toBe(true);
    expect(lease('create').allowed).toBe(true);
    expect(lease('update', 'n2').allowed).toBe(false);
    expect(lease('get', 'n1', 'default').allowed).toBe(false);
  });

  it('lists only the pods bound to it and writes only their status', () => {
    expect(nodeAccess('n1', attrs('list', 'pods'), '').allowed).toBe(false);
    expect(nodeAccess('n1', attrs('watch', 'pods'), 'spec.nodeName=n2').allowed).toBe(false);
    expect(
      nodeAccess('n1', attrs('watch', 'pods'), 'status.phase!=Failed, spec.nodeName=n1').allowed,
    ).toBe(true);
    expect(nodeAccess('n1', attrs('get', 'pods', { name: 'p', namespace: 'a' }))).toEqual({
      allowed: true,
      boundPodOnly: true,
    });
    expect(
      nodeAccess('n1', attrs('patch', 'pods', { name: 'p', namespace: 'a', sub: 'status' })),
    ).toEqual({
      allowed: true,
      boundPodOnly: true,
    });
    expect(nodeAccess('n1', attrs('update', 'pods', { name: 'p', namespace: 'a' })).allowed).toBe(
      false,
    );
    expect(nodeAccess('n1', attrs('create', 'pods', { namespace: 'a' })).allowed).toBe(false);
  });

  it('reads services and endpoints, records events, and nothing else', () => {
    expect(nodeAccess('n1', attrs('watch', 'services')).allowed).toBe(true);
    expect(nodeAccess('n1', attrs('list', 'endpoints', { namespace: 'a' })).allowed).toBe(true);
    expect(nodeAccess('n1', attrs('create', 'services', { namespace: 'a' })).allowed).toBe(false);
    expect(nodeAccess('n1', attrs('create', 'events', { namespace: 'a' })).allowed).toBe(true);
    expect(nodeAccess('n1', attrs('list', 'secrets', { namespace: 'a' })).allowed).toBe(false);
    expect(
      nodeAccess('n1', attrs('get', 'deployments', { namespace: 'a', name: 'x', group: 'apps' }))
        .allowed,
    ).toBe(false);
    expect(nodeAccess('n1', attrs('list', 'namespaces')).allowed).toBe(false);
  });
});
