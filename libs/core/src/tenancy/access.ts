/**
 * Tenant-aware access, pure: which RBAC a caller effectively has (stored roles and bindings
 * plus the bindings their tenant memberships imply), which namespaces and objects exist for
 * them, and how a denial must look (403 where the caller may know the object exists, 404
 * where it belongs to someone else).
 *
 * Tenant roles become RBAC without stored objects: a member with role R of tenant T gets,
 * in every namespace of T, a RoleBinding to the ClusterRole `TENANT_ROLE_CLUSTER_ROLE[R]`
 * (admin, edit or view), plus a small cluster-scoped role: read T itself and T's namespaces,
 * and for tenant admins create namespaces and delete or change T's namespaces.
 */
import type { KubeObject } from '../api/types';
import { authorize, rulesFor } from '../rbac/evaluate';
import { TENANT_ROLE_CLUSTER_ROLE } from '../rbac/bootstrap';
import type {
  PolicyRule,
  RbacObject,
  RbacPolicy,
  RbacUser,
  RequestAttributes,
} from '../rbac/types';
import {
  TENANCY_GROUP,
  TENANT_ROLES,
  tenantMembers,
  tenantSuspended,
  type TenantRole,
} from '../resources/tenant';

const AUTHENTICATED_GROUP = 'system:authenticated';

/** Who is asking, as far as authorization cares. */
export interface Caller extends RbacUser {
  /** Cluster admins may do everything. */
  clusterAdmin: boolean;
  /** An API token limited to one tenant and at most one role. */
  scope?: { tenant: string; role?: string };
}

/** What authorization decides from: stored RBAC, tenants and the namespace → tenant map. */
export interface AccessSnapshot {
  policy: RbacPolicy;
  tenants: ReadonlyMap<string, KubeObject>;
  /** Namespace name → the tenant that owns it (namespaces without a tenant are absent). */
  namespaceTenant: ReadonlyMap<string, string>;
  /** Tenant name → its namespaces. */
  tenantNamespaces: ReadonlyMap<string, readonly string[]>;
}

export interface Membership {
  tenant: string;
  role: TenantRole;
}

const RANK: Record<TenantRole, number> = { viewer: 0, developer: 1, 'tenant-admin': 2 };

/** The weaker of two tenant roles. */
export function weakerRole(a: TenantRole, b: TenantRole): TenantRole {
  return RANK[a] <= RANK[b] ? a : b;
}

/** The caller's tenant memberships, narrowed by a token's scope. */
export function membershipsOf(caller: Caller, snap: AccessSnapshot): Membership[] {
  const out: Membership[] = [];
  for (const [name, tenant] of snap.tenants) {
    if (caller.scope && caller.scope.tenant !== name) continue;
    const m = tenantMembers(tenant).find((x) => x.user === caller.name);
    if (!m) continue;
    // A suspended tenant's members keep only read access.
    let role = tenantSuspended(tenant) ? weakerRole(m.role, 'viewer') : m.role;
    const scoped = caller.scope?.role;
    if (scoped && (TENANT_ROLES as readonly string[]).includes(scoped))
      role = weakerRole(role, scoped as TenantRole);
    out.push({ tenant: name, role });
  }
  return out;
}

function tenantClusterRules(m: Membership, namespaces: readonly string[]): PolicyRule[] {
  const rules: PolicyRule[] = [
    {
      apiGroups: [TENANCY_GROUP],
      resources: ['tenants'],
      verbs: ['get', 'watch'],
      resourceNames: [m.tenant],
    },
  ];
  if (namespaces.length)
    rules.push({
      apiGroups: [''],
      resources: ['namespaces'],
      verbs: ['get', 'watch'],
      resourceNames: [...namespaces],
    });
  if (m.role === 'tenant-admin') {
    // Its own Tenant: admission lets a tenant admin change only spec.members.
    rules.push({
      apiGroups: [TENANCY_GROUP],
      resources: ['tenants'],
      verbs: ['update', 'patch'],
      resourceNames: [m.tenant],
    });
    rules.push({ apiGroups: [''], resources: ['namespaces'], verbs: ['create'] });
    if (namespaces.length)
      rules.push({
        apiGroups: [''],
        resources: ['namespaces'],
        verbs: ['delete', 'update', 'patch'],
        resourceNames: [...namespaces],
      });
  }
  return rules;
}

