import type { KubeObject } from '../api/types';
import { BUILTIN_CLUSTER_ROLES } from '../rbac/bootstrap';
import type { RequestAttributes } from '../rbac/types';
import {
  decide,
  effectivePolicy,
  inPools,
  listScope,
  membershipsOf,
  namespaceVisible,
  nodePools,
  type AccessSnapshot,
  type Caller,
} from './access';

function tenant(name: string, members: Array<[string, string]>, spec: object = {}): KubeObject {
  return {
    apiVersion: 'tenancy.berth.dev/v1',
    kind: 'Tenant',
    metadata: { name },
    spec: { members: members.map(([user, role]) => ({ user, role })), ...spec },
  };
}

const snap: AccessSnapshot = {
  policy: {
    clusterRoles: BUILTIN_CLUSTER_ROLES,
    roles: [],
    clusterRoleBindings: [],
    roleBindings: [
      {
        metadata: { name: 'carol-view', namespace: 'shared' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'carol' }],
      },
    ],
  },
  tenants: new Map([
    [
      'team-a',
      tenant('team-a', [
        ['alice', 'tenant-admin'],
        ['dave', 'developer'],
        ['vera', 'viewer'],
      ]),
    ],
    ['team-b', tenant('team-b', [['bob', 'tenant-admin']], { nodeSelector: { pool: 'b' } })],
  ]),
  namespaceTenant: new Map([
    ['a1', 'team-a'],
    ['a2', 'team-a'],
    ['b1', 'team-b'],
  ]),
  tenantNamespaces: new Map([
    ['team-a', ['a1', 'a2']],
    ['team-b', ['b1']],
  ]),
};

function caller(name: string, extra: Partial<Caller> = {}): Caller {
  return { name, groups: ['system:authenticated'], clusterAdmin: false, ...extra };
}

function req(
  c: Caller,
  verb: string,
  resource: string,
  namespace?: string,
  name?: string,
  apiGroup = '',
): RequestAttributes {
  return { user: c, verb, apiGroup, resource, namespace, name, resourceRequest: true };
}

function check(
  c: Caller,
  verb: string,
  resource: string,
  namespace?: string,
  name?: string,
  group = '',
) {
  return decide(c, req(c, verb, resource, namespace, name, group), effectivePolicy(c, snap));
}

