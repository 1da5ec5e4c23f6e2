/**
 * DaemonSet (apps/v1): one pod on every node its template's node selector, node affinity
 * and tolerations admit. The worker's DaemonSet controller drives it (decisions in
 * controllers/daemon-set.ts).
 */
import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { validateMin } from './causes';
import { defineResource } from './define';
import { selectorString } from './label-selector';
import { conditionSchema, labelSelectorSchema, typeMeta } from './meta';
import { podTemplateSpecSchema } from './pod-spec';
import { defaultTemplateInPlace } from './pod-spec-defaults';
import { enumOrEmpty, int32, int64, intOrString, timestamp } from './schema';
import { age, ageColumn, column, containerCells, name, nameColumn, orNone } from './table';
import { isObject, obj, type JsonObject } from './util';
import { statusInt, validateWorkload } from './workload';

export const daemonSetSchema = z.strictObject({
  ...typeMeta('apps/v1', 'DaemonSet'),
  spec: z
    .strictObject({
      selector: labelSelectorSchema.optional(),
      template: podTemplateSpecSchema.optional(),
      updateStrategy: z
        .strictObject({
          type: enumOrEmpty(['OnDelete', 'RollingUpdate']).optional(),
          rollingUpdate: z
            .strictObject({
              maxUnavailable: intOrString().optional(),
              maxSurge: intOrString().optional(),
            })
            .optional(),
        })
        .optional(),
      minReadySeconds: int32().optional(),
      revisionHistoryLimit: int32().optional(),
    })
    .optional(),
  status: z
    .strictObject({
      currentNumberScheduled: int32().optional(),
      numberMisscheduled: int32().optional(),
      desiredNumberScheduled: int32().optional(),
      numberReady: int32().optional(),
      observedGeneration: int64().optional(),
      updatedNumberScheduled: int32().optional(),
      numberAvailable: int32().optional(),
      numberUnavailable: int32().optional(),
      collisionCount: int32().optional(),
      conditions: z
        .array(conditionSchema({ lastTransitionTime: timestamp().optional() }))
        .optional(),
    })
    .optional(),
});

const STATUS_COUNTS = [
  'currentNumberScheduled',
  'numberMisscheduled',
  'desiredNumberScheduled',
  'numberReady',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
  'observedGeneration',
];

function validateDaemonSet(o: KubeObject, old: KubeObject | undefined): StatusCause[] {
  return validateWorkload(o, old, 'DaemonSet', STATUS_COUNTS, (spec) =>
    validateMin(spec.revisionHistoryLimit, 0, 'spec.revisionHistoryLimit'),
  );
}

/** SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0, 10 revisions. */
function defaultDaemonSet(o: JsonObject): void {
  if (!isObject(o.spec)) o.spec = {};
  const spec = o.spec as JsonObject;
  if (!isObject(spec.updateStrategy)) spec.updateStrategy = {};
  const strategy = spec.updateStrategy as JsonObject;
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    if (!isObject(strategy.rollingUpdate)) strategy.rollingUpdate = {};
    const ru = strategy.rollingUpdate as JsonObject;
    if (ru.maxUnavailable === undefined) ru.maxUnavailable = 1;
    if (ru.maxSurge === undefined) ru.maxSurge = 0;
  }
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  defaultTemplateInPlace(spec.template);
}

/** The template's node selector as `kubectl get ds` prints it (`<none>` when empty). */
function nodeSelectorCell(o: KubeObject): string {
  const selector = obj(obj(obj(obj(o.spec).template).spec).nodeSelector);
  return orNone(
    Object.keys(selector)
      .sort()
      .map((k) => `${k}=${String(selector[k])}`)
      .join(','),
  );
}

export const daemonSetDefinition = defineResource({
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  singular: 'daemonset',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  hasStatus: true,
  tracksGeneration: true,
  nameRule: 'subdomain',
  schema: daemonSetSchema,
  validate: validateDaemonSet,
  defaults: defaultDaemonSet,
  columns: [
    nameColumn(),
    column('Desired', 'The total number of nodes that should be running the daemon pod.', {
      type: 'integer',
    }),
    column('Current', 'The number of nodes running at least one daemon pod.', {
      type: 'integer',
    }),
    column('Ready', 'The number of nodes running the daemon pod with a Ready condition.', {
      type: 'integer',
    }),
    column('Up-to-date', 'The number of nodes running the updated daemon pod.', {
      type: 'integer',
    }),
    column('Available', 'The number of nodes running an available daemon pod.', {
      type: 'integer',
    }),
    column('Node Selector', 'The node selector of the pod template.'),
    ageColumn(),
    column('Containers', 'Names of each container in the template.', { wide: true }),
    column('Images', 'Images referenced by each container in the template.', { wide: true }),
    column('Selector', 'A label query over pods that are managed by the daemon set.', {
      wide: true,
    }),
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const [containers, images] = containerCells(obj(spec.template).spec);
    return [
      name(o),
      statusInt(o, 'desiredNumberScheduled'),
      statusInt(o, 'currentNumberScheduled'),
      statusInt(o, 'numberReady'),
      statusInt(o, 'updatedNumberScheduled'),
      statusInt(o, 'numberAvailable'),
      nodeSelectorCell(o),
      age(o, now),
      containers,
      images,
      orNone(selectorString(spec.selector)),
    ];
  },
});
