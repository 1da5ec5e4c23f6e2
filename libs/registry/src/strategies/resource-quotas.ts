/**
 * ResourceQuotas: a namespace's quota must fit, with the tenant's other namespace quotas, in
 * the tenant quota; checked in the transaction that writes it.
 */
import { jsonEqual, cloneJson, resourceQuotaDefinition } from '@berth/core';
import { defineStrategy } from '../strategy';

export const resourceQuotaStrategy = defineStrategy(resourceQuotaDefinition, {
  inCreateTransaction(ctx, quota, { namespace, charged }) {
    if (!charged) return undefined;
    return { run: (tx) => ctx.quota.checkBudget(tx, quota, namespace) };
  },
  async inUpdateTransaction(ctx, next, current) {
    const namespace = next.metadata.namespace ?? '';
    if (jsonEqual(cloneJson(next.spec ?? null), cloneJson(current.spec ?? null))) return undefined;
    if (!(await ctx.quota.applies(namespace))) return undefined;
    return { run: (tx) => ctx.quota.checkBudget(tx, next, namespace) };
  },
});