/**
 * What a tenant admin may do beyond Kubernetes' `admin` in the tenant's namespaces: split
 * the tenant budget into namespace ResourceQuotas and set LimitRange defaults (admission
 * keeps the namespace quotas within the tenant quota).
 */
export const TENANT_ADMIN_EXTRAS: RbacObject = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'berth:tenant-admin-budget' },
  rules: [
    {
      apiGroups: [''],
      resources: ['resourcequotas', 'limitranges'],
      verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
    },
  ],
};

/**
 * The RBAC policy that applies to `caller`: stored roles and bindings plus the virtual
 * ones of their memberships. A tenant-scoped token keeps only what applies inside that
 * tenant: no cluster-wide bindings, and role bindings only in the tenant's namespaces.
 */
export function effectivePolicy(caller: Caller, snap: AccessSnapshot): RbacPolicy {
  const memberships = membershipsOf(caller, snap);
  const clusterRoles: RbacObject[] = [...snap.policy.clusterRoles];
  const clusterRoleBindings: RbacObject[] = caller.scope
    ? []
    : [...snap.policy.clusterRoleBindings];
  const scopedNamespaces = caller.scope
    ? new Set(snap.tenantNamespaces.get(caller.scope.tenant) ?? [])
    : undefined;
  const roleBindings: RbacObject[] = scopedNamespaces
    ? snap.policy.roleBindings.filter((b) => scopedNamespaces.has(b.metadata?.namespace ?? ''))
    : [...snap.policy.roleBindings];
  const subjects = [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: caller.name }];
  if (memberships.some((m) => m.role === 'tenant-admin')) clusterRoles.push(TENANT_ADMIN_EXTRAS);
  for (const m of memberships) {
    const namespaces = snap.tenantNamespaces.get(m.tenant) ?? [];
    const roleName = `berth:tenant:${m.tenant}:${m.role}`;
    clusterRoles.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: roleName },
      rules: tenantClusterRules(m, namespaces),
    });
    clusterRoleBindings.push({
      metadata: { name: roleName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects,
    });
    for (const ns of namespaces) {
      roleBindings.push({
        metadata: { name: `berth:tenant:${m.tenant}:${m.role}`, namespace: ns },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: TENANT_ROLE_CLUSTER_ROLE[m.role],
        },
        subjects,
      });
      if (m.role === 'tenant-admin')
        roleBindings.push({
          metadata: { name: `berth:tenant:${m.tenant}:budget`, namespace: ns },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: TENANT_ADMIN_EXTRAS.metadata!.name!,
          },
          subjects,
        });
    }
  }
  return { clusterRoles, roles: snap.policy.roles, clusterRoleBindings, roleBindings };
}

/** An authorization decision for one request. */
export interface AccessDecision {
  allowed: boolean;
  /**
   * On a denial: false when the target is someone else's (another tenant's namespace or
   * object): the caller must get 404, as if it did not exist. True: 403 is fine.
   */
  mayKnow: boolean;
  reason: string;
}

/**
 * True when `namespace` exists for the caller: they may get it, they hold some role
 * binding in it, or they are a service account of it. Cluster admins see every namespace.
 */
export function namespaceVisible(caller: Caller, namespace: string, policy: RbacPolicy): boolean {
  if (caller.clusterAdmin) return true;
  // A service account knows the namespace it lives in (denials there are 403, not 404).
  if (caller.name.startsWith(`system:serviceaccount:${namespace}:`)) return true;
  const attrs: RequestAttributes = {
    user: caller,
    verb: 'get',
    apiGroup: '',
    resource: 'namespaces',
    name: namespace,
    resourceRequest: true,
  };
  if (authorize(attrs, policy).allowed) return true;
  return holdsBindingIn(caller, namespace, policy);
}

/** True when some role binding in `namespace` grants the caller anything. */
function holdsBindingIn(caller: Caller, namespace: string, policy: RbacPolicy): boolean {
  const here = policy.roleBindings.filter((b) => b.metadata?.namespace === namespace);
  if (!here.length) return false;
  return (
    rulesFor(caller, namespace, { ...policy, clusterRoleBindings: [], roleBindings: here }).length >
    0
  );
}

/**
 * The nodes a caller may read without an RBAC grant: those in the pools of their tenants
 * (`spec.nodeSelector`; a tenant without one uses every node). `all`, or label sets any
 * of which a node must carry, or none.
 */
