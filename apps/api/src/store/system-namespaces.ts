import { NODE_LEASE_NAMESPACE, isAlreadyExists, namespaceDefinition } from '@berth/core';
import type { Registry } from '@berth/registry';

/**
 * Namespaces the cluster needs before any client can act, made at start-up as
 * kube-apiserver does: `kube-node-lease` holds the node agents' heartbeat Leases, and
 * agents may not create namespaces themselves. Idempotent (several replicas may race).
 */
export const SYSTEM_NAMESPACES = [NODE_LEASE_NAMESPACE];

export async function ensureSystemNamespaces(registry: Registry): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await registry.create(
        namespaceDefinition,
        '',
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        { dryRun: false, fieldValidation: 'Ignore' },
      );
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}
