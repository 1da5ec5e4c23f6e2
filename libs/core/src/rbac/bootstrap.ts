/**
 * The built-in ClusterRoles Berth creates at start, like Kubernetes' bootstrap policy
 * (`plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go`), labelled
 * `kubernetes.io/bootstrapping: rbac-defaults`.
 *
 * - `cluster-admin`: everything, including every non-resource URL.
 * - `admin`, `edit`, `view`: the user-facing roles, meant to be granted inside a namespace
 *   through a RoleBinding. They follow Kubernetes' intent over the resources Berth serves:
 *   - `view` reads the workload and service objects of a namespace and their status, scale
 *     and logs, reads its quotas and limit ranges, and may `get` the namespace itself. Like
 *     Kubernetes it does not read roles, role bindings or secrets (it reads configmaps and
 *     service accounts).
 *   - `edit` adds writing pods, services, events, configmaps, deployments and replica sets
 *     (and their `scale`), reading and writing secrets, managing service accounts and
 *     requesting their tokens (`create` on `serviceaccounts/token`), and evicting pods
 *     (`create` on `pods/eviction`, what `kubectl drain` asks for), as Kubernetes' edit.
 *     It cannot write `resourcequotas` or `limitranges` (they constrain the
 *     namespace), any `/status` (written by the system), or `endpoints` (written by the
 *     endpoints controller; Kubernetes dropped that write from `edit` in 1.22, CVE-2021-25740).
 *   - `admin` is `edit` plus full control of `roles` and `rolebindings` in the namespace.
 *     Role changes still go through escalation prevention (`coversRules`).
 *   - None of them touches nodes, namespace writes, leases (`coordination.k8s.io` is for
 *     agents and controllers) or cluster-scoped RBAC objects.
 *   Kubernetes builds these three by aggregation (`aggregate-to-*` labels); Berth has no
 *   aggregation controller yet, so their rules are written out here.
 * - No `system:node` role: node credentials are authorized by the node authorizer, not RBAC.
 */
import type { ClusterRoleObject, PolicyRule } from './types';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = [...READ, ...WRITE];

const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  apiGroups: [...apiGroups],
  resources: [...resources],
  verbs: [...verbs],
});

const VIEW_RULES: PolicyRule[] = [
  rule(
    READ,
    [''],
    [
      'pods',
      'pods/log',
      'pods/status',
      'services',
      'services/status',
      'endpoints',
      'events',
      'resourcequotas',
      'resourcequotas/status',
      'limitranges',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'replicationcontrollers/status',
      'serviceaccounts',
    ],
  ),
  // ConfigMaps yes; Secrets never (reading them is reading credentials), as in Kubernetes.
  rule(READ, [''], ['configmaps']),
  // Reading the namespace a binding is in tells a user which namespaces they have.
  rule(['get'], [''], ['namespaces']),
  rule(
    READ,
    ['apps'],
    [
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'daemonsets',
      'daemonsets/status',
      // As Kubernetes' view: revision history is read, only controllers write it.
      'controllerrevisions',
    ],
  ),
  rule(READ, ['batch'], ['jobs', 'jobs/status', 'cronjobs', 'cronjobs/status']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
];

const EDIT_RULES: PolicyRule[] = [
  rule(
    WRITE,
    [''],
    ['pods', 'services', 'events', 'replicationcontrollers', 'replicationcontrollers/scale'],
  ),
  // As Kubernetes' edit: manage service accounts and request their tokens.
  rule(WRITE, [''], ['serviceaccounts']),
  rule(['create'], [''], ['serviceaccounts/token']),
  // As Kubernetes' edit: evict pods (kubectl drain), which a disruption budget may refuse.
  rule(['create'], [''], ['pods/eviction']),
  rule(WRITE, ['apps'], ['deployments', 'deployments/scale', 'replicasets', 'replicasets/scale']),
  rule(WRITE, ['apps'], ['daemonsets']),
  rule(WRITE, ['batch'], ['jobs', 'cronjobs']),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(WRITE, [''], ['configmaps']),
  rule(READ_WRITE, [''], ['secrets']),
  ...VIEW_RULES,
];

const ADMIN_RULES: PolicyRule[] = [
  rule(READ_WRITE, ['rbac.authorization.k8s.io'], ['roles', 'rolebindings']),
  ...EDIT_RULES,
];

const clusterRole = (name: string, rules: PolicyRule[]): ClusterRoleObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: {
    name,
    labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
    annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
  },
  // Own copies: the roles share rule lists, and a tree with shared nodes does not survive
  // `deepClone` (it drops objects met twice).
  rules: rules.map((r) => structuredClone(r)),
});

/** Deeply frozen, so a caller cannot change the built-in policy by accident. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export const BUILTIN_CLUSTER_ROLES: readonly ClusterRoleObject[] = deepFreeze([
  clusterRole('cluster-admin', [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ]),
  clusterRole('admin', ADMIN_RULES),
  clusterRole('edit', EDIT_RULES),
  clusterRole('view', VIEW_RULES),
]);

export type TenantRoleName = 'tenant-admin' | 'developer' | 'viewer';

/** The ClusterRole a tenant role is granted as, through a RoleBinding per tenant namespace. */
export const TENANT_ROLE_CLUSTER_ROLE: Readonly<Record<TenantRoleName, string>> = Object.freeze({
  'tenant-admin': 'admin',
  developer: 'edit',
  viewer: 'view',
});
