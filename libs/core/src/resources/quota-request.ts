import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { validateResourceList } from './causes';
import { defineResource } from './define';
import { typeMeta } from './meta';
import { quantityMap } from './schema';
import { age, ageColumn, column, name, nameColumn } from './table';
import { isObject, obj } from './util';
import { TENANCY_GROUP } from './tenant';

export const QUOTA_REQUEST_PHASES = ['Pending', 'Approved', 'Denied'] as const;

/**
 * A tenant admin's request for more tenant quota: `spec.hard` holds the limits asked for
 * (the new values, not increments) and `spec.reason` why. A cluster admin decides through
 * the status subresource (`status.phase` Approved or Denied, with `status.reason`); an
 * approval changes the tenant quota in the same transaction.
 */
export const quotaRequestSchema = z.strictObject({
  ...typeMeta(`${TENANCY_GROUP}/v1`, 'QuotaRequest'),
  spec: z
    .strictObject({
      tenant: z.string().optional(),
      hard: quantityMap().optional(),
      reason: z.string().optional(),
      /** Set by the server: who filed it. */
      requestedBy: z.string().optional(),
    })
    .optional(),
  status: z
    .strictObject({
      phase: z.string().optional(),
      reason: z.string().optional(),
      decidedBy: z.string().optional(),
      decidedAt: z.string().optional(),
      /** The tenant quota before an approval changed it. */
      previous: quantityMap().optional(),
    })
    .optional(),
});

function validateQuotaRequest(o: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = obj(o.spec);
  if (typeof spec.tenant !== 'string' || spec.tenant === '')
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.tenant' });
  if (!isObject(spec.hard) || Object.keys(spec.hard).length === 0)
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: name at least one resource and the limit wanted',
      field: 'spec.hard',
    });
  validateResourceList(spec.hard, 'spec.hard', causes);
  if (typeof spec.reason !== 'string' || spec.reason.trim() === '')
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: say why the tenant needs it',
      field: 'spec.reason',
    });
  const status = obj(o.status);
  const phase = status.phase ?? 'Pending';
  if (!(QUOTA_REQUEST_PHASES as readonly unknown[]).includes(phase))
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${String(phase)}": supported values: "Pending", "Approved", "Denied"`,
      field: 'status.phase',
    });
  if (phase === 'Denied' && (typeof status.reason !== 'string' || status.reason.trim() === ''))
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: a denial says why',
      field: 'status.reason',
    });
  if (old) {
    if (JSON.stringify(old.spec) !== JSON.stringify(o.spec))
      causes.push({
        reason: 'FieldValueForbidden',
        message: 'Forbidden: a quota request cannot be changed once filed; file a new one',
        field: 'spec',
      });
    const before = obj(old.status).phase ?? 'Pending';
    if (before !== 'Pending' && before !== phase)
      causes.push({
        reason: 'FieldValueForbidden',
        message: `Forbidden: the request was already ${String(before)}`,
        field: 'status.phase',
      });
  }
  return causes;
}

export const quotaRequestDefinition = defineResource({
  group: TENANCY_GROUP,
  version: 'v1',
  kind: 'QuotaRequest',
  plural: 'quotarequests',
  singular: 'quotarequest',
  namespaced: false,
  shortNames: ['qr'],
  hasStatus: true,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: quotaRequestSchema,
  validate: validateQuotaRequest,
  columns: [
    nameColumn(),
    column('Tenant', 'The tenant asking.'),
    column('Phase', 'Pending, Approved or Denied.'),
    column('Requested', 'The tenant quota limits asked for.'),
    column('Reason', 'Why (the request), or the decision reason.', { wide: true }),
    ageColumn(),
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const hard = obj(spec.hard);
    return [
      name(o),
      typeof spec.tenant === 'string' ? spec.tenant : '',
      typeof status.phase === 'string' ? status.phase : 'Pending',
      Object.keys(hard)
        .sort()
        .map((k) => `${k}=${String(hard[k])}`)
        .join(','),
      typeof status.reason === 'string' && status.reason
        ? status.reason
        : typeof spec.reason === 'string'
          ? spec.reason
          : '',
      age(o, now),
    ];
  },
});
