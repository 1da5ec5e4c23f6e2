import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { defineResource } from './define';
import { selectorString } from './label-selector';
import { conditionSchema, labelSelectorSchema, typeMeta } from './meta';
import { podTemplateSpecSchema } from './pod-spec';
import { defaultTemplateInPlace } from './pod-spec-defaults';
import { int32, int64, timestamp } from './schema';
import { age, ageColumn, column, containerCells, name, nameColumn, orNone } from './table';
import { isObject, num, obj, type JsonObject } from './util';
import { statusInt, validateWorkload, workloadScale } from './workload';

export const replicaSetSchema = z.strictObject({
  ...typeMeta('apps/v1', 'ReplicaSet'),
  spec: z
    .strictObject({
      replicas: int32().optional(),
      minReadySeconds: int32().optional(),
      selector: labelSelectorSchema.optional(),
      template: podTemplateSpecSchema.optional(),
    })
    .optional(),
  status: z
    .strictObject({
      replicas: int32().optional(),
      fullyLabeledReplicas: int32().optional(),
      readyReplicas: int32().optional(),
      availableReplicas: int32().optional(),
      terminatingReplicas: int32().optional(),
      observedGeneration: int64().optional(),
      conditions: z
        .array(conditionSchema({ lastTransitionTime: timestamp().optional() }))
        .optional(),
    })
    .optional(),
});

function validateReplicaSet(o: KubeObject, old: KubeObject | undefined): StatusCause[] {
  return validateWorkload(o, old, 'ReplicaSet', [
    'replicas',
    'fullyLabeledReplicas',
    'readyReplicas',
    'availableReplicas',
    'observedGeneration',
  ]);
}

function defaultReplicaSet(o: JsonObject): void {
  if (!isObject(o.spec)) o.spec = {};
  const spec = o.spec as JsonObject;
  if (spec.replicas === undefined) spec.replicas = 1;
  defaultTemplateInPlace(spec.template);
}

export const replicaSetDefinition = defineResource({
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  hasStatus: true,
  tracksGeneration: true,
  scale: workloadScale(1),
  nameRule: 'subdomain',
  schema: replicaSetSchema,
  validate: validateReplicaSet,
  defaults: defaultReplicaSet,
  selectableFields: (o) => ({ 'status.replicas': String(statusInt(o, 'replicas')) }),
  columns: [
    nameColumn(),
    column('Desired', 'Replicas is the number of desired pods.', { type: 'integer' }),
    column('Current', 'Replicas is the most recently observed number of non-terminating pods.', {
      type: 'integer',
    }),
    column(
      'Ready',
      'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.',
      { type: 'integer' },
    ),
    ageColumn(),
    column('Containers', 'Names of each container in the template.', { wide: true }),
    column('Images', 'Images referenced by each container in the template.', { wide: true }),
    column('Selector', 'Selector is a label query over pods that should match the replica count.', {
      wide: true,
    }),
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const [containers, images] = containerCells(obj(spec.template).spec);
    return [
      name(o),
      num(spec.replicas) ?? 0,
      statusInt(o, 'replicas'),
      statusInt(o, 'readyReplicas'),
      age(o, now),
      containers,
      images,
      orNone(selectorString(spec.selector)),
    ];
  },
});
