import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { validateResourceList } from './causes';
import { defineResource } from './define';
import { typeMeta } from './meta';
import { quantityMap } from './schema';
import { age, ageColumn, column, name, nameColumn } from './table';
import { isObject, obj } from './util';

export const TENANCY_GROUP = 'tenancy.berth.dev';
/** The label that ties a Namespace to its Tenant (set by admission, never by hand). */
export const TENANT_LABEL = 'tenancy.berth.dev/tenant';
export const TENANT_ROLES = ['tenant-admin', 'developer', 'viewer'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];

const member = z.strictObject({
  /** A username (cluster-wide identity). */
  user: z.string(),
  role: z.string(),
});

export const tenantSchema = z.strictObject({
  ...typeMeta(`${TENANCY_GROUP}/v1`, 'Tenant'),
  spec: z
    .strictObject({
      displayName: z.string().optional(),
      description: z.string().optional(),
      members: z.array(member).optional(),
      /** How many namespaces the tenant may own. */
      namespaceLimit: z.number().int().optional(),
      /** Tenant-wide hard limits over the sum of its namespaces (ResourceQuota's names). */
      quota: z.strictObject({ hard: quantityMap().optional() }).optional(),
      /** Nodes the tenant's pods may use (and its members may see). Empty: every node. */
      nodeSelector: z.record(z.string(), z.string()).optional(),
      /**
       * Suspended by a cluster admin: every member may only read (as a viewer) until it is
       * lifted; what runs keeps running.
       */
      suspended: z.boolean().optional(),
      /**
       * What the tenant's pods may ask for beyond an unprivileged user of their own
       * (tenancy/pod-security.ts); cluster admins only.
       */
      podSecurity: z
        .strictObject({
          allowPrivileged: z.boolean().optional(),
          allowRunAsRoot: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
  status: z
    .strictObject({
      namespaces: z.array(z.string()).optional(),
      used: quantityMap().optional(),
    })
    .optional(),
});

/** The members of a tenant as stored (defensive: a stored object is untyped). */
export function tenantMembers(t: KubeObject): Array<{ user: string; role: TenantRole }> {
  const members = obj(t.spec).members;
  if (!Array.isArray(members)) return [];
  return members.filter(
    (m): m is { user: string; role: TenantRole } =>
      isObject(m) &&
      typeof m.user === 'string' &&
      (TENANT_ROLES as readonly string[]).includes(m.role as string),
  );
}

/** Whether a cluster admin suspended the tenant (its members may only read). */
export function tenantSuspended(t: KubeObject | undefined): boolean {
  return !!t && obj(t.spec).suspended === true;
}

/** The namespace limit of a tenant; undefined means no limit. */
export function tenantNamespaceLimit(t: KubeObject): number | undefined {
  const v = obj(t.spec).namespaceLimit;
  return typeof v === 'number' ? v : undefined;
}

function validateTenant(o: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = obj(o.spec);
  const members = Array.isArray(spec.members) ? spec.members : [];
  const seen = new Set<string>();
  members.forEach((m, i) => {
    const entry = obj(m);
    const field = `spec.members[${i}]`;
    if (typeof entry.user !== 'string' || entry.user === '')
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: `${field}.user`,
      });
    else if (seen.has(entry.user))
      causes.push({
        reason: 'FieldValueDuplicate',
        message: `Duplicate value: "${entry.user}"`,
        field: `${field}.user`,
      });
    else seen.add(entry.user);
    if (!(TENANT_ROLES as readonly string[]).includes(entry.role as string))
      causes.push({
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: "${String(entry.role)}": supported values: ${TENANT_ROLES.map((r) => `"${r}"`).join(', ')}`,
        field: `${field}.role`,
      });
  });
  if (spec.namespaceLimit !== undefined && (spec.namespaceLimit as number) < 0)
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${String(spec.namespaceLimit)}: must be greater than or equal to 0`,
      field: 'spec.namespaceLimit',
    });
  validateResourceList(obj(spec.quota).hard, 'spec.quota.hard', causes);
  validateResourceList(obj(o.status).used, 'status.used', causes);
  return causes;
}

export const tenantDefinition = defineResource({
  group: TENANCY_GROUP,
  version: 'v1',
  kind: 'Tenant',
  plural: 'tenants',
  singular: 'tenant',
  namespaced: false,
  shortNames: ['tnt'],
  hasStatus: true,
  tracksGeneration: true,
  nameRule: 'label',
  schema: tenantSchema,
  validate: validateTenant,
  columns: [
    nameColumn(),
    column('Display Name', 'The name people see.'),
    column('Namespaces', 'Namespaces the tenant owns, and its limit.'),
    column('Members', 'How many users belong to the tenant.'),
    ageColumn(),
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const owned = obj(o.status).namespaces;
    const count = Array.isArray(owned) ? owned.length : 0;
    const limit = tenantNamespaceLimit(o);
    return [
      name(o),
      typeof spec.displayName === 'string' ? spec.displayName : '',
      limit === undefined ? String(count) : `${count}/${limit}`,
      tenantMembers(o).length,
      age(o, now),
    ];
  },
});
