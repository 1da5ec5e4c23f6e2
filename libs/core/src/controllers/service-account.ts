/**
 * The service account controller's decision (Kubernetes' ServiceAccountsController): every
 * active namespace has a ServiceAccount named `default`, made when the namespace is and
 * made again if it is deleted. A terminating namespace gets none (its content is going).
 */
import type { KubeObject } from '../api/types';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

/** The `default` ServiceAccount of `namespace`, as it is first written. */
export function defaultServiceAccount(namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace },
  };
}

/**
 * What the controller does for one namespace: `create` the default ServiceAccount when the
 * namespace is active and has none, else nothing.
 */
export function decideServiceAccounts(
  namespace: KubeObject | undefined,
  existing: readonly string[],
): { create?: KubeObject } {
  if (!namespace?.metadata.name || namespace.metadata.deletionTimestamp) return {};
  const phase = (namespace.status as { phase?: string } | undefined)?.phase;
  if (phase === 'Terminating') return {};
  if (existing.includes(DEFAULT_SERVICE_ACCOUNT)) return {};
  return { create: defaultServiceAccount(namespace.metadata.name) };
}
