import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { fe, intOrPercent, validateMin } from './causes';
import { defineResource } from './define';
import { selectorString } from './label-selector';
import { labelSelectorSchema, conditionSchema, typeMeta } from './meta';
import { podTemplateSpecSchema } from './pod-spec';
import { defaultTemplateInPlace } from './pod-spec-defaults';
import { enumOrEmpty, int32, int64, intOrString, timestamp } from './schema';
import { age, ageColumn, column, containerCells, name, nameColumn } from './table';
import { isObject, num, obj, str, type JsonObject } from './util';
import { statusInt, validateWorkload, workloadScale } from './workload';

export const deploymentSchema = z.strictObject({
  ...typeMeta('apps/v1', 'Deployment'),
  spec: z
    .strictObject({
      replicas: int32().optional(),
      selector: labelSelectorSchema.optional(),
      template: podTemplateSpecSchema.optional(),
      strategy: z
        .strictObject({
          type: enumOrEmpty(['Recreate', 'RollingUpdate']).optional(),
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
      paused: z.boolean().optional(),
      progressDeadlineSeconds: int32().optional(),
    })
    .optional(),
  status: z
    .strictObject({
      observedGeneration: int64().optional(),
      replicas: int32().optional(),
      updatedReplicas: int32().optional(),
      readyReplicas: int32().optional(),
      availableReplicas: int32().optional(),
      unavailableReplicas: int32().optional(),
      terminatingReplicas: int32().optional(),
      conditions: z
        .array(
          conditionSchema({
            lastUpdateTime: timestamp().optional(),
            lastTransitionTime: timestamp().optional(),
          }),
        )
        .optional(),
      collisionCount: int32().optional(),
    })
    .optional(),
});

function validateStrategy(spec: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const strategy = obj(spec.strategy);
  const type = str(strategy.type) || 'RollingUpdate';
  if (type === 'Recreate') {
    if (strategy.rollingUpdate !== undefined) {
      causes.push(
        fe.forbidden(
          'spec.strategy.rollingUpdate',
          "may not be specified when strategy `type` is 'Recreate'",
        ),
      );
    }
    return causes;
  }
  const ru = obj(strategy.rollingUpdate);
  const unavailable = intOrPercent(
    ru.maxUnavailable,
    'spec.strategy.rollingUpdate.maxUnavailable',
    causes,
  );
  const surge = intOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge', causes);
  if (unavailable?.percent && unavailable.value > 100) {
    causes.push(
      fe.invalid(
        'spec.strategy.rollingUpdate.maxUnavailable',
        ru.maxUnavailable,
        'must not be greater than 100%',
      ),
    );
  }
  if (unavailable && surge && unavailable.value === 0 && surge.value === 0) {
    causes.push(
      fe.invalid(
        'spec.strategy.rollingUpdate.maxUnavailable',
        ru.maxUnavailable,
        'may not be 0 when `maxSurge` is 0',
      ),
    );
  }
  return causes;
}

function validateDeploymentSpec(spec: JsonObject): StatusCause[] {
  const causes = validateStrategy(spec);
  causes.push(...validateMin(spec.revisionHistoryLimit, 0, 'spec.revisionHistoryLimit'));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    causes.push(...validateMin(spec.progressDeadlineSeconds, 0, 'spec.progressDeadlineSeconds'));
    const minReady = num(spec.minReadySeconds) ?? 0;
    if (spec.progressDeadlineSeconds <= minReady) {
      causes.push(
        fe.invalid(
          'spec.progressDeadlineSeconds',
          spec.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  return causes;
}

function validateDeployment(o: KubeObject, old: KubeObject | undefined): StatusCause[] {
  return validateWorkload(
    o,
    old,
    'Deployment',
    [
      'observedGeneration',
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
      'collisionCount',
    ],
    validateDeploymentSpec,
  );
}

function defaultDeployment(o: JsonObject): void {
  if (!isObject(o.spec)) o.spec = {};
  const spec = o.spec as JsonObject;
  if (spec.replicas === undefined) spec.replicas = 1;
  const strategy = isObject(spec.strategy) ? spec.strategy : (spec.strategy = {});
  if (strategy.type === undefined || strategy.type === '') strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = isObject(strategy.rollingUpdate)
      ? strategy.rollingUpdate
      : (strategy.rollingUpdate = {});
    if (ru.maxUnavailable === undefined) ru.maxUnavailable = '25%';
    if (ru.maxSurge === undefined) ru.maxSurge = '25%';
  }
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined) spec.progressDeadlineSeconds = 600;
  defaultTemplateInPlace(spec.template);
}

export const deploymentDefinition = defineResource({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  hasStatus: true,
  tracksGeneration: true,
  scale: workloadScale(1),
  nameRule: 'subdomain',
  schema: deploymentSchema,
  validate: validateDeployment,
  defaults: defaultDeployment,
  columns: [
    nameColumn(),
    column('Ready', 'Number of the pod with ready state'),
    column(
      'Up-to-date',
      'Total number of non-terminating pods targeted by this deployment that have the desired template spec.',
    ),
    column(
      'Available',
      'Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.',
    ),
    ageColumn(),
    column('Containers', 'Names of each container in the template.', { wide: true }),
    column('Images', 'Images referenced by each container in the template.', { wide: true }),
    column(
      'Selector',
      'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
      { wide: true },
    ),
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const [containers, images] = containerCells(obj(spec.template).spec);
    return [
      name(o),
      `${statusInt(o, 'readyReplicas')}/${num(spec.replicas) ?? 0}`,
      statusInt(o, 'updatedReplicas'),
      statusInt(o, 'availableReplicas'),
      age(o, now),
      containers,
      images,
      selectorString(spec.selector),
    ];
  },
});