describe('tenant roles as RBAC', () => {
  const alice = caller('alice');
  const dave = caller('dave');
  const vera = caller('vera');

  it('gives each role its ClusterRole in every namespace of the tenant, and nothing elsewhere', () => {
    expect(
      check(alice, 'create', 'rolebindings', 'a1', undefined, 'rbac.authorization.k8s.io').allowed,
    ).toBe(true);
    expect(check(dave, 'create', 'deployments', 'a2', undefined, 'apps').allowed).toBe(true);
    expect(
      check(dave, 'create', 'rolebindings', 'a2', undefined, 'rbac.authorization.k8s.io').allowed,
    ).toBe(false);
    expect(check(vera, 'list', 'pods', 'a1').allowed).toBe(true);
    expect(check(vera, 'delete', 'pods', 'a1', 'p').allowed).toBe(false);
    expect(check(alice, 'get', 'pods', 'b1', 'p').allowed).toBe(false);
  });

  it('answers 404 (mayKnow false) for another tenant, 403 inside one own tenant', () => {
    expect(check(alice, 'get', 'pods', 'b1', 'p')).toMatchObject({
      allowed: false,
      mayKnow: false,
    });
    expect(check(vera, 'delete', 'pods', 'a1', 'p')).toMatchObject({
      allowed: false,
      mayKnow: true,
    });
    expect(check(alice, 'get', 'namespaces', undefined, 'b1')).toMatchObject({
      allowed: false,
      mayKnow: false,
    });
    expect(check(alice, 'get', 'tenants', undefined, 'team-b', 'tenancy.berth.dev')).toMatchObject({
      allowed: false,
      mayKnow: false,
    });
    // Nodes are not another tenant's: a plain denial.
    expect(check(alice, 'delete', 'nodes', undefined, 'n1')).toMatchObject({
      allowed: false,
      mayKnow: true,
    });
  });

  it('lets tenant admins create namespaces and change only their own', () => {
    expect(check(alice, 'create', 'namespaces').allowed).toBe(true);
    expect(check(dave, 'create', 'namespaces').allowed).toBe(false);
    expect(check(alice, 'delete', 'namespaces', undefined, 'a1').allowed).toBe(true);
    expect(check(alice, 'delete', 'namespaces', undefined, 'b1').allowed).toBe(false);
    expect(check(dave, 'delete', 'namespaces', undefined, 'a1')).toMatchObject({
      allowed: false,
      mayKnow: true,
    });
    expect(check(vera, 'get', 'namespaces', undefined, 'a2').allowed).toBe(true);
    expect(check(vera, 'get', 'tenants', undefined, 'team-a', 'tenancy.berth.dev').allowed).toBe(
      true,
    );
    // Their own Tenant (admission then allows only spec.members to change); not as developers.
    expect(
      check(alice, 'update', 'tenants', undefined, 'team-a', 'tenancy.berth.dev').allowed,
    ).toBe(true);
    expect(
      check(dave, 'update', 'tenants', undefined, 'team-a', 'tenancy.berth.dev'),
    ).toMatchObject({
      allowed: false,
      mayKnow: true,
    });
  });

  it('leaves the members of a suspended tenant read access only', () => {
    const suspended: AccessSnapshot = {
      ...snap,
      tenants: new Map(
        [...snap.tenants].map(([name, t]) => [
          name,
          { ...t, spec: { ...(t.spec as object), suspended: true } },
        ]),
      ),
    };
    const can = (user: Caller, verb: string, resource: string, ns?: string, name?: string) =>
      decide(user, req(user, verb, resource, ns, name), effectivePolicy(user, suspended)).allowed;
    expect(can(alice, 'get', 'pods', 'a1')).toBe(true);
    expect(can(alice, 'create', 'pods', 'a1')).toBe(false);
    expect(can(alice, 'create', 'namespaces')).toBe(false);
    expect(can(dave, 'delete', 'pods', 'a1', 'p')).toBe(false);
  });

  it('narrows a scoped token to one tenant and at most its role', () => {
    const both: AccessSnapshot = {
      ...snap,
      tenants: new Map([
        ...snap.tenants,
        [
          'team-b',
          tenant('team-b', [
            ['bob', 'tenant-admin'],
            ['alice', 'developer'],
          ]),
        ],
      ]),
    };
    const scoped = caller('alice', { scope: { tenant: 'team-a', role: 'viewer' } });
    expect(membershipsOf(caller('alice'), both)).toEqual([
      { tenant: 'team-a', role: 'tenant-admin' },
      { tenant: 'team-b', role: 'developer' },
    ]);
    expect(membershipsOf(scoped, both)).toEqual([{ tenant: 'team-a', role: 'viewer' }]);
    const policy = effectivePolicy(scoped, both);
    expect(decide(scoped, req(scoped, 'list', 'pods', 'a1'), policy).allowed).toBe(true);
    expect(decide(scoped, req(scoped, 'create', 'pods', 'a1'), policy).allowed).toBe(false);
    expect(decide(scoped, req(scoped, 'list', 'pods', 'b1'), policy)).toMatchObject({
      allowed: false,
      mayKnow: false,
    });
    // A scope never widens a role.
    const wider = caller('dave', { scope: { tenant: 'team-a', role: 'tenant-admin' } });
    expect(membershipsOf(wider, snap)).toEqual([{ tenant: 'team-a', role: 'developer' }]);
  });

  it('keeps stored bindings working outside tenants', () => {
    const carol = caller('carol');
    expect(check(carol, 'list', 'pods', 'shared').allowed).toBe(true);
    expect(namespaceVisible(carol, 'shared', effectivePolicy(carol, snap))).toBe(true);
    expect(namespaceVisible(carol, 'a1', effectivePolicy(carol, snap))).toBe(false);
  });
});

describe('list scopes', () => {
  it('limits lists to the namespaces and objects that exist for the caller', () => {
    const alice = caller('alice');
    const policy = effectivePolicy(alice, snap);
    expect(listScope(alice, 'list', '', 'pods', true, snap, policy)).toEqual({
      all: false,
      namespaces: ['a1', 'a2'],
    });
    expect(listScope(alice, 'list', '', 'namespaces', false, snap, policy)).toEqual({
      all: false,
      names: ['a1', 'a2'],
    });
    expect(listScope(alice, 'watch', 'tenancy.berth.dev', 'tenants', false, snap, policy)).toEqual({
      all: false,
      names: ['team-a'],
    });
    const carol = caller('carol');
    expect(
      listScope(carol, 'list', '', 'namespaces', false, snap, effectivePolicy(carol, snap)),
    ).toEqual({
      all: false,
      names: ['shared'],
    });
    const stranger = caller('eve');
    expect(
      listScope(stranger, 'list', '', 'pods', true, snap, effectivePolicy(stranger, snap)),
    ).toEqual({
      all: false,
      namespaces: [],
    });
    const admin = caller('root', { clusterAdmin: true });
    expect(listScope(admin, 'list', '', 'pods', true, snap, effectivePolicy(admin, snap))).toEqual({
      all: true,
    });
  });

  it('puts members in their tenant node pools', () => {
    expect(nodePools(caller('alice'), snap)).toBe('all');
    const pools = nodePools(caller('bob'), snap);
    expect(pools).toEqual([{ pool: 'b' }]);
    expect(inPools(pools, { pool: 'b', zone: 'x' })).toBe(true);
    expect(inPools(pools, { pool: 'a' })).toBe(false);
    expect(inPools(nodePools(caller('eve'), snap), {})).toBe(false);
  });
});
