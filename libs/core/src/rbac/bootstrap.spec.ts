// What the built-in roles may do follows Kubernetes' user-facing roles
// (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles):
// view reads (not roles/bindings), edit writes workloads (not quota, limits or RBAC),
// admin adds roles and role bindings in the namespace; none of them writes namespaces or
// touches cluster-scoped objects.
import { clusterRoleDefinition } from '../resources';
import {
  BUILTIN_CLUSTER_ROLES,
  TENANT_ROLE_CLUSTER_ROLE,
  authorize,
  coversRules,
  type RbacPolicy,
  type RequestAttributes,
} from './index';

const RBAC = 'rbac.authorization.k8s.io';
const NS = 'team-a';

/** A policy where `user` holds `clusterRole` through a RoleBinding in team-a (or cluster-wide). */
function policyFor(clusterRole: string, scope: 'namespace' | 'cluster' = 'namespace'): RbacPolicy {
  const b = {
    metadata: scope === 'namespace' ? { name: 'b', namespace: NS } : { name: 'b' },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: clusterRole },
    subjects: [{ kind: 'User', apiGroup: RBAC, name: 'u' }],
  };
  return {
    clusterRoles: BUILTIN_CLUSTER_ROLES,
    roles: [],
    clusterRoleBindings: scope === 'cluster' ? [b] : [],
    roleBindings: scope === 'namespace' ? [b] : [],
  };
}

/** `verb [group:]resource[/sub]` in team-a (or cluster-scoped with `@cluster`). */
function can(policy: RbacPolicy, request: string): boolean {
  const [verb, target, where] = request.split(' ');
  const [apiGroup, rest] = target!.includes(':') ? target!.split(':') : ['', target];
  const [resource, subresource] = rest!.split('/');
  const attrs: RequestAttributes = {
    user: { name: 'u', groups: ['system:authenticated'] },
    verb: verb!,
    apiGroup: apiGroup!,
    resource: resource!,
    ...(subresource ? { subresource } : {}),
    ...(where === '@cluster' ? {} : { namespace: NS }),
    ...(['get', 'update', 'patch', 'delete'].includes(verb!) ? { name: 'x' } : {}),
    resourceRequest: true,
  };
  return authorize(attrs, policy).allowed;
}

