/**
 * CronJob (batch/v1): Jobs made on a schedule. The worker's CronJob controller drives it
 * (libs/core/src/controllers/cronjob.ts decides).
 */
import { parseExpression } from 'cron-parser';
import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { fe, validateMin } from './causes';
import { defineResource } from './define';
import { objectMetaSchema, objectReferenceSchema, typeMeta } from './meta';
import { jobSchema, validateJobSpec } from './job';
import { defaultTemplateInPlace } from './pod-spec-defaults';
import { int32, timestamp } from './schema';
import { age, ageColumn, column, containerCells, name, nameColumn, since } from './table';
import { isObject, obj, str, type JsonObject } from './util';

const MACROS = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
]);

export const cronJobSchema = z.strictObject({
  ...typeMeta('batch/v1', 'CronJob'),
  spec: z
    .strictObject({
      schedule: z.string().optional(),
      timeZone: z.string().optional(),
      startingDeadlineSeconds: z.int().optional(),
      concurrencyPolicy: z.enum(['Allow', 'Forbid', 'Replace']).optional(),
      suspend: z.boolean().optional(),
      jobTemplate: z
        .strictObject({
          metadata: objectMetaSchema.optional(),
          spec: jobSchema.shape.spec.optional(),
        })
        .optional(),
      successfulJobsHistoryLimit: int32().optional(),
      failedJobsHistoryLimit: int32().optional(),
    })
    .optional(),
  status: z
    .strictObject({
      active: z.array(objectReferenceSchema).optional(),
      lastScheduleTime: timestamp().optional(),
      lastSuccessfulTime: timestamp().optional(),
    })
    .optional(),
});

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isKnownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Why `schedule` is not a standard 5-field cron expression or macro, or undefined. */
export function scheduleError(schedule: string): string | undefined {
  const s = schedule.trim();
  if (/^(CRON_)?TZ=/.test(s))
    return 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';
  if (s.startsWith('@')) {
    if (s === '@every' || s.startsWith('@every ')) return undefined;
    return MACROS.has(s) ? undefined : `unrecognized descriptor: ${s}`;
  }
  const fields = s.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: ${s}`;
  try {
    parseExpression(s);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function validateCronJob(o: KubeObject): StatusCause[] {
  const spec = obj(o.spec);
  const causes: StatusCause[] = [];
  const schedule = str(spec.schedule);
  if (!schedule) causes.push(fe.required('spec.schedule'));
  else {
    const err = scheduleError(schedule);
    if (err) causes.push(fe.invalid('spec.schedule', schedule, err));
  }
  if (spec.timeZone !== undefined) {
    const tz = str(spec.timeZone);
    if (!tz || !isKnownTimeZone(tz) || tz.toLowerCase() === 'local')
      causes.push(fe.invalid('spec.timeZone', spec.timeZone, `unknown time zone ${tz}`));
  }
  causes.push(...validateMin(spec.startingDeadlineSeconds, 0, 'spec.startingDeadlineSeconds'));
  causes.push(
    ...validateMin(spec.successfulJobsHistoryLimit, 0, 'spec.successfulJobsHistoryLimit'),
  );
  causes.push(...validateMin(spec.failedJobsHistoryLimit, 0, 'spec.failedJobsHistoryLimit'));
  const jt = obj(spec.jobTemplate);
  if (!isObject(spec.jobTemplate)) causes.push(fe.required('spec.jobTemplate'));
  else causes.push(...validateJobSpec(obj(jt.spec), 'spec.jobTemplate.spec', false));
  return causes;
}

function defaultCronJob(o: JsonObject): void {
  if (!isObject(o.spec)) o.spec = {};
  const spec = o.spec as JsonObject;
  if (spec.concurrencyPolicy === undefined) spec.concurrencyPolicy = 'Allow';
  if (spec.suspend === undefined) spec.suspend = false;
  if (spec.successfulJobsHistoryLimit === undefined) spec.successfulJobsHistoryLimit = 3;
  if (spec.failedJobsHistoryLimit === undefined) spec.failedJobsHistoryLimit = 1;
  const jt = (
    isObject(spec.jobTemplate) ? spec.jobTemplate : (spec.jobTemplate = {})
  ) as JsonObject;
  const js = (isObject(jt.spec) ? jt.spec : (jt.spec = {})) as JsonObject;
  if (js.completions === undefined && js.parallelism === undefined) {
    js.completions = 1;
    js.parallelism = 1;
  }
  if (js.parallelism === undefined) js.parallelism = 1;
  if (js.backoffLimit === undefined) js.backoffLimit = 6;
  if (js.completionMode === undefined) js.completionMode = 'NonIndexed';
  if (js.suspend === undefined) js.suspend = false;
  if (js.podReplacementPolicy === undefined) js.podReplacementPolicy = 'TerminatingOrFailed';
  defaultTemplateInPlace(js.template);
}

export const cronJobDefinition = defineResource({
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  singular: 'cronjob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  hasStatus: true,
  tracksGeneration: true,
  nameRule: 'subdomain',
  schema: cronJobSchema,
  validate: validateCronJob,
  defaults: defaultCronJob,
  columns: [
    nameColumn(),
    column('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column('Timezone', 'The time zone name for the given schedule.'),
    column('Suspend', 'This flag tells the controller to suspend subsequent executions.', {
      type: 'boolean',
    }),
    column('Active', 'A list of pointers to currently running jobs.', { type: 'integer' }),
    column(
      'Last Schedule',
      'Information when was the last time the job was successfully scheduled.',
    ),
    ageColumn(),
    column('Containers', 'Names of each container in the template.', { wide: true }),
    column('Images', 'Images referenced by each container in the template.', { wide: true }),
    column('Selector', 'A label query over pods that should match the pod count.', { wide: true }),
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const jobSpec = obj(obj(spec.jobTemplate).spec);
    const [containers, images] = containerCells(obj(jobSpec.template).spec);
    return [
      name(o),
      str(spec.schedule),
      str(spec.timeZone) || '<none>',
      // Kubernetes' printBoolPtr: the words kubectl shows, <unset> when absent.
      spec.suspend === undefined ? '<unset>' : spec.suspend === true ? 'True' : 'False',
      Array.isArray(status.active) ? status.active.length : 0,
      status.lastScheduleTime ? since(status.lastScheduleTime, now) : '<none>',
      age(o, now),
      containers,
      images,
      '<none>',
    ];
  },
});
