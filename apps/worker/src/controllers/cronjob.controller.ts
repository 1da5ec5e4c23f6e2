import { decideCronJob, isAlreadyExists, type KubeObject } from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import type { EventRecorder } from './events';
import { CRONJOBS, JOBS, WRITE, isGone, splitKey } from './shared';

/** Creates CronJobs' Jobs on schedule (decisions in libs/core/src/controllers/cronjob.ts). */
export class CronJobController {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
    private readonly log: Logger,
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = splitKey(key);
    let cj: KubeObject;
    try {
      cj = await this.registry.get(CRONJOBS, namespace, name);
    } catch (err) {
      if (isGone(err)) return;
      throw err;
    }
    if (cj.metadata.deletionTimestamp) return;
    const jobs = (await this.registry.list(JOBS, namespace, {})).items;
    const plan = decideCronJob(cj, jobs, new Date());
    for (const job of plan.deleteJobs) {
      try {
        await this.registry.delete(
          JOBS,
          namespace,
          job.metadata.name!,
          { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid } },
          WRITE,
        );
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
    if (plan.createJob) {
      try {
        const created = (await this.registry.create(JOBS, namespace, plan.createJob, WRITE)).object;
        plan.status.active = [
          ...(plan.status.active ?? []),
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: created.metadata.name!,
            namespace,
            uid: created.metadata.uid!,
            resourceVersion: created.metadata.resourceVersion,
          },
        ];
      } catch (err) {
        // Made already (a retry after a lost status write): the schedule time is taken.
        if (!isAlreadyExists(err)) throw err;
      }
    }
    await this.registry.guaranteedUpdate(
      CRONJOBS,
      namespace,
      name,
      BigInt(cj.metadata.resourceVersion!),
      WRITE,
      (cur) => ({ ...cur, status: plan.status as never }),
    );
    for (const e of plan.events) await this.events.record(e);
    if (plan.createJob) this.log.debug('cronjob made a job', { cronjob: key });
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }
}
