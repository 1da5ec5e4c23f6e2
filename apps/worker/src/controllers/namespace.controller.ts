import {
  findResource,
  NAMESPACE_FINALIZER,
  namespaceDeletionDecide,
  namespaceDeletionStatus,
  qualifiedResource,
  RESOURCES,
  type KubeObject,
  type NamespaceContentReport,
  type RemainingContent,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import { WRITE } from './shared';

const NAMESPACES = findResource('', 'v1', 'namespaces')!;

/**
 * Namespace deletion (decisions in libs/core/controllers/namespace), like Kubernetes'
 * namespace controller: the API only marks a deleted namespace (deletionTimestamp, phase
 * Terminating, the `kubernetes` finalizer); this deletes everything inside — every
 * namespaced resource in RESOURCES, through the Registry, so the objects' own finalizers and
 * the garbage collector are honoured — reports progress in the namespace's conditions, looks
 * again while content remains, and removes the `kubernetes` finalizer once the namespace is
 * empty (the store then deletes it, unless other finalizers hold it).
 */
export class NamespaceController {
  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async reconcile(name: string): Promise<ReconcileResult | void> {
    const namespace = await this.registry.get(NAMESPACES, '', name);
    const uid = namespace.metadata.uid;
    const finalizers = namespace.metadata.finalizers ?? [];
    // Not being deleted, or finalized by us already (other finalizers may still hold it).
    if (!namespace.metadata.deletionTimestamp || !finalizers.includes(NAMESPACE_FINALIZER)) return;

    const report = await this.deleteContent(name);
    const now = new Date();
    // Guarded by the version observed before the content was deleted (a Conflict requeues).
    const current = await this.registry.guaranteedUpdate(
      NAMESPACES,
      '',
      name,
      BigInt(namespace.metadata.resourceVersion!),
      WRITE,
      (cur) => {
        if (cur.metadata.uid !== uid) return cur;
        const status = namespaceDeletionStatus(cur, report, now);
        return status ? { ...cur, status } : cur;
      },
    );
    if (current.metadata.uid !== uid) return;

    const decision = namespaceDeletionDecide(current, report);
    switch (decision.action) {
      case 'none':
        return;
      case 'retry':
        // Thrown: the queue retries with backoff; the condition says what failed.
        throw new Error(`namespace ${name}: ${decision.message}`);
      case 'wait':
        return { requeueAfterMs: decision.requeueAfterMs };
      case 'finalize':
        await this.registry.guaranteedUpdate(NAMESPACES, '', name, undefined, WRITE, (cur) => {
          if (cur.metadata.uid !== uid) return cur;
          const finalizers = (cur.metadata.finalizers ?? []).filter(
            (f) => f !== NAMESPACE_FINALIZER,
          );
          return { ...cur, metadata: { ...cur.metadata, finalizers } };
        });
        this.log.info('namespace finalized', { namespace: name });
        return;
    }
  }

  /**
   * One pass: deletes every object of every namespaced resource (objects being deleted
   * already are left to whoever holds their finalizers), then lists what is left.
   */
  private async deleteContent(namespace: string): Promise<NamespaceContentReport> {
    const remaining: RemainingContent[] = [];
    const deleteFailures: string[] = [];
    for (const def of RESOURCES.filter((r) => r.namespaced)) {
      try {
        // No propagationPolicy: each object's own finalizers (foregroundDeletion, orphan)
        // decide, and the garbage collector finishes what they ask for.
        await this.registry.deleteCollection(def, namespace, {}, {}, WRITE);
        const left = await this.registry.repo.list({ resource: qualifiedResource(def), namespace });
        if (left.items.length > 0) {
          remaining.push({
            group: def.group,
            plural: def.plural,
            objects: left.items.map((i) => i.object as KubeObject),
          });
        }
      } catch (err) {
        deleteFailures.push(`${qualifiedResource(def)}: ${(err as Error).message}`);
      }
    }
    return { remaining, deleteFailures };
  }
}
