/**
 * The Job controller's decision (kubernetes pkg/controller/job, simplified): run pods from
 * the template until `completions` succeed (at most `parallelism` at once), re-create failed
 * ones after an exponential delay until `backoffLimit` is passed, honour
 * `activeDeadlineSeconds`, `suspend`, `podFailurePolicy` and the Indexed completion mode, and
 * delete the finished Job once `ttlSecondsAfterFinished` has passed.
 *
 * Pods stay after they finish (for `kubectl logs job/x`): they are counted from the pods the
 * Job controls, which the worker reads from the store.
 */
import { formatTimestamp, type KubeObject } from '../api/types';
import { JOB_COMPLETION_INDEX_ANNOTATION, JOB_COMPLETION_INDEX_ENV } from '../resources/job';
import { eventAbout, type EventSpec } from './events';
import {
  annotationsOf,
  arr,
  conditionsOf,
  isBeingDeleted,
  isControlledBy,
  isPodReady,
  nameOf,
  num,
  obj,
  parseTime,
  podPhase,
  randomNameSuffix,
  uidOf,
  type Condition,
  type NameSuffixGenerator,
} from './util';
import { podFromTemplate } from './replicaset';

export const JOB_CONTROLLER = 'job-controller';
/** kube-controller-manager's pod failure backoff: 10 s, doubled per failure, at most 6 min. */
export const JOB_BACKOFF_BASE_MS = 10_000;
export const JOB_BACKOFF_MAX_MS = 360_000;

export interface JobStatus {
  conditions?: Condition[];
  startTime?: string;
  completionTime?: string;
  active: number;
  succeeded: number;
  failed: number;
  ready: number;
  terminating: number;
  completedIndexes?: string;
}

export interface JobDecision {
  createPods: KubeObject[];
  deletePods: KubeObject[];
  status: JobStatus;
  events: EventSpec[];
  /** The Job's TTL after finishing has passed: delete it (Background propagation). */
  deleteJob: boolean;
  requeueAfterMs?: number;
}

export interface JobDecideOptions {
  nameSuffix?: NameSuffixGenerator;
}

function hasCondition(conds: readonly Condition[], type: string): boolean {
  return conds.some((c) => c.type === type && c.status === 'True');
}

/** When a pod finished: its containers' latest finishedAt, else its creation. */
function finishedAt(pod: KubeObject): number {
  const status = obj(pod.status);
  let at: number | undefined;
  for (const cs of arr(status.containerStatuses)) {
    const t = parseTime(obj(obj(obj(cs).state).terminated).finishedAt);
    if (t !== undefined && (at === undefined || t > at)) at = t;
  }
  return at ?? parseTime(obj(pod.metadata).creationTimestamp) ?? 0;
}

function podIndex(pod: KubeObject): number | undefined {
  const v = annotationsOf(pod)[JOB_COMPLETION_INDEX_ANNOTATION];
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined;
}

type PolicyAction = 'FailJob' | 'Ignore' | 'Count' | undefined;

/** The first podFailurePolicy rule whose exit codes match the failed pod's containers. */
export function podFailurePolicyAction(job: KubeObject, pod: KubeObject): PolicyAction {
  const rules = arr(obj(obj(job.spec).podFailurePolicy).rules);
  const statuses = arr(obj(pod.status).containerStatuses).map(obj);
  for (const r of rules.map(obj)) {
    const on = obj(r.onExitCodes);
    if (!Array.isArray(on.values)) continue;
    const values = on.values as number[];
    const matched = statuses.some((cs) => {
      if (on.containerName && cs.name !== on.containerName) return false;
      const code = num(obj(obj(cs.state).terminated).exitCode);
      if (code === undefined || code === 0) return false;
      return on.operator === 'In' ? values.includes(code) : !values.includes(code);
    });
    if (matched) return r.action as PolicyAction;
  }
  return undefined;
}

/** `1,3-5` as Kubernetes writes completedIndexes. */
export function formatIndexes(indexes: readonly number[]): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function setCondition(
  conds: Condition[],
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: Date,
): Condition[] {
  const prev = conds.find((c) => c.type === type);
  if (prev && prev.status === status && prev.reason === reason) return conds;
  const at = formatTimestamp(now);
  const next: Condition = {
    type,
    status,
    reason,
    message,
    lastProbeTime: at,
    lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : at,
  };
  return [...conds.filter((c) => c.type !== type), next];
}

