/**
 * QuotaRequests: approving one changes the tenant quota to the requested limits in the same
 * transaction as the request's status.
 */
import { quotaRequestDefinition, type KubeObject } from '@berth/core';
import { defineStrategy } from '../strategy';

const phase = (o: KubeObject) => (o.status as { phase?: string } | undefined)?.phase;

export const quotaRequestStrategy = defineStrategy(quotaRequestDefinition, {
  inUpdateTransaction(ctx, next, current) {
    if (phase(next) !== 'Approved' || phase(current) === 'Approved') return undefined;
    return { run: (tx) => ctx.quota.approve(tx, next) };
  },
});