describe('BUILTIN_CLUSTER_ROLES', () => {
  it('holds cluster-admin, admin, edit and view, labelled as bootstrap defaults', () => {
    expect(BUILTIN_CLUSTER_ROLES.map((r) => r.metadata.name)).toEqual([
      'cluster-admin',
      'admin',
      'edit',
      'view',
    ]);
    for (const r of BUILTIN_CLUSTER_ROLES) {
      expect(r.metadata.labels).toEqual({ 'kubernetes.io/bootstrapping': 'rbac-defaults' });
      // they are valid ClusterRoles
      const result = clusterRoleDefinition.validateSchema(r);
      expect(result.causes).toEqual([]);
      expect(result.unknownFields).toEqual([]);
      expect(clusterRoleDefinition.validate(result.object)).toEqual([]);
    }
    expect(Object.isFrozen(BUILTIN_CLUSTER_ROLES[0]!.rules[0]!.verbs)).toBe(true);
  });

  it('cluster-admin may do everything, including non-resource URLs', () => {
    const p = policyFor('cluster-admin', 'cluster');
    expect(can(p, 'delete nodes @cluster')).toBe(true);
    expect(can(p, 'escalate rbac.authorization.k8s.io:clusterroles @cluster')).toBe(true);
    expect(can(p, 'create example.com:widgets')).toBe(true);
    expect(
      authorize(
        {
          user: { name: 'u', groups: [] },
          verb: 'get',
          apiGroup: '',
          resource: '',
          path: '/metrics',
          resourceRequest: false,
        },
        p,
      ).allowed,
    ).toBe(true);
  });

  it('view reads workloads, logs, quotas and its namespace, and writes nothing', () => {
    const p = policyFor('view');
    for (const ok of [
      'get pods',
      'list pods',
      'watch pods',
      'get pods/log',
      'get pods/status',
      'list services',
      'list endpoints',
      'list events',
      'get resourcequotas',
      'list limitranges',
      'list apps:deployments',
      'get apps:deployments/scale',
      'get apps:replicasets/status',
      'get namespaces',
    ]) {
      expect([ok, can(p, ok)]).toEqual([ok, true]);
    }
    for (const no of [
      'create pods',
      'delete pods',
      'patch apps:deployments/scale',
      'update pods/status',
      'list rbac.authorization.k8s.io:roles',
      'get rbac.authorization.k8s.io:rolebindings',
      'list secrets',
      'get coordination.k8s.io:leases',
      'update namespaces',
    ]) {
      expect([no, can(p, no)]).toEqual([no, false]);
    }
  });

  it('edit writes workloads but not quotas, limits, status, endpoints or RBAC', () => {
    const p = policyFor('edit');
    for (const ok of [
      'create pods',
      'delete pods',
      'deletecollection pods',
      'patch services',
      'create events',
      'create apps:deployments',
      'patch apps:deployments/scale',
      'update apps:replicasets/scale',
      'get pods/log',
      'get resourcequotas',
    ]) {
      expect([ok, can(p, ok)]).toEqual([ok, true]);
    }
    for (const no of [
      'create resourcequotas',
      'update resourcequotas',
      'delete limitranges',
      'update pods/status',
      'update apps:deployments/status',
      'create endpoints',
      'list rbac.authorization.k8s.io:roles',
      'create rbac.authorization.k8s.io:rolebindings',
      'update coordination.k8s.io:leases',
      'delete namespaces',
    ]) {
      expect([no, can(p, no)]).toEqual([no, false]);
    }
  });

  it('edit and admin may evict pods (create pods/eviction, as kubectl drain asks); view may not', () => {
    expect(can(policyFor('edit'), 'create pods/eviction')).toBe(true);
    expect(can(policyFor('admin'), 'create pods/eviction')).toBe(true);
    expect(can(policyFor('view'), 'create pods/eviction')).toBe(false);
    expect(can(policyFor('edit'), 'delete pods/eviction')).toBe(false);
  });

  it('admin adds roles and role bindings, but no namespace writes or cluster objects', () => {
    const p = policyFor('admin');
    for (const ok of [
      'create rbac.authorization.k8s.io:rolebindings',
      'update rbac.authorization.k8s.io:roles',
      'list rbac.authorization.k8s.io:rolebindings',
      'create pods',
      'patch apps:deployments/scale',
    ]) {
      expect([ok, can(p, ok)]).toEqual([ok, true]);
    }
    for (const no of [
      'delete namespaces',
      'update namespaces',
      'create resourcequotas',
      'create rbac.authorization.k8s.io:clusterrolebindings',
      'get nodes @cluster',
      'create namespaces @cluster',
    ]) {
      expect([no, can(p, no)]).toEqual([no, false]);
    }
    // even granted cluster-wide, admin reaches no cluster-scoped kind
    const everywhere = policyFor('admin', 'cluster');
    for (const no of [
      'get nodes @cluster',
      'create namespaces @cluster',
      'delete namespaces @cluster',
      'create rbac.authorization.k8s.io:clusterroles @cluster',
      'create rbac.authorization.k8s.io:clusterrolebindings @cluster',
    ]) {
      expect([no, can(everywhere, no)]).toEqual([no, false]);
    }
  });

  it('nest: admin covers edit covers view, not the other way round', () => {
    const rules = Object.fromEntries(BUILTIN_CLUSTER_ROLES.map((r) => [r.metadata.name, r.rules]));
    expect(coversRules(rules.admin!, rules.edit!).covered).toBe(true);
    expect(coversRules(rules.edit!, rules.view!).covered).toBe(true);
    expect(coversRules(rules['cluster-admin']!, rules.admin!).covered).toBe(true);
    const { covered, missing } = coversRules(rules.edit!, rules.admin!);
    expect(covered).toBe(false);
    expect(new Set(missing.map((m) => m.resources![0]))).toEqual(
      new Set(['roles', 'rolebindings']),
    );
    expect(coversRules(rules.admin!, rules['cluster-admin']!).covered).toBe(false);
  });
});

describe('TENANT_ROLE_CLUSTER_ROLE', () => {
  it('maps the tenant roles onto the user-facing ClusterRoles', () => {
    expect(TENANT_ROLE_CLUSTER_ROLE).toEqual({
      'tenant-admin': 'admin',
      developer: 'edit',
      viewer: 'view',
    });
    const names = BUILTIN_CLUSTER_ROLES.map((r) => r.metadata.name);
    for (const clusterRole of Object.values(TENANT_ROLE_CLUSTER_ROLE)) {
      expect(names).toContain(clusterRole);
    }
  });
});