export function nodePools(
  caller: Caller,
  snap: AccessSnapshot,
): 'all' | Array<Record<string, string>> {
  const pools: Array<Record<string, string>> = [];
  for (const m of membershipsOf(caller, snap)) {
    const selector = (snap.tenants.get(m.tenant)?.spec as { nodeSelector?: unknown } | undefined)
      ?.nodeSelector;
    if (!selector || typeof selector !== 'object' || Object.keys(selector).length === 0)
      return 'all';
    pools.push(selector as Record<string, string>);
  }
  return pools;
}

/** True when a node with these labels is in one of the pools. */
export function inPools(
  pools: 'all' | Array<Record<string, string>>,
  labels: Record<string, string> | undefined,
): boolean {
  if (pools === 'all') return true;
  return pools.some((p) => Object.entries(p).every(([k, v]) => labels?.[k] === v));
}

/**
 * Decides a resource request. Denials say whether the caller may know the target exists:
 * in a namespace that does not exist for them, or for a namespace or tenant that is not
 * theirs, the answer must be 404 rather than 403.
 */
export function decide(
  caller: Caller,
  attrs: RequestAttributes,
  policy: RbacPolicy,
): AccessDecision {
  if (caller.clusterAdmin) return { allowed: true, mayKnow: true, reason: 'cluster admin' };
  const rbac = authorize(attrs, policy);
  if (rbac.allowed) return { allowed: true, mayKnow: true, reason: rbac.reason };
  if (attrs.namespace) {
    return {
      allowed: false,
      mayKnow: namespaceVisible(caller, attrs.namespace, policy),
      reason: rbac.reason,
    };
  }
  // Cluster scope: a named namespace or tenant the caller cannot read is not theirs.
  if (attrs.name && (attrs.resource === 'namespaces' || attrs.resource === 'tenants')) {
    const read = authorize({ ...attrs, verb: 'get', subresource: undefined }, policy).allowed;
    return { allowed: false, mayKnow: read, reason: rbac.reason };
  }
  return { allowed: false, mayKnow: true, reason: rbac.reason };
}

/** Where a list or watch may look: everywhere, or only in these namespaces / names. */
export type ListScope =
  { all: true } | { all: false; namespaces: string[] } | { all: false; names: string[] };

/** Namespaces in which the caller holds any role binding, or that belong to their tenants. */
export function candidateNamespaces(
  caller: Caller,
  snap: AccessSnapshot,
  policy: RbacPolicy,
): string[] {
  const out = new Set<string>();
  for (const m of membershipsOf(caller, snap))
    for (const ns of snap.tenantNamespaces.get(m.tenant) ?? []) out.add(ns);
  for (const b of policy.roleBindings) {
    const ns = b.metadata?.namespace;
    if (ns && !out.has(ns) && holdsBindingIn(caller, ns, { ...policy, roleBindings: [b] }))
      out.add(ns);
  }
  return [...out].sort();
}

/**
 * The scope of a list or watch of `resource` (in `apiGroup`) without a namespace, for a
 * caller who may not list it cluster-wide: the namespaces where they may, or for the
 * filtered cluster-scoped kinds the objects they may get.
 */
export function listScope(
  caller: Caller,
  verb: 'list' | 'watch',
  apiGroup: string,
  resource: string,
  namespaced: boolean,
  snap: AccessSnapshot,
  policy: RbacPolicy,
): ListScope {
  if (caller.clusterAdmin) return { all: true };
  const base: RequestAttributes = { user: caller, verb, apiGroup, resource, resourceRequest: true };
  if (authorize(base, policy).allowed) return { all: true };
  if (namespaced) {
    const namespaces = candidateNamespaces(caller, snap, policy).filter(
      (ns) => authorize({ ...base, namespace: ns }, policy).allowed,
    );
    return { all: false, namespaces };
  }
  let names: string[] = [];
  if (resource === 'namespaces') {
    // Namespaces every authenticated user may read (kube-public) are there when named, but
    // a list shows the caller's own: bindings to `system:authenticated` do not list them.
    const own: Caller = {
      ...caller,
      groups: (caller.groups ?? []).filter((g) => g !== AUTHENTICATED_GROUP),
    };
    names = candidateNamespaces(own, snap, policy).filter((ns) =>
      namespaceVisible(own, ns, policy),
    );
  } else if (resource === 'tenants' && apiGroup === TENANCY_GROUP) {
    names = membershipsOf(caller, snap).map((m) => m.tenant);
  }
  return { all: false, names: names.sort() };
}
