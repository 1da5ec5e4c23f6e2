/**
 * Services: cluster IPs and node ports chosen, or checked, in the writing transaction (so
 * concurrent writes never get the same one; a dry run shows what it would get), kept when
 * an update leaves them out; at most so many ports.
 */
import {
  keepAllocatedValues,
  needsAllocation,
  qualifiedResource,
  serviceDefinition,
  servicePatchSchema,
  type KubeObject,
} from '@berth/core';
import { ServiceAllocator } from '../service-allocation';
import { defineStrategy, type StrategyContext, type TransactionStep } from '../strategy';

const SERVICES = qualifiedResource(serviceDefinition);

function allocator(ctx: StrategyContext): ServiceAllocator {
  return ctx.local(serviceDefinition, () => new ServiceAllocator(ctx.options.services));
}

function allocation(
  ctx: StrategyContext,
  next: KubeObject,
  current: KubeObject | undefined,
): TransactionStep | undefined {
  if (!needsAllocation(next, current)) return undefined;
  return {
    run: (tx) => allocator(ctx).allocate(() => tx.list(SERVICES), next, current),
    dryRun: (read) => allocator(ctx).allocate(() => read.list(SERVICES), next, current),
  };
}

export const serviceStrategy = defineStrategy(serviceDefinition, {
  prepareForCreate(service) {
    service.status = { loadBalancer: {} };
  },
  prepareForUpdate: keepAllocatedValues,
  validate(ctx, next, current) {
    allocator(ctx).assertPortCount(next, current);
  },
  inCreateTransaction: (ctx, service) => allocation(ctx, service, undefined),
  inUpdateTransaction: (ctx, next, current) => allocation(ctx, next, current),
  patchSchema: servicePatchSchema(),
});
