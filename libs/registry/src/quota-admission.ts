/**
 * Admission that every writer shares, because it lives in the registry (the API server
 * and the controllers both create through it): LimitRange defaults and limits for pods,
 * and quota — namespace ResourceQuotas and the tenant-wide quota — charged in the same
 * transaction as the object, so concurrent creations never overshoot `hard`.
 */
import {
  applyLimitRangeDefaults,
  chargeQuota,
  computeQuotaUsage,
  errors,
  ledgerComplete,
  namespaceLimitMessage,
  tenantNamespaceLimit,
  parseQuantity,
  limitRangeMessage,
  limitRangeViolations,
  qualifiedResource,
  quotaExceededMessage,
  RESOURCES,
  TENANCY_GROUP,
  TENANT_LABEL,
  type ApiError,
  type KubeObject,
  type QuotaLimits,
} from '@berth/core';
import type { AdmissionRepository, AtomicTransaction, StoredObject } from '@berth/store';

const QUOTAS = 'resourcequotas';
const NAMESPACES = 'namespaces';
const TENANTS = `tenants.${TENANCY_GROUP}`;

function hardOf(o: KubeObject, path: 'spec' | 'tenant'): Record<string, unknown> {
  const spec = (o.spec ?? {}) as {
    hard?: Record<string, unknown>;
    quota?: { hard?: Record<string, unknown> };
  };
  return (path === 'spec' ? spec.hard : spec.quota?.hard) ?? {};
}

function usedOf(o: KubeObject): Record<string, unknown> {
  return ((o.status ?? {}) as { used?: Record<string, unknown> }).used ?? {};
}

/** The store resources a quota's keys count (pods for compute keys, `count/x` for x…). */
function countedResources(hard: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const key of Object.keys(hard)) {
    if (key === 'pods' || key === 'cpu' || key === 'memory' || key === 'ephemeral-storage')
      out.add('pods');
    else if (key.startsWith('requests.') || key.startsWith('limits.')) out.add('pods');
    else if (key.startsWith('count/')) out.add(key.slice('count/'.length));
    else if (key === 'services' || key.startsWith('services.')) out.add('services');
    else if (key === 'resourcequotas') out.add(QUOTAS);
    else if (key === 'replicationcontrollers') out.add(key);
    else if (key === 'configmaps' || key === 'secrets') out.add(key);
  }
  const served = new Set(RESOURCES.filter((r) => r.namespaced).map(qualifiedResource));
  return [...out].filter((r) => served.has(r));
}

/** One quota being charged: a namespace ResourceQuota, or the tenant's quota. */
interface Ledger {
  stored: StoredObject;
  limits: QuotaLimits;
  changed: boolean;
  name: string;
  /** A ResourceQuota (its scopes apply); absent for the tenant's. */
  scope?: KubeObject;
  tenant?: boolean;
}

export class QuotaAdmission {
  constructor(
    private readonly admission: AdmissionRepository,
    /** The registry's selectable fields of an object (kept current on every write). */
    private readonly fieldsOf: (o: KubeObject) => Record<string, string>,
  ) {}

  /**
   * Before a create in `namespace` (one round trip): with `limitRanges` (pods), LimitRange
   * defaults and limits (403 when it breaks them); and whether a quota may charge the object.
   */
  async prepare(object: KubeObject, namespace: string, limitRanges: boolean): Promise<boolean> {
    const ctx = await this.admission.admissionContext(namespace, limitRanges);
    const ranges = ctx.limitRanges as unknown as KubeObject[];
    if (limitRanges && ranges.length) {
      applyLimitRangeDefaults(object, ranges);
      const problems = limitRangeViolations(object, ranges);
      if (problems.length) throw errors.forbidden(limitRangeMessage(object, problems));
    }
    return ctx.quotaApplies;
  }

  /** True when some quota could charge an object created in `namespace` (a cheap pre-check). */
  applies(namespace: string): Promise<boolean> {
    return this.admission.quotaApplies(namespace);
  }

  /**
   * Inside the creating transaction: charges `object` to every quota of its namespace and
   * to its tenant's quota, writing the new `status.used` (the ledger). Throws 403 with
   * the arithmetic when any would go over `hard`.
   */
  async charge(tx: AtomicTransaction, object: KubeObject, namespace: string): Promise<void> {
    const [refused] = await this.chargeMany(tx, [object], namespace);
    if (refused) throw refused;
  }

