import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { fe } from './causes';
import { defineResource } from './define';
import { typeMeta } from './meta';
import { int32, timestamp } from './schema';
import { age, ageColumn, column, name, nameColumn, orNone } from './table';
import { obj, str } from './util';

/** coordination.k8s.io/v1 Lease: node heartbeats and leader election. */
export const leaseSchema = z.strictObject({
  ...typeMeta('coordination.k8s.io/v1', 'Lease'),
  spec: z
    .strictObject({
      holderIdentity: z.string().optional(),
      leaseDurationSeconds: int32().optional(),
      acquireTime: timestamp().optional(),
      renewTime: timestamp().optional(),
      leaseTransitions: int32().optional(),
      strategy: z.string().optional(),
      preferredHolder: z.string().optional(),
    })
    .optional(),
});

function validateLease(o: KubeObject): StatusCause[] {
  const spec = obj(o.spec);
  const causes: StatusCause[] = [];
  for (const field of ['leaseDurationSeconds', 'leaseTransitions'] as const) {
    const v = spec[field];
    if (typeof v === 'number' && v < 0) {
      causes.push(fe.invalid(`spec.${field}`, v, 'must be greater than or equal to 0'));
    }
  }
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds === 0) {
    causes.push(fe.invalid('spec.leaseDurationSeconds', 0, 'must be greater than 0'));
  }
  return causes;
}

export const leaseDefinition = defineResource({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  shortNames: [],
  hasStatus: false,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: leaseSchema,
  validate: validateLease,
  columns: [nameColumn(), column('Holder', 'The holder of the lease.'), ageColumn()],
  row: (o, now) => [name(o), orNone(str(obj(o.spec).holderIdentity)), age(o, now)],
});
