/**
 * ReplicationController (core/v1): the legacy ReplicaSet, whose selector is a plain label
 * map. The worker's ReplicaSet controller drives it (see replicationControllerAsReplicaSet).
 */
import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { validateLabels } from '../validation/names';
import { fe, validateMin } from './causes';
import type { ScaleSupport } from './definition';
import { defineResource } from './define';
import { conditionSchema, typeMeta } from './meta';
import {
  podTemplateLabels,
  podTemplateSpecSchema,
  validatePodSpec,
  validateTemplateMeta,
} from './pod-spec';
import { defaultTemplateInPlace } from './pod-spec-defaults';
import { int32, int64, stringMap, timestamp } from './schema';
import { age, ageColumn, column, containerCells, name, nameColumn, orNone } from './table';
import { isObject, num, obj, type JsonObject } from './util';
import { statusInt, validateReplicaStatus } from './workload';

export const replicationControllerSchema = z.strictObject({
  ...typeMeta('v1', 'ReplicationController'),
  spec: z
    .strictObject({
      replicas: int32().optional(),
      minReadySeconds: int32().optional(),
      selector: stringMap().optional(),
      template: podTemplateSpecSchema.optional(),
    })
    .optional(),
  status: z
    .strictObject({
      replicas: int32().optional(),
      fullyLabeledReplicas: int32().optional(),
      readyReplicas: int32().optional(),
      availableReplicas: int32().optional(),
      observedGeneration: int64().optional(),
      conditions: z
        .array(conditionSchema({ lastTransitionTime: timestamp().optional() }))
        .optional(),
    })
    .optional(),
});

function selectorMap(o: KubeObject): Record<string, string> {
  const selector = obj(obj(o).spec).selector;
  return isObject(selector) ? (selector as Record<string, string>) : {};
}

/** `app=web,tier=db`, keys sorted (as labels.SelectorFromSet prints it). */
function mapString(selector: Record<string, string>): string {
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]}`)
    .join(',');
}

/** Kubernetes' ValidateReplicationControllerSpec. */
function validateReplicationController(o: KubeObject): StatusCause[] {
  const spec = obj(o.spec);
  const causes: StatusCause[] = [];
  causes.push(...validateMin(spec.replicas, 0, 'spec.replicas'));
  causes.push(...validateMin(spec.minReadySeconds, 0, 'spec.minReadySeconds'));
  const selector = selectorMap(o);
  if (Object.keys(selector).length === 0) causes.push(fe.required('spec.selector'));
  else causes.push(...validateLabels(selector, 'spec.selector'));
  const template = spec.template;
  if (!isObject(template)) {
    causes.push(fe.required('spec.template'));
  } else {
    causes.push(...validateTemplateMeta(template, 'spec.template'));
    const labels = podTemplateLabels(template);
    const matches = Object.entries(selector).every(([k, v]) => labels[k] === v);
    if (Object.keys(selector).length > 0 && !matches)
      causes.push(
        fe.invalid(
          'spec.template.metadata.labels',
          labels,
          '`selector` does not match template `labels`',
        ),
      );
    causes.push(
      ...validatePodSpec(template.spec, {
        field: 'spec.template.spec',
        templateOf: 'ReplicationController',
      }),
    );
  }
  causes.push(
    ...validateReplicaStatus(o, [
      'replicas',
      'fullyLabeledReplicas',
      'readyReplicas',
      'availableReplicas',
      'observedGeneration',
    ]),
  );
  return causes;
}

/** SetDefaults_ReplicationController: selector and labels from the template, one replica. */
function defaultReplicationController(o: JsonObject): void {
  if (!isObject(o.spec)) o.spec = {};
  const spec = o.spec as JsonObject;
  const labels = isObject(spec.template) ? podTemplateLabels(spec.template) : {};
  if (Object.keys(labels).length) {
    if (!isObject(spec.selector) || Object.keys(spec.selector).length === 0)
      spec.selector = { ...labels };
    const meta = (isObject(o.metadata) ? o.metadata : (o.metadata = {})) as JsonObject;
    if (!isObject(meta.labels) || Object.keys(meta.labels).length === 0)
      meta.labels = { ...labels };
  }
  if (spec.replicas === undefined) spec.replicas = 1;
  defaultTemplateInPlace(spec.template);
}

const scale: ScaleSupport = {
  specReplicas: (o) => num(obj(obj(o).spec).replicas) ?? 1,
  statusReplicas: (o) => num(obj(obj(o).status).replicas) ?? 0,
  selector: (o) => mapString(selectorMap(o)),
};

export const replicationControllerDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  plural: 'replicationcontrollers',
  singular: 'replicationcontroller',
  namespaced: true,
  shortNames: ['rc'],
  categories: ['all'],
  hasStatus: true,
  tracksGeneration: true,
  scale,
  nameRule: 'subdomain',
  schema: replicationControllerSchema,
  validate: validateReplicationController,
  defaults: defaultReplicationController,
  selectableFields: (o) => ({ 'status.replicas': String(statusInt(o, 'replicas')) }),
  columns: [
    nameColumn(),
    column('Desired', 'Replicas is the number of desired replicas.', { type: 'integer' }),
    column('Current', 'Replicas is the most recently observed number of replicas.', {
      type: 'integer',
    }),
    column('Ready', 'The number of ready replicas for this replication controller.', {
      type: 'integer',
    }),
    ageColumn(),
    column('Containers', 'Names of each container in the template.', { wide: true }),
    column('Images', 'Images referenced by each container in the template.', { wide: true }),
    column(
      'Selector',
      'Selector is a label query over pods that should match the Replicas count.',
      {
        wide: true,
      },
    ),
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
      orNone(mapString(selectorMap(o))),
    ];
  },
});

/**
 * The ReplicationController as the ReplicaSet controller reads it: the same object (its
 * apiVersion and kind, so owner references and events name it), with the label map as an
 * apps/v1 selector.
 */
export function replicationControllerAsReplicaSet(rc: KubeObject): KubeObject {
  const spec = obj(rc.spec);
  return { ...rc, spec: { ...spec, selector: { matchLabels: { ...selectorMap(rc) } } } };
}
