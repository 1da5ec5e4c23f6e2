/**
 * Job (batch/v1): pods that run to completion. The worker's Job controller drives it
 * (libs/core/src/controllers/job.ts decides).
 */
import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { fe, validateMin } from './causes';
import { defineResource } from './define';
import { isEmptySelector, selectorMatches, validateLabelSelector } from './label-selector';
import { conditionSchema, labelSelectorSchema, typeMeta } from './meta';
import {
  podTemplateLabels,
  podTemplateSpecSchema,
  validatePodSpec,
  validateTemplateMeta,
} from './pod-spec';
import { defaultTemplateInPlace } from './pod-spec-defaults';
import { int32, timestamp } from './schema';
import { age, ageColumn, column, containerCells, humanDuration, name, nameColumn } from './table';
import { deepEqual, isObject, num, obj, str, type JsonObject } from './util';

/** Labels Kubernetes puts on a Job's pods (and selects them by, without manualSelector). */
export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
/** An Indexed Job's pod's index (annotation and label), and the env var it is exposed as. */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

const onExitCodes = z.strictObject({
  containerName: z.string().optional(),
  operator: z.enum(['In', 'NotIn']),
  values: z.array(int32()),
});
const onPodConditions = z.strictObject({ type: z.string(), status: z.string().optional() });

const jobSpecSchema = z.strictObject({
  parallelism: int32().optional(),
  completions: int32().optional(),
  activeDeadlineSeconds: z.int().optional(),
  podFailurePolicy: z
    .strictObject({
      rules: z.array(
        z.strictObject({
          action: z.enum(['FailJob', 'FailIndex', 'Ignore', 'Count']),
          onExitCodes: onExitCodes.optional(),
          onPodConditions: z.array(onPodConditions).optional(),
        }),
      ),
    })
    .optional(),
  successPolicy: z.record(z.string(), z.unknown()).optional(),
  backoffLimit: int32().optional(),
  backoffLimitPerIndex: int32().optional(),
  maxFailedIndexes: int32().optional(),
  selector: labelSelectorSchema.optional(),
  manualSelector: z.boolean().optional(),
  template: podTemplateSpecSchema.optional(),
  ttlSecondsAfterFinished: int32().optional(),
  completionMode: z.enum(['NonIndexed', 'Indexed']).optional(),
  suspend: z.boolean().optional(),
  podReplacementPolicy: z.enum(['TerminatingOrFailed', 'Failed']).optional(),
  managedBy: z.string().optional(),
});

export const jobSchema = z.strictObject({
  ...typeMeta('batch/v1', 'Job'),
  spec: jobSpecSchema.optional(),
  status: z
    .strictObject({
      conditions: z
        .array(
          conditionSchema({
            lastProbeTime: timestamp().optional(),
            lastTransitionTime: timestamp().optional(),
          }),
        )
        .optional(),
      startTime: timestamp().optional(),
      completionTime: timestamp().optional(),
      active: int32().optional(),
      succeeded: int32().optional(),
      failed: int32().optional(),
      terminating: int32().optional(),
      completedIndexes: z.string().optional(),
      failedIndexes: z.string().optional(),
      uncountedTerminatedPods: z
        .strictObject({
          succeeded: z.array(z.string()).optional(),
          failed: z.array(z.string()).optional(),
        })
        .optional(),
      ready: int32().optional(),
    })
    .optional(),
});

/**
 * Kubernetes' ValidateJobSpec (the parts Berth models), at `at` (`spec`, or a CronJob's
 * `spec.jobTemplate.spec`, whose selector is generated later and so not required).
 */
export function validateJobSpec(spec: JsonObject, at: string, withSelector = true): StatusCause[] {
  const causes: StatusCause[] = [];
  causes.push(...validateMin(spec.parallelism, 0, `${at}.parallelism`));
  causes.push(...validateMin(spec.completions, 0, `${at}.completions`));
  causes.push(...validateMin(spec.backoffLimit, 0, `${at}.backoffLimit`));
  causes.push(...validateMin(spec.ttlSecondsAfterFinished, 0, `${at}.ttlSecondsAfterFinished`));
  if (typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds <= 0)
    causes.push(
      fe.invalid(
        `${at}.activeDeadlineSeconds`,
        spec.activeDeadlineSeconds,
        'must be greater than 0',
      ),
    );
  if (spec.completionMode === 'Indexed' && spec.completions === undefined)
    causes.push(fe.required(`${at}.completions`, 'when completion mode is Indexed'));

  const selector = spec.selector;
  if (!isObject(selector)) {
    if (withSelector) causes.push(fe.required(`${at}.selector`));
  } else if (isEmptySelector(selector))
    causes.push(fe.invalid(`${at}.selector`, selector, 'empty selector is invalid for job'));
  else causes.push(...validateLabelSelector(selector, `${at}.selector`));

  const template = spec.template;
  if (!isObject(template)) {
    causes.push(fe.required(`${at}.template`));
  } else {
    causes.push(...validateTemplateMeta(template, `${at}.template`));
    const labels = podTemplateLabels(template);
    if (isObject(selector) && !isEmptySelector(selector) && !selectorMatches(selector, labels))
      causes.push(
        fe.invalid(
          `${at}.template.metadata.labels`,
          labels,
          '`selector` does not match template `labels`',
        ),
      );
    const podSpec = obj(template.spec);
    const rp = str(podSpec.restartPolicy);
    if (rp !== 'OnFailure' && rp !== 'Never')
      causes.push(
        rp
          ? fe.notSupported(`${at}.template.spec.restartPolicy`, rp, ['OnFailure', 'Never'])
          : fe.required(`${at}.template.spec.restartPolicy`),
      );
    causes.push(...validatePodSpec(template.spec, { field: `${at}.template.spec` }));
  }
  return causes;
}

