import { z } from 'zod';
import { conditionSchema, typeMeta } from './meta';
import { defineResource, statusString } from './define';
import { timestamp } from './schema';
import { ageColumn, age, column, name, nameColumn } from './table';
import { isObject } from './util';

export const namespaceSchema = z.strictObject({
  ...typeMeta('v1', 'Namespace'),
  spec: z.strictObject({ finalizers: z.array(z.string()).optional() }).optional(),
  status: z
    .strictObject({
      phase: z.enum(['Active', 'Terminating', '']).optional(),
      conditions: z
        .array(conditionSchema({ lastTransitionTime: timestamp().optional() }))
        .optional(),
    })
    .optional(),
});

export const namespaceDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  hasStatus: true,
  tracksGeneration: false,
  nameRule: 'label',
  schema: namespaceSchema,
  defaults(o) {
    const status = isObject(o.status) ? o.status : (o.status = {});
    if (status.phase === undefined || status.phase === '') status.phase = 'Active';
  },
  selectableFields: (o) => ({ 'status.phase': statusString(o, 'phase') }),
  columns: [nameColumn(), column('Status', 'The status of the namespace'), ageColumn()],
  row: (o, now) => [name(o), statusString(o, 'phase'), age(o, now)],
});