/** A pod of `job` from its template; for an Indexed Job, with its index (annotation, env). */
export function jobPod(
  job: KubeObject,
  index: number | undefined,
  nameSuffix: NameSuffixGenerator,
): KubeObject {
  const prefix = index === undefined ? '' : `${index}-`;
  const pod = podFromTemplate(job, () => `${prefix}${nameSuffix()}`);
  if (index === undefined) return pod;
  const meta = pod.metadata as Record<string, unknown>;
  meta.generateName = `${nameOf(job)}-${index}-`;
  meta.annotations = { ...obj(meta.annotations), [JOB_COMPLETION_INDEX_ANNOTATION]: `${index}` };
  meta.labels = { ...obj(meta.labels), [JOB_COMPLETION_INDEX_ANNOTATION]: `${index}` };
  const spec = pod.spec as Record<string, unknown>;
  const withEnv = (c: unknown) => {
    const container = obj(c);
    const env = arr(container.env).filter((e) => obj(e).name !== JOB_COMPLETION_INDEX_ENV);
    return { ...container, env: [...env, { name: JOB_COMPLETION_INDEX_ENV, value: `${index}` }] };
  };
  spec.containers = arr(spec.containers).map(withEnv);
  if (Array.isArray(spec.initContainers)) spec.initContainers = spec.initContainers.map(withEnv);
  hostnameFor(spec, job, index);
  return pod;
}

function hostnameFor(spec: Record<string, unknown>, job: KubeObject, index: number): void {
  if (spec.hostname === undefined) spec.hostname = `${nameOf(job)}-${index}`.slice(0, 63);
}

function jobEvent(job: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) {
  return eventAbout(job, type, reason, message, JOB_CONTROLLER);
}

/**
 * Decides what `job` does next given `pods` (its namespace's pods; only those it controls
 * count). Nothing is mutated.
 */
