/**
 * The shapes RBAC evaluation works on: rbac.authorization.k8s.io/v1 objects as stored, the
 * caller, and the attributes of one request (Kubernetes' `authorizer.Attributes`).
 */

/** rbac/v1 PolicyRule. Lists may be absent, as in a stored object. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount' | string;
  name: string;
  apiGroup?: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: 'Role' | 'ClusterRole' | string;
  name: string;
}

/**
 * Any stored RBAC object. Fields are read defensively (a stored object is a `KubeObject`
 * whose `rules`, `subjects` and `roleRef` are `unknown` to the type system).
 */
export interface RbacObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface ClusterRoleObject extends RbacObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRole';
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  rules: PolicyRule[];
}

/** What RBAC decides from: every role and binding (plain objects as stored). */
export interface RbacPolicy {
  clusterRoles: readonly RbacObject[];
  roles: readonly RbacObject[];
  clusterRoleBindings: readonly RbacObject[];
  roleBindings: readonly RbacObject[];
}

/** The authenticated caller (Kubernetes' `user.Info`, name and groups only). */
export interface RbacUser {
  name: string;
  groups: string[];
}

/** Kubernetes' `authorizer.Attributes` for one request. */
export interface RequestAttributes {
  user: RbacUser;
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, … */
  verb: string;
  /** `''` for the core group. */
  apiGroup: string;
  /** Plural resource (`pods`); `''` for non-resource requests. */
  resource: string;
  subresource?: string;
  /** Absent or `''` for cluster-scoped requests. */
  namespace?: string;
  /** Absent for list, create (usually), deletecollection and watch of a collection. */
  name?: string;
  /** The URL path of a non-resource request (`/metrics`, `/healthz`). */
  path?: string;
  resourceRequest: boolean;
}

export interface AuthorizationDecision {
  allowed: boolean;
  /**
   * On allow, which binding and role allowed it (`RBAC: allowed by ClusterRoleBinding "x" of
   * ClusterRole "y" to User "z"`). On deny, `''` — or, like Kubernetes, `RBAC: ` followed by
   * the bindings that could not be resolved (a missing role), which `forbiddenMessage` appends.
   */
  reason: string;
}