function validateJob(o: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const spec = obj(o.spec);
  const causes = validateJobSpec(spec, 'spec');
  for (const k of ['active', 'succeeded', 'failed', 'ready'])
    causes.push(...validateMin(obj(o.status)[k], 0, `status.${k}`));
  if (old) {
    const prev = obj(old.spec);
    for (const k of ['selector', 'template', 'completionMode'] as const) {
      // The template may change only while the Job is suspended (Kubernetes allows some
      // fields then); Berth keeps it simple: immutable.
      if (!deepEqual(spec[k], prev[k]))
        causes.push(fe.invalid(`spec.${k}`, spec[k] ?? null, 'field is immutable'));
    }
  }
  return causes;
}

/** SetDefaults_Job. The generated selector and labels come from the strategy (they need the uid). */
function defaultJob(o: JsonObject): void {
  if (!isObject(o.spec)) o.spec = {};
  const spec = o.spec as JsonObject;
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (spec.parallelism === undefined) spec.parallelism = 1;
  if (spec.backoffLimit === undefined) spec.backoffLimit = 6;
  if (spec.completionMode === undefined) spec.completionMode = 'NonIndexed';
  if (spec.suspend === undefined) spec.suspend = false;
  if (spec.podReplacementPolicy === undefined) spec.podReplacementPolicy = 'TerminatingOrFailed';
  if (spec.manualSelector === undefined) spec.manualSelector = false;
  defaultTemplateInPlace(spec.template);
}

/**
 * The Job's generated selector and pod labels (Kubernetes' generateSelector), unless it
 * asks for a manual selector. Needs the uid, so it runs at create, before defaults.
 */
export function generateJobSelector(job: KubeObject): void {
  const spec = (isObject(job.spec) ? job.spec : (job.spec = {} as never)) as JsonObject;
  if (spec.manualSelector === true) return;
  const uid = job.metadata.uid ?? '';
  const jobName = job.metadata.name ?? '';
  if (!isObject(spec.template)) return;
  const template = spec.template as JsonObject;
  const meta = (
    isObject(template.metadata) ? template.metadata : (template.metadata = {})
  ) as JsonObject;
  const labels = (isObject(meta.labels) ? meta.labels : (meta.labels = {})) as JsonObject;
  labels[JOB_CONTROLLER_UID_LABEL] = uid;
  labels[JOB_NAME_LABEL] = jobName;
  labels[LEGACY_CONTROLLER_UID_LABEL] = uid;
  labels[LEGACY_JOB_NAME_LABEL] = jobName;
  if (!isObject(spec.selector) || isEmptySelector(spec.selector))
    spec.selector = { matchLabels: { [JOB_CONTROLLER_UID_LABEL]: uid } };
}

function conditionTrue(o: KubeObject, type: string): boolean {
  const conds = obj(o.status).conditions;
  return (
    Array.isArray(conds) && conds.some((c) => obj(c).type === type && obj(c).status === 'True')
  );
}

/** `Complete`, `Failed`, `Suspended`, `Running` (kubectl's STATUS column). */
export function jobStatusText(o: KubeObject): string {
  if (conditionTrue(o, 'Complete')) return 'Complete';
  if (conditionTrue(o, 'Failed')) return 'Failed';
  if (conditionTrue(o, 'FailureTarget')) return 'FailureTarget';
  if (conditionTrue(o, 'Suspended')) return 'Suspended';
  return 'Running';
}

function durationCell(o: KubeObject, now: Date): string {
  const status = obj(o.status);
  const start = Date.parse(str(status.startTime));
  if (Number.isNaN(start)) return '';
  const end = status.completionTime ? Date.parse(str(status.completionTime)) : now.getTime();
  return humanDuration(Math.max(0, end - start));
}

export const jobDefinition = defineResource({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  singular: 'job',
  namespaced: true,
  shortNames: [],
  categories: ['all'],
  hasStatus: true,
  tracksGeneration: true,
  nameRule: 'subdomain',
  schema: jobSchema,
  validate: validateJob,
  defaults: defaultJob,
  selectableFields: (o) => ({ 'status.successful': String(num(obj(o.status).succeeded) ?? 0) }),
  columns: [
    nameColumn(),
    column('Status', 'Status of the job.'),
    column(
      'Completions',
      'The desired number of successfully finished pods the job should be run with.',
    ),
    column('Duration', 'Time required to complete the job.'),
    ageColumn(),
    column('Containers', 'Names of each container in the template.', { wide: true }),
    column('Images', 'Images referenced by each container in the template.', { wide: true }),
    column('Selector', 'Query over pods that should match the pod count.', { wide: true }),
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const [containers, images] = containerCells(obj(spec.template).spec);
    const succeeded = num(obj(o.status).succeeded) ?? 0;
    const completions =
      spec.completions !== undefined
        ? `${succeeded}/${num(spec.completions)}`
        : `${succeeded}/1 of ${num(spec.parallelism) ?? 1}`;
    const matchLabels = obj(obj(spec.selector).matchLabels);
    return [
      name(o),
      jobStatusText(o),
      completions,
      durationCell(o, now),
      age(o, now),
      containers,
      images,
      Object.entries(matchLabels)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',') || '<none>',
    ];
  },
});