export function decideJob(
  job: KubeObject,
  pods: readonly KubeObject[],
  now: Date,
  opts: JobDecideOptions = {},
): JobDecision {
  const spec = obj(job.spec);
  const prev = obj(job.status);
  const t = now.getTime();
  const owned = pods.filter((p) => isControlledBy(p, uidOf(job)));
  const active = owned.filter(
    (p) => !isBeingDeleted(p) && !['Succeeded', 'Failed'].includes(podPhase(p)),
  );
  const terminating = owned.filter(
    (p) => isBeingDeleted(p) && !['Succeeded', 'Failed'].includes(podPhase(p)),
  );
  const succeededPods = owned.filter((p) => podPhase(p) === 'Succeeded');
  const failedPods = owned.filter((p) => podPhase(p) === 'Failed');
  const indexed = spec.completionMode === 'Indexed';
  const completions = num(spec.completions);
  const parallelism = Math.max(0, num(spec.parallelism) ?? 1);
  const backoffLimit = num(spec.backoffLimit) ?? 6;
  let conds = conditionsOf(job.status);
  const events: EventSpec[] = [];
  const decision: JobDecision = {
    createPods: [],
    deletePods: [],
    events,
    deleteJob: false,
    status: { active: 0, succeeded: 0, failed: 0, ready: 0, terminating: 0 },
  };

  const finished = hasCondition(conds, 'Complete') || hasCondition(conds, 'Failed');
  const completedIndexes = succeededPods
    .map(podIndex)
    .filter((i): i is number => i !== undefined && (completions === undefined || i < completions));
  let failJob: { reason: string; message: string } | undefined;
  let countedFailures = 0;
  for (const p of failedPods) {
    const action = podFailurePolicyAction(job, p);
    if (action === 'Ignore') continue;
    countedFailures++;
    if (action === 'FailJob' && !failJob)
      failJob = {
        reason: 'PodFailurePolicy',
        message: `Container of pod ${nameOf(job)}/${nameOf(p)} failed with an exit code matching a FailJob rule of the pod failure policy`,
      };
  }
  const failed = Math.max(countedFailures, num(prev.failed) ?? 0);
  const succeeded = indexed ? new Set(completedIndexes).size : succeededPods.length;
  const status: JobStatus = {
    ...(prev.startTime ? { startTime: String(prev.startTime) } : {}),
    ...(prev.completionTime ? { completionTime: String(prev.completionTime) } : {}),
    active: active.length,
    succeeded,
    failed,
    ready: active.filter(isPodReady).length,
    terminating: terminating.length,
  };
  if (indexed) status.completedIndexes = formatIndexes(completedIndexes);
  decision.status = status;

  if (finished) {
    if (conds.length) status.conditions = conds;
    const ttl = num(spec.ttlSecondsAfterFinished);
    if (ttl !== undefined) {
      const done = conds.find(
        (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      );
      const at = parseTime(status.completionTime) ?? parseTime(done?.lastTransitionTime) ?? t;
      const left = at + ttl * 1000 - t;
      if (left <= 0) decision.deleteJob = true;
      else decision.requeueAfterMs = left;
    }
    decision.deletePods = active;
    return decision;
  }

  const deleteActive = () => {
    decision.deletePods = active;
    for (const p of active)
      events.push(jobEvent(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${nameOf(p)}`));
    status.active = 0;
    status.ready = 0;
  };

  if (spec.suspend === true) {
    if (!hasCondition(conds, 'Suspended'))
      events.push(jobEvent(job, 'Normal', 'Suspended', 'Job suspended'));
    conds = setCondition(conds, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
    deleteActive();
    delete status.startTime;
    status.conditions = conds;
    return decision;
  }
  if (hasCondition(conds, 'Suspended')) {
    conds = setCondition(conds, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
    events.push(jobEvent(job, 'Normal', 'Resumed', 'Job resumed'));
  }
  if (!status.startTime) status.startTime = formatTimestamp(now);
  const start = parseTime(status.startTime) ?? t;

  // Failure: a FailJob rule, the backoff limit (OnFailure counts container restarts), the deadline.
  const restarts =
    obj(obj(spec.template).spec).restartPolicy === 'OnFailure'
      ? active.reduce(
          (n, p) =>
            n +
            arr(obj(p.status).containerStatuses).reduce<number>(
              (m, cs) => m + (num(obj(cs).restartCount) ?? 0),
              0,
            ),
          0,
        )
      : 0;
  if (!failJob && (failed > backoffLimit || (restarts > 0 && restarts + failed > backoffLimit)))
    failJob = {
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    };
  const deadline = num(spec.activeDeadlineSeconds);
  if (!failJob && deadline !== undefined && t - start >= deadline * 1000)
    failJob = {
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    };
  if (failJob) {
    conds = setCondition(conds, 'FailureTarget', 'True', failJob.reason, failJob.message, now);
    conds = setCondition(conds, 'Failed', 'True', failJob.reason, failJob.message, now);
    events.push(jobEvent(job, 'Warning', failJob.reason, failJob.message));
    deleteActive();
    status.conditions = conds;
    return decision;
  }

  // Complete?
  const complete =
    completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0;
  if (complete) {
    conds = setCondition(
      conds,
      'SuccessCriteriaMet',
      'True',
      'CompletionsReached',
      'Reached expected number of succeeded pods',
      now,
    );
    conds = setCondition(
      conds,
      'Complete',
      'True',
      'CompletionsReached',
      'Reached expected number of succeeded pods',
      now,
    );
    status.completionTime = formatTimestamp(now);
    events.push(jobEvent(job, 'Normal', 'Completed', 'Job completed'));
    deleteActive();
    status.conditions = conds;
    if (num(spec.ttlSecondsAfterFinished) !== undefined)
      decision.requeueAfterMs = num(spec.ttlSecondsAfterFinished)! * 1000;
    return decision;
  }
  if (conds.length) status.conditions = conds;

  // How many should run now.
  const remaining =
    completions !== undefined ? completions - succeeded : succeeded > 0 ? 0 : parallelism;
  const want = Math.max(0, Math.min(parallelism, remaining));
  const suffix = opts.nameSuffix ?? randomNameSuffix;
  if (active.length > want) {
    const extra = active.slice(want);
    decision.deletePods = extra;
    for (const p of extra)
      events.push(jobEvent(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${nameOf(p)}`));
  } else if (active.length < want) {
    // Failed pods are replaced after 10 s × 2^(failures - 1) from the last failure.
    let wait = 0;
    if (countedFailures > 0) {
      const last = Math.max(...failedPods.map(finishedAt));
      const delay = Math.min(JOB_BACKOFF_MAX_MS, JOB_BACKOFF_BASE_MS * 2 ** (countedFailures - 1));
      wait = last + delay - t;
    }
    if (wait > 0) {
      decision.requeueAfterMs = wait;
    } else {
      const count = want - active.length;
      const indexes: (number | undefined)[] = [];
      if (indexed) {
        const busy = new Set([...active, ...terminating].map(podIndex));
        const done = new Set(completedIndexes);
        for (let i = 0; i < (completions ?? 0) && indexes.length < count; i++)
          if (!busy.has(i) && !done.has(i)) indexes.push(i);
      } else {
        for (let i = 0; i < count; i++) indexes.push(undefined);
      }
      for (const i of indexes) {
        const pod = jobPod(job, i, suffix);
        decision.createPods.push(pod);
        events.push(jobEvent(job, 'Normal', 'SuccessfulCreate', `Created pod: ${nameOf(pod)}`));
      }
    }
  }
  if (deadline !== undefined) {
    const left = start + deadline * 1000 - t;
    decision.requeueAfterMs = Math.min(decision.requeueAfterMs ?? left, left);
  }
  return decision;
}
