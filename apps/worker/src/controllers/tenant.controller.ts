import {
  computeQuotaUsage,
  findResource,
  ignoreNotFound,
  isConflict,
  TENANCY_GROUP,
  TENANT_LABEL,
  type KubeObject,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import { resourcesForQuotaKeys } from './quota.controller';
import { isGone, WRITE } from './shared';

const TENANTS = findResource(TENANCY_GROUP, 'v1', 'tenants')!;
const NAMESPACES = findResource('', 'v1', 'namespaces')!;

/**
 * Keeps each Tenant's status true: `namespaces` (what it owns) and `used` (its quota's
 * usage summed over those namespaces, recounted from the objects — admission charges new
 * objects, this gives back what was deleted and heals any drift). Keys are `tenant/<name>`
 * or `ns/<namespace>` (resolved to the namespace's tenant).
 */
export class TenantController {
  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const name = await this.tenantOf(key);
    if (!name) return;
    let tenant: KubeObject;
    try {
      tenant = await this.registry.get(TENANTS, '', name);
    } catch (err) {
      if (isGone(err)) return;
      throw err;
    }
    // Read before the objects are counted: the write below is conditional on this version,
    // so a creation charged meanwhile (which changes the tenant) makes it conflict.
    const version = BigInt(tenant.metadata.resourceVersion!);
    const namespaces = (
      await this.registry.list(NAMESPACES, undefined, { labelSelector: `${TENANT_LABEL}=${name}` })
    ).items
      .map((n) => n.metadata.name!)
      .sort();
    const hard = ((tenant.spec as { quota?: { hard?: Record<string, unknown> } } | undefined)?.quota
      ?.hard ?? {}) as Record<string, unknown>;
    const objects: KubeObject[] = [];
    if (Object.keys(hard).length && namespaces.length)
      for (const def of resourcesForQuotaKeys(Object.keys(hard)))
        objects.push(
          ...(await this.registry.list(def, undefined, { scope: { namespaces } })).items,
        );
    const used = computeQuotaUsage(
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard } },
      objects,
      { now: new Date() },
    );
    try {
      await this.registry.guaranteedUpdate(TENANTS, '', name, version, WRITE, (cur) => {
        const status: Record<string, unknown> = { ...(cur.status ?? {}), namespaces };
        if (Object.keys(hard).length) status.used = used;
        else delete status.used;
        return { ...cur, status };
      });
    } catch (err) {
      if (isConflict(err)) return { requeueAfterMs: 0 };
      ignoreNotFound(err);
    }
    this.log.debug('tenant status reconciled', { tenant: name, namespaces: namespaces.length });
  }

  private async tenantOf(key: string): Promise<string | undefined> {
    if (key.startsWith('tenant/')) return key.slice('tenant/'.length);
    if (!key.startsWith('ns/')) return undefined;
    try {
      const ns = await this.registry.get(NAMESPACES, '', key.slice('ns/'.length));
      return ns.metadata.labels?.[TENANT_LABEL];
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
  }
}
