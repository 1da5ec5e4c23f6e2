import { isIP } from 'node:net';
import {
  findResource,
  isAlreadyExists,
  isConflict,
  isInvalid,
  namespaceDefinition,
  NODE_LEASE_NAMESPACE,
  type KubeObject,
  type ResourceDefinition,
} from '@berth/core';
import type { Registry } from '@berth/registry';

/**
 * Namespaces the cluster needs before any client can act, made at start-up as
 * kube-apiserver does: `default`, `kube-system` and `kube-public`, which every client
 * assumes, and `kube-node-lease`, which holds the node agents' heartbeat Leases (agents
 * may not create namespaces themselves). None belongs to a tenant: only cluster admins
 * act in them, except that every authenticated user may read `kube-public` (see
 * PUBLIC_READER). Idempotent (several replicas may race).
 */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', NODE_LEASE_NAMESPACE];

export const PUBLIC_NAMESPACE = 'kube-public';
const PUBLIC_READER = 'system:public-info-viewer';

const WRITE = { dryRun: false, fieldValidation: 'Ignore' } as const;

function def(group: string, version: string, plural: string): ResourceDefinition {
  return findResource(group, version, plural)!;
}

async function createIfAbsent(
  registry: Registry,
  d: ResourceDefinition,
  namespace: string,
  object: KubeObject,
): Promise<void> {
  try {
    await registry.create(d, namespace, object, WRITE);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/**
 * `kube-public` is readable by every authenticated user, as in Kubernetes (where it holds
 * the `cluster-info` ConfigMap): a Role reading its ConfigMaps, bound to
 * `system:authenticated`.
 */
function publicReader(): { role: KubeObject; binding: KubeObject } {
  const rbac = 'rbac.authorization.k8s.io';
  const metadata = {
    name: PUBLIC_READER,
    namespace: PUBLIC_NAMESPACE,
    labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  };
  return {
    role: {
      apiVersion: `${rbac}/v1`,
      kind: 'Role',
      metadata,
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    } as KubeObject,
    binding: {
      apiVersion: `${rbac}/v1`,
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: rbac, kind: 'Role', name: PUBLIC_READER },
      subjects: [{ apiGroup: rbac, kind: 'Group', name: 'system:authenticated' }],
    } as KubeObject,
  };
}

export async function ensureSystemNamespaces(registry: Registry): Promise<void> {
  for (const name of SYSTEM_NAMESPACES)
    await createIfAbsent(registry, namespaceDefinition, '', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  const { role, binding } = publicReader();
  await createIfAbsent(
    registry,
    def('rbac.authorization.k8s.io', 'v1', 'roles'),
    PUBLIC_NAMESPACE,
    role,
  );
  await createIfAbsent(
    registry,
    def('rbac.authorization.k8s.io', 'v1', 'rolebindings'),
    PUBLIC_NAMESPACE,
    binding,
  );
}

/**
 * The address in-cluster clients reach this API at: the bound host when it is one address,
 * else loopback (nodes' processes run on the API's machine in the default set-up).
 */
export function advertisedAddress(host: string): string {
  return isIP(host) === 4 && host !== '0.0.0.0' ? host : '127.0.0.1';
}

/**
 * The `kubernetes` Service in `default` (ClusterIP `clusterIP` — the first address of the
 * service range, which the serving certificate names, as in Kubernetes — port 443 → the
 * API's port) and its
 * Endpoints with the API's address, which in-cluster clients use, as kube-apiserver keeps
 * them. The Service has no selector, so the endpoints controller leaves the Endpoints to
 * the API. Each replica writes its own address at start; with several replicas the last
 * to start wins (Kubernetes' lease-based reconciler, listing every replica, comes later).
 */
export async function ensureKubernetesService(
  registry: Registry,
  address: string,
  port: number,
  clusterIP?: string,
): Promise<void> {
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  const service = (ip?: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels },
    spec: {
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ...(ip ? { clusterIP: ip } : {}),
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
    },
  });
  try {
    await createIfAbsent(registry, def('', 'v1', 'services'), 'default', service(clusterIP));
  } catch (err) {
    // The address is another Service's (stored before this one was reserved): any will do.
    if (!clusterIP || !isInvalid(err)) throw err;
    await createIfAbsent(registry, def('', 'v1', 'services'), 'default', service());
  }
  const endpoints = def('', 'v1', 'endpoints');
  const subsets = [
    { addresses: [{ ip: address }], ports: [{ name: 'https', port, protocol: 'TCP' }] },
  ];
  const current = await registry.get(endpoints, 'default', 'kubernetes').catch(() => undefined);
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels },
    subsets,
  } as KubeObject;
  if (!current) return createIfAbsent(registry, endpoints, 'default', object);
  if (JSON.stringify((current as { subsets?: unknown }).subsets) === JSON.stringify(subsets))
    return;
  object.metadata.resourceVersion = current.metadata.resourceVersion;
  try {
    await registry.update(endpoints, 'default', 'kubernetes', object, '', WRITE);
  } catch (err) {
    if (!isConflict(err)) throw err; // another replica wrote it meanwhile
  }
}
