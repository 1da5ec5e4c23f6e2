import {
  findResource,
  ignoreNotFound,
  isConflict,
  qualifiedResource,
  quotaStatus,
  RESOURCES,
  type KubeObject,
  type ResourceDefinition,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import { WRITE } from './shared';

const QUOTAS = findResource('', 'v1', 'resourcequotas')!;

const BY_RESOURCE = new Map(RESOURCES.map((r) => [qualifiedResource(r), r]));

/** Quota keys computed from pods (computeQuotaUsage's pod evaluator). */
const POD_KEYS = new Set(['pods', 'count/pods', 'cpu', 'memory', 'ephemeral-storage']);
/** Legacy object-count keys and the resource each counts. */
const LEGACY: Record<string, string> = {
  services: 'services',
  'services.loadbalancers': 'services',
  'services.nodeports': 'services',
  'requests.storage': 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
  secrets: 'secrets',
  configmaps: 'configmaps',
  persistentvolumeclaims: 'persistentvolumeclaims',
};

/**
 * The resources (qualified names: `pods`, `deployments.apps`) whose objects the usage of
 * `hardKeys` is computed from, limited to those Berth serves (others count 0).
 */
export function resourcesForQuotaKeys(hardKeys: Iterable<string>): ResourceDefinition[] {
  const names = new Set<string>();
  for (const key of hardKeys) {
    if (POD_KEYS.has(key) || (key.startsWith('requests.') && key !== 'requests.storage'))
      names.add('pods');
    else if (key.startsWith('limits.')) names.add('pods');
    else if (key.startsWith('count/')) names.add(key.slice('count/'.length));
    else if (LEGACY[key]) names.add(LEGACY[key]);
  }
  return [...names]
    .sort()
    .map((n) => BY_RESOURCE.get(n))
    .filter((d): d is ResourceDefinition => d !== undefined && d.namespaced);
}

/**
 * Keeps every ResourceQuota's `status.hard` / `status.used` equal to what the namespace's
 * objects add up to (decisions in libs/core/controllers/quota), so any drift heals. Writes
 * only when the status differs.
 */
export class QuotaController {
  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async reconcile(namespace: string): Promise<ReconcileResult | void> {
    const quotas = (await this.registry.list(QUOTAS, namespace, {})).items;
    if (quotas.length === 0) return;
    const keys = quotas.flatMap((q) =>
      Object.keys((q.spec as { hard?: Record<string, unknown> } | undefined)?.hard ?? {}),
    );
    const objects: KubeObject[] = [];
    for (const def of resourcesForQuotaKeys(keys))
      objects.push(...(await this.registry.list(def, namespace, {})).items);
    const now = new Date();

    let again = false;
    for (const quota of quotas) {
      try {
        // Precondition: the version read before the objects were listed. Admission charges
        // a new object to the quota in the object's own transaction, so a creation after
        // that read changes the quota and makes this write conflict (then recount): a
        // recount never erases a charge it did not see.
        const written = await this.registry.guaranteedUpdate(
          QUOTAS,
          namespace,
          quota.metadata.name!,
          BigInt(quota.metadata.resourceVersion!),
          WRITE,
          (cur) => ({ ...cur, status: quotaStatus(cur, objects, { now }) }),
        );
        if (written.metadata.resourceVersion !== quota.metadata.resourceVersion)
          this.log.debug('quota status updated', {
            quota: `${namespace}/${quota.metadata.name}`,
            used: (written.status as { used?: unknown } | undefined)?.used,
          });
      } catch (err) {
        if (isConflict(err)) again = true;
        else ignoreNotFound(err);
      }
    }
    if (again) return { requeueAfterMs: 0 };
  }
}
