import type { RequestInfo } from '@berth/core';
import type { Principal } from '../auth/principal';
import { isHeartbeat } from './audit.service';

const node: Principal = {
  kind: 'node',
  name: 'system:node:n1',
  groups: ['system:nodes', 'system:authenticated'],
  clusterAdmin: false,
  nodeName: 'n1',
  via: 'node',
};
const user: Principal = { ...node, kind: 'user', name: 'alice', groups: [], via: 'token' };

function info(group: string, resource: string, subresource = ''): RequestInfo {
  return {
    isResourceRequest: true,
    prefix: group ? 'apis' : 'api',
    group,
    version: 'v1',
    namespace: resource === 'nodes' ? '' : 'ns',
    resource,
    subresource,
    name: 'x',
    verb: 'patch',
  };
}

describe('isHeartbeat (what the audit trail leaves out)', () => {
  it("leaves out a node's successful Lease, Node status and pod status writes", () => {
    expect(isHeartbeat(node, info('coordination.k8s.io', 'leases'), 200)).toBe(true);
    expect(isHeartbeat(node, info('', 'nodes', 'status'), 200)).toBe(true);
    expect(isHeartbeat(node, info('', 'pods', 'status'), 201)).toBe(true);
  });

  it('keeps refusals, other writes by nodes, and the same writes by people', () => {
    expect(isHeartbeat(node, info('coordination.k8s.io', 'leases'), 403)).toBe(false);
    expect(isHeartbeat(node, info('', 'pods', 'status'), 409)).toBe(false);
    expect(isHeartbeat(node, info('', 'nodes'), 200)).toBe(false);
    expect(isHeartbeat(node, info('', 'pods'), 200)).toBe(false);
    expect(isHeartbeat(user, info('', 'pods', 'status'), 200)).toBe(false);
    expect(isHeartbeat(undefined, info('coordination.k8s.io', 'leases'), 200)).toBe(false);
  });
});
