/**
 * Quota admission, pure (Kubernetes' ResourceQuota admission plugin, plus Berth's tenant
 * quota): what creating an object adds to a quota's `used`, whether that stays within
 * `hard`, and the denial message — naming the quota, the request, what is used and what
 * is allowed. The caller applies the new `used` in the same transaction as the object.
 */
import type { KubeObject } from '../api/types';
import { computeQuotaUsage, quotaResourceName } from '../controllers/quota';
import { parseQuantity, Quantity } from '../quantity';

export interface QuotaLimits {
  /** `spec.hard` of a ResourceQuota, or `spec.quota.hard` of a Tenant. */
  hard: Record<string, unknown>;
  /** The ledger: `status.used`. */
  used: Record<string, unknown>;
}

export interface QuotaCharge {
  /** Resources the object uses (only keys of `hard`, only non-zero ones). */
  requested: Record<string, string>;
  /** `used` after the charge (every key of `hard`). */
  used: Record<string, string>;
  /** Resources that would go over `hard`. */
  exceeded: string[];
}

function q(v: unknown): Quantity {
  if (typeof v !== 'string' && typeof v !== 'number') return Quantity.zero();
  try {
    return parseQuantity(v);
  } catch {
    return Quantity.zero();
  }
}

/** True when `used` has a value for every key of `hard` (the ledger is initialised). */
export function ledgerComplete(limits: QuotaLimits): boolean {
  return Object.keys(limits.hard).every((k) => limits.used[k] !== undefined);
}

/**
 * Charges `object` to a quota. `scopeOf` is the ResourceQuota itself (its scopes decide
 * which pods count); a tenant quota has no scopes.
 */
export function chargeQuota(
  limits: QuotaLimits,
  object: KubeObject,
  scopeOf?: KubeObject,
): QuotaCharge {
  const probe: KubeObject = {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'probe', namespace: object.metadata.namespace },
    spec: { ...((scopeOf?.spec as object | undefined) ?? {}), hard: limits.hard },
  };
  const delta = computeQuotaUsage(probe, [object]);
  const requested: Record<string, string> = {};
  const used: Record<string, string> = {};
  const exceeded: string[] = [];
  for (const key of Object.keys(limits.hard).sort()) {
    const add = q(delta[key]);
    const before = q(limits.used[key]);
    const after = before.add(add);
    used[key] = after.toString();
    if (add.isZero()) continue;
    requested[key] = add.toString();
    if (after.cmp(q(limits.hard[key])) > 0) exceeded.push(key);
  }
  return { requested, used, exceeded };
}

function pairs(keys: string[], values: Record<string, unknown>): string {
  return keys.map((k) => `${k}=${q(values[k]).toString()}`).join(',');
}

/**
 * Kubernetes' wording (`exceeded quota: <name>, requested: …, used: …, limited: …`), for a
 * namespace ResourceQuota or, with `tenant`, the tenant-wide quota.
 */
export function quotaExceededMessage(
  object: KubeObject,
  quotaName: string,
  limits: QuotaLimits,
  charge: QuotaCharge,
  tenant = false,
): string {
  const keys = charge.exceeded;
  const resource = quotaResourceName(object);
  const subject = object.metadata.name ? `${resource} "${object.metadata.name}"` : resource;
  const what = tenant ? `exceeded tenant quota: ${quotaName}` : `exceeded quota: ${quotaName}`;
  return `${subject} is forbidden: ${what}, requested: ${pairs(keys, charge.requested)}, used: ${pairs(
    keys,
    limits.used,
  )}, limited: ${pairs(keys, limits.hard)}`;
}
