/**
 * The CronJob controller's decision (kubernetes pkg/controller/cronjob, controller v2):
 * given the CronJob, the Jobs it controls and `now`, which Job to create (at most one, for
 * the most recent missed time within startingDeadlineSeconds), which to delete (Replace,
 * history limits), the status, events and when to look again (the next schedule time).
 */
import { parseExpression } from 'cron-parser';
import { formatTimestamp, type KubeObject } from '../api/types';
import { eventAbout, type EventSpec } from './events';
import {
  conditionsOf,
  deepClone,
  isBeingDeleted,
  isControlledBy,
  metaOf,
  nameOf,
  namespaceOf,
  newControllerRef,
  num,
  obj,
  parseTime,
  stringMap,
  uidOf,
} from './util';

export const CRONJOB_CONTROLLER = 'cronjob-controller';
export const CRONJOB_SCHEDULED_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Past this many missed start times Kubernetes warns (TooManyMissedTimes). */
export const MAX_MISSED_TIMES = 100;

export interface CronJobDecision {
  createJob?: KubeObject;
  deleteJobs: KubeObject[];
  status: { active?: JobRef[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
  events: EventSpec[];
  requeueAfterMs?: number;
}

export interface JobRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
}

function scheduleOf(cj: KubeObject) {
  const spec = obj(cj.spec);
  const tz = typeof spec.timeZone === 'string' && spec.timeZone ? spec.timeZone : 'UTC';
  return { expr: String(spec.schedule ?? '').trim(), tz };
}

/** The schedule's times after `after` up to and including `until` (at most `limit`). */
export function scheduleTimes(
  schedule: string,
  tz: string,
  after: Date,
  until: Date,
  limit: number,
): Date[] {
  const it = parseExpression(schedule, { currentDate: after, endDate: until, tz });
  const out: Date[] = [];
  while (out.length < limit && it.hasNext()) out.push(it.next().toDate());
  return out;
}

/** The next schedule time strictly after `now`. */
export function nextScheduleTime(schedule: string, tz: string, now: Date): Date {
  return parseExpression(schedule, { currentDate: now, tz }).next().toDate();
}

/** The most recent schedule time in (after, now], and how many there were (capped at 101). */
export function mostRecentScheduleTime(
  schedule: string,
  tz: string,
  after: Date,
  now: Date,
): { time?: Date; missed: number } {
  if (after.getTime() >= now.getTime()) return { missed: 0 };
  const it = parseExpression(schedule, { currentDate: new Date(now.getTime() + 1), tz });
  const prev = it.prev().toDate();
  if (prev.getTime() <= after.getTime()) return { missed: 0 };
  const first = scheduleTimes(schedule, tz, after, now, MAX_MISSED_TIMES + 1);
  return { time: prev, missed: first.length };
}

function jobFinished(job: KubeObject): 'Complete' | 'Failed' | undefined {
  for (const c of conditionsOf(job.status))
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  return undefined;
}

function refOf(job: KubeObject): JobRef {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: nameOf(job),
    namespace: namespaceOf(job),
    uid: uidOf(job),
    ...(metaOf(job).resourceVersion
      ? { resourceVersion: String(metaOf(job).resourceVersion) }
      : {}),
  };
}

function cjEvent(cj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) {
  return eventAbout(cj, type, reason, message, CRONJOB_CONTROLLER);
}