  /**
   * Charges several objects created in `namespace` in one go, in order, each against the
   * ledgers as the ones before it left them: the quotas and the tenant are read once and
   * each written once. Returns, per object, the 403 that refuses it (nothing is charged
   * for a refused object) or undefined.
   */
  async chargeMany(
    tx: AtomicTransaction,
    objects: readonly KubeObject[],
    namespace: string,
  ): Promise<Array<ApiError | undefined>> {
    const ledgers: Ledger[] = [];
    for (const stored of await tx.list(QUOTAS, [namespace])) {
      const quota = stored.object as KubeObject;
      const limits: QuotaLimits = { hard: hardOf(quota, 'spec'), used: usedOf(quota) };
      if (!ledgerComplete(limits))
        limits.used = computeQuotaUsage(quota, await this.objects(tx, limits.hard, [namespace]));
      ledgers.push({ stored, limits, changed: false, name: quota.metadata.name!, scope: quota });
    }
    const ns = await tx.get({ resource: NAMESPACES, namespace: '', name: namespace });
    const tenantName = (ns?.object as KubeObject | undefined)?.metadata.labels?.[TENANT_LABEL];
    const storedTenant = tenantName
      ? await tx.get({ resource: TENANTS, namespace: '', name: tenantName })
      : null;
    if (storedTenant) {
      const tenant = storedTenant.object as KubeObject;
      const limits: QuotaLimits = { hard: hardOf(tenant, 'tenant'), used: usedOf(tenant) };
      if (Object.keys(limits.hard).length) {
        if (!ledgerComplete(limits)) {
          const namespaces = (await tx.list(NAMESPACES))
            .map((n) => n.object as KubeObject)
            .filter((n) => n.metadata.labels?.[TENANT_LABEL] === tenantName)
            .map((n) => n.metadata.name!);
          limits.used = computeQuotaUsage(
            {
              apiVersion: 'v1',
              kind: 'ResourceQuota',
              metadata: { name: tenantName },
              spec: { hard: limits.hard },
            },
            await this.objects(tx, limits.hard, namespaces),
          );
        }
        ledgers.push({
          stored: storedTenant,
          limits,
          changed: false,
          name: tenantName!,
          tenant: true,
        });
      }
    }
    const refused = objects.map((object) => {
      const charges: Array<{ ledger: Ledger; used: Record<string, string> }> = [];
      for (const ledger of ledgers) {
        const charge = chargeQuota(ledger.limits, object, ledger.scope);
        if (charge.exceeded.length)
          return errors.forbidden(
            quotaExceededMessage(object, ledger.name, ledger.limits, charge, ledger.tenant),
          );
        if (Object.keys(charge.requested).length) charges.push({ ledger, used: charge.used });
      }
      for (const { ledger, used } of charges) {
        ledger.limits = { hard: ledger.limits.hard, used };
        ledger.changed = true;
      }
      return undefined;
    });
    for (const ledger of ledgers) {
      if (!ledger.changed) continue;
      const current = ledger.stored.object as KubeObject;
      const status = (current.status ?? {}) as Record<string, unknown>;
      const next: KubeObject = {
        ...current,
        status: ledger.tenant
          ? { ...status, used: ledger.limits.used }
          : { ...status, hard: { ...ledger.limits.hard }, used: ledger.limits.used },
      };
      const written = await tx.update(
        ledger.stored.key,
        next as never,
        this.fieldsOf(next),
        ledger.stored.resourceVersion,
      );
      if (!written)
        throw errors.conflict(
          QUOTAS,
          ledger.stored.key.name,
          'the quota changed while it was being charged; try again',
        );
    }
    return refused;
  }

  /** A namespace joining a tenant must fit in its namespace limit (exact: in the transaction). */
  async checkNamespaceLimit(tx: AtomicTransaction, ns: KubeObject): Promise<void> {
    const tenantName = ns.metadata.labels?.[TENANT_LABEL];
    if (!tenantName) return;
    const tenant = await tx.get({ resource: TENANTS, namespace: '', name: tenantName });
    const limit = tenant ? tenantNamespaceLimit(tenant.object as KubeObject) : undefined;
    if (limit === undefined) return;
    const owned = (await tx.list(NAMESPACES))
      .filter((n) => (n.object as KubeObject).metadata.labels?.[TENANT_LABEL] === tenantName)
      .map((n) => n.key.name)
      .filter((n) => n !== ns.metadata.name);
    const message = namespaceLimitMessage(ns.metadata.name!, tenantName, owned, limit);
    if (message) throw errors.forbidden(message);
  }

