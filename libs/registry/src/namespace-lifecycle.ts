/**
 * Kubernetes' NamespaceLifecycle admission, for every namespaced kind: no new content in a
 * namespace that does not exist or is being terminated (403 with the `NamespaceTerminating`
 * cause).
 */
import {
  errors,
  namespaceDefinition,
  qualifiedResource,
  type KubeObject,
  type ResourceDefinition,
} from '@berth/core';
import type { ObjectRepository } from '@berth/store';

export async function assertNamespaceAcceptsContent(
  repo: ObjectRepository,
  def: ResourceDefinition,
  namespace: string,
  name: string,
): Promise<void> {
  const stored = await repo.get({
    resource: qualifiedResource(namespaceDefinition),
    namespace: '',
    name: namespace,
  });
  if (!stored) throw errors.notFound(namespaceDefinition.plural, namespace);
  if ((stored.object as KubeObject).metadata.deletionTimestamp) {
    const resource = qualifiedResource(def);
    throw errors.forbidden(
      `${name ? `${resource} "${name}"` : resource} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      {
        name,
        group: def.group || undefined,
        kind: def.plural,
        causes: [
          {
            reason: 'NamespaceTerminating',
            message: `namespace ${namespace} is being terminated`,
            field: 'metadata.namespace',
          },
        ],
      },
    );
  }
}