/** The Job for the time `scheduled` (getJobFromTemplate2): `<cronjob>-<minutes since epoch>`. */
export function jobForSchedule(cj: KubeObject, scheduled: Date): KubeObject {
  const jt = obj(obj(cj.spec).jobTemplate);
  const meta = obj(jt.metadata);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${nameOf(cj)}-${Math.floor(scheduled.getTime() / 60_000)}`,
      namespace: namespaceOf(cj),
      labels: stringMap(meta.labels),
      annotations: {
        ...stringMap(meta.annotations),
        [CRONJOB_SCHEDULED_ANNOTATION]: formatTimestamp(scheduled),
      },
      ownerReferences: [newControllerRef(cj)],
    },
    spec: deepClone(obj(jt.spec)),
  };
}

/** Decides what `cj` does at `now` given `jobs` (its namespace's Jobs). Nothing is mutated. */
export function decideCronJob(
  cj: KubeObject,
  jobs: readonly KubeObject[],
  now: Date,
): CronJobDecision {
  const spec = obj(cj.spec);
  const prev = obj(cj.status);
  const owned = jobs.filter((j) => isControlledBy(j, uidOf(cj)));
  const events: EventSpec[] = [];
  const deleteJobs: KubeObject[] = [];
  const running = owned.filter((j) => !jobFinished(j) && !isBeingDeleted(j));
  let lastSuccessful = parseTime(prev.lastSuccessfulTime);
  for (const j of owned) {
    if (jobFinished(j) !== 'Complete') continue;
    const done = parseTime(obj(j.status).completionTime);
    if (done !== undefined && (lastSuccessful === undefined || done > lastSuccessful))
      lastSuccessful = done;
  }
  // History: the oldest finished Jobs past the limits go.
  const byStart = (a: KubeObject, b: KubeObject) =>
    (parseTime(obj(a.status).startTime) ?? parseTime(metaOf(a).creationTimestamp) ?? 0) -
    (parseTime(obj(b.status).startTime) ?? parseTime(metaOf(b).creationTimestamp) ?? 0);
  for (const [kind, limit] of [
    ['Complete', num(spec.successfulJobsHistoryLimit) ?? 3],
    ['Failed', num(spec.failedJobsHistoryLimit) ?? 1],
  ] as const) {
    const finished = owned
      .filter((j) => jobFinished(j) === kind && !isBeingDeleted(j))
      .sort(byStart);
    for (const j of finished.slice(0, Math.max(0, finished.length - limit))) {
      deleteJobs.push(j);
      events.push(cjEvent(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${nameOf(j)}`));
    }
  }
  const status: CronJobDecision['status'] = {};
  if (prev.lastScheduleTime) status.lastScheduleTime = String(prev.lastScheduleTime);
  if (lastSuccessful !== undefined)
    status.lastSuccessfulTime = formatTimestamp(new Date(lastSuccessful));
  let active = running;
  const decision: CronJobDecision = { deleteJobs, status, events };
  const finish = () => {
    if (active.length) status.active = active.map(refOf);
    return decision;
  };
  if (spec.suspend === true) return finish();

  const { expr, tz } = scheduleOf(cj);
  let next: Date;
  try {
    next = nextScheduleTime(expr, tz, now);
  } catch (err) {
    events.push(
      cjEvent(
        cj,
        'Warning',
        'UnparseableSchedule',
        `unparseable schedule: ${expr}: ${(err as Error).message}`,
      ),
    );
    return finish();
  }
  decision.requeueAfterMs = Math.max(1, next.getTime() - now.getTime() + 100);

  let earliest =
    parseTime(prev.lastScheduleTime) ?? parseTime(metaOf(cj).creationTimestamp) ?? now.getTime();
  const deadline = num(spec.startingDeadlineSeconds);
  if (deadline !== undefined) earliest = Math.max(earliest, now.getTime() - deadline * 1000);
  const { time, missed } = mostRecentScheduleTime(expr, tz, new Date(earliest), now);
  if (missed > MAX_MISSED_TIMES)
    events.push(
      cjEvent(
        cj,
        'Warning',
        'TooManyMissedTimes',
        `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
      ),
    );
  if (!time) return finish();
  if (deadline !== undefined && time.getTime() < now.getTime() - deadline * 1000) {
    events.push(
      cjEvent(
        cj,
        'Warning',
        'MissSchedule',
        `Missed scheduled time to start a job: ${formatTimestamp(time)}`,
      ),
    );
    return finish();
  }
  const policy = spec.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length > 0) {
    // Skipped; Kubernetes looks again when the active Job finishes (or at the next time).
    return finish();
  }
  if (policy === 'Replace') {
    for (const j of active) {
      deleteJobs.push(j);
      events.push(cjEvent(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${nameOf(j)}`));
    }
    active = [];
  }
  const job = jobForSchedule(cj, time);
  decision.createJob = job;
  events.push(cjEvent(cj, 'Normal', 'SuccessfulCreate', `Created job ${nameOf(job)}`));
  status.lastScheduleTime = formatTimestamp(time);
  return finish();
}
