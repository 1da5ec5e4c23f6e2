import { ApiError, JOB_CONTROLLER, decideJob, eventAbout, type KubeObject } from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import type { EventRecorder } from './events';
import { JOBS, PODS, WRITE, isGone, specSelector, splitKey } from './shared';

/** How soon a Job whose pods admission refused tries again. */
const CREATE_RETRY_MS = 10_000;

/** Runs Jobs' pods to completion (decisions in libs/core/src/controllers/job.ts). */
export class JobController {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
    private readonly log: Logger,
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = splitKey(key);
    let job: KubeObject;
    try {
      job = await this.registry.get(JOBS, namespace, name);
    } catch (err) {
      if (isGone(err)) return;
      throw err;
    }
    if (job.metadata.deletionTimestamp) return;
    const pods = (await this.registry.list(PODS, namespace, { labelSelector: specSelector(job) }))
      .items;
    const now = new Date();
    const plan = decideJob(job, pods, now);

    if (plan.deleteJob) {
      try {
        await this.registry.delete(
          JOBS,
          namespace,
          name,
          { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid } },
          WRITE,
        );
      } catch (err) {
        if (!isGone(err)) throw err;
      }
      this.log.debug('job deleted after its TTL', { job: key });
      return;
    }

    let requeue = plan.requeueAfterMs;
    const made = new Set<string>();
    for (const pod of plan.createPods) {
      try {
        await this.registry.create(PODS, namespace, pod, WRITE);
        made.add(pod.metadata.name!);
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 403 || err.code === 422))) throw err;
        plan.events.push(
          eventAbout(
            job,
            'Warning',
            'FailedCreate',
            `Error creating: ${err.message}`,
            JOB_CONTROLLER,
          ),
        );
        requeue = Math.min(requeue ?? CREATE_RETRY_MS, CREATE_RETRY_MS);
        break;
      }
    }
    plan.status.active += made.size;
    for (const pod of plan.deletePods) {
      try {
        await this.registry.delete(
          PODS,
          namespace,
          pod.metadata.name!,
          { preconditions: { uid: pod.metadata.uid } },
          WRITE,
        );
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
    await this.registry.guaranteedUpdate(
      JOBS,
      namespace,
      name,
      BigInt(job.metadata.resourceVersion!),
      WRITE,
      (cur) => ({ ...cur, status: plan.status as never }),
    );
    for (const e of plan.events) {
      if (e.reason === 'SuccessfulCreate' && !made.has(e.message.replace('Created pod: ', '')))
        continue;
      await this.events.record(e);
    }
    if (plan.createPods.length || plan.deletePods.length)
      this.log.debug('job synced', {
        job: key,
        created: made.size,
        deleted: plan.deletePods.length,
      });
    return requeue !== undefined ? { requeueAfterMs: Math.max(1, requeue) } : undefined;
  }
}