  /**
   * A namespace ResourceQuota must fit, with the other namespace quotas of its tenant, in
   * the tenant quota: tenant admins split their budget, never exceed it.
   */
  async checkBudget(tx: AtomicTransaction, quota: KubeObject, namespace: string): Promise<void> {
    const ns = await tx.get({ resource: NAMESPACES, namespace: '', name: namespace });
    const tenantName = (ns?.object as KubeObject | undefined)?.metadata.labels?.[TENANT_LABEL];
    if (!tenantName) return;
    const tenant = await tx.get({ resource: TENANTS, namespace: '', name: tenantName });
    const budget = tenant ? hardOf(tenant.object as KubeObject, 'tenant') : {};
    const mine = hardOf(quota, 'spec');
    const keys = Object.keys(budget).filter((k) => mine[k] !== undefined);
    if (!keys.length) return;
    const namespaces = (await tx.list(NAMESPACES))
      .filter((n) => (n.object as KubeObject).metadata.labels?.[TENANT_LABEL] === tenantName)
      .map((n) => n.key.name);
    const others = (await tx.list(QUOTAS, namespaces)).filter(
      (q) => !(q.key.namespace === namespace && q.key.name === quota.metadata.name),
    );
    const over: string[] = [];
    const totals: string[] = [];
    for (const key of keys.sort()) {
      let total = parseQuantity(String(mine[key]));
      for (const other of others) {
        const v = hardOf(other.object as KubeObject, 'spec')[key];
        if (v !== undefined) total = total.add(parseQuantity(String(v)));
      }
      const allowed = parseQuantity(String(budget[key]));
      if (total.cmp(allowed) > 0) {
        over.push(key);
        totals.push(`${key}=${total.toString()} (tenant quota ${allowed.toString()})`);
      }
    }
    if (over.length)
      throw errors.forbidden(
        `resourcequotas "${quota.metadata.name}" is forbidden: the namespace quotas of tenant "${tenantName}" would add up to ${totals.join(', ')}; lower another namespace's quota, or ask a cluster admin for more with a QuotaRequest`,
      );
  }

  /**
   * Approving a quota request: the tenant quota takes the requested limits, in the same
   * transaction as the request's status (which records the limits it replaced).
   */
  async approve(tx: AtomicTransaction, request: KubeObject): Promise<void> {
    const spec = (request.spec ?? {}) as { tenant?: string; hard?: Record<string, unknown> };
    const stored = await tx.get({ resource: TENANTS, namespace: '', name: spec.tenant ?? '' });
    if (!stored)
      throw errors.conflict(
        `quotarequests.${TENANCY_GROUP}`,
        request.metadata.name!,
        `tenant "${spec.tenant}" no longer exists`,
      );
    const tenant = stored.object as KubeObject;
    const previous = hardOf(tenant, 'tenant');
    const tenantSpec = (tenant.spec ?? {}) as Record<string, unknown>;
    const quota = (tenantSpec.quota ?? {}) as Record<string, unknown>;
    const next: KubeObject = {
      ...tenant,
      metadata: { ...tenant.metadata, generation: (tenant.metadata.generation ?? 1) + 1 },
      spec: { ...tenantSpec, quota: { ...quota, hard: { ...previous, ...(spec.hard ?? {}) } } },
    };
    const written = await tx.update(
      stored.key,
      next as never,
      this.fieldsOf(next),
      stored.resourceVersion,
    );
    if (!written)
      throw errors.conflict(
        'tenants',
        spec.tenant!,
        'the tenant changed; try again',
        TENANCY_GROUP,
      );
    request.status = { ...(request.status ?? {}), previous: { ...previous } };
  }

  private async objects(
    tx: AtomicTransaction,
    hard: Record<string, unknown>,
    namespaces: string[],
  ): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    for (const resource of countedResources(hard))
      for (const s of await tx.list(resource, namespaces)) out.push(s.object as KubeObject);
    return out;
  }
}
