import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type IORedis from 'ioredis';
import { ApiError, isConflict } from '@berth/core';
import type { Logger } from '../log';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import { CATALOG, type PayloadOf, type QueueName } from './catalog';

export interface ReconcileResult {
  /** Ask to be reconciled again after this long (level-triggered re-check). */
  requeueAfterMs?: number;
}

export type Handler<Q extends QueueName> = (
  payload: PayloadOf<Q>,
) => Promise<ReconcileResult | void>;

const ACTIVE_SUFFIX = '|again';
/** How soon a job whose key is being reconciled elsewhere tries again. */
const BUSY_RETRY_MS = 50;
/**
 * How long a reconcile's lock on its key lives without renewal: a crashed worker's lock
 * expires after this. A running reconcile renews it every third of this, so one that runs
 * longer keeps its key. BullMQ's own job lock follows it (see `process`), so a job a dead
 * worker held is taken up again within about 1.5 × this.
 */
export const LOCK_TTL_MS = 15_000;

/** Extends the lock's expiry only if `owner` still holds it (1), else 0. */
const EXTEND_IF_OWNER =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

export interface WorkQueueOptions {
  /** {@link LOCK_TTL_MS} unless given (tests use a short one). */
  lockTtlMs?: number;
}

/**
 * Makes a delayed job due sooner: at once for a change (`delayMs` 0), else when the new
 * delay is shorter than the job's own. Throws if the job is no longer delayed.
 */
async function bringForward(job: Job, delayMs: number): Promise<void> {
  if (delayMs <= 0) await job.promote();
  else if (delayMs < (job.delay ?? 0)) await job.changeDelay(delayMs);
}

/**
 * BullMQ queues from the catalog, with workqueue semantics: enqueueing a key that is
 * already waiting is a no-op (bursts collapse); enqueueing a key whose job is running
 * queues one follow-up so the change is not lost; failed jobs retry with exponential
 * backoff and, when out of attempts, stay visible in the failed set.
 */
export class WorkQueues {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];
  private readonly lockTtlMs: number;

  constructor(
    private readonly connection: IORedis,
    private readonly prefix: string,
    private readonly metrics: WorkerMetrics,
    private readonly log: Logger,
    opts: WorkQueueOptions = {},
  ) {
    this.lockTtlMs = opts.lockTtlMs ?? LOCK_TTL_MS;
  }

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      const spec = CATALOG[name];
      q = new Queue(spec.name, {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: {
          attempts: spec.retry.attempts,
          backoff: { type: 'exponential', delay: spec.retry.backoffMs },
          removeOnComplete: true,
          removeOnFail: { count: 5000 },
        },
      });
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Queues a reconcile of `payload`'s key; collapses with one already waiting. A key
   * waiting behind a longer delay (a requeue for a later re-check, or a retry backoff)
   * is brought forward: a change must never wait for an unrelated timer.
   */
  async enqueue<Q extends QueueName>(name: Q, payload: PayloadOf<Q>, delayMs = 0): Promise<void> {
    const spec = CATALOG[name];
    const data = spec.payload.parse(payload) as PayloadOf<Q>;
    const id = (spec.jobId as (p: PayloadOf<Q>) => string)(data);
    const queue = this.queue(name);
    // The job moves between states on its own; a step that loses such a race looks again.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.enqueueOnce(queue, spec.name, id, data, delayMs);
        return;
      } catch (err) {
        if (attempt >= 2) throw err;
      }
    }
  }

  private async enqueueOnce(
    queue: Queue,
    jobName: string,
    id: string,
    data: unknown,
    delayMs: number,
  ): Promise<void> {
    const existing = await queue.getJob(id);
    if (existing) {
      const state = await existing.getState();
      if (state === 'active') {
        const followUp = await queue.getJob(id + ACTIVE_SUFFIX);
        const followState = followUp ? await followUp.getState() : undefined;
        if (followUp && (followState === 'completed' || followState === 'failed')) {
          await followUp.remove().catch(() => undefined);
        } else if (followUp && followState === 'delayed') {
          await bringForward(followUp, delayMs);
          return;
        }
        await queue.add(jobName, data, { jobId: id + ACTIVE_SUFFIX, delay: delayMs });
        return;
      }
      if (state === 'delayed') {
        await bringForward(existing, delayMs);
        return;
      }
      if (state === 'completed' || state === 'failed' || state === 'unknown') {
        await existing.remove().catch(() => undefined);
      } else {
        return; // waiting or prioritized: this trigger is already covered
      }
    }
    await queue.add(jobName, data, { jobId: id, delay: delayMs });
  }

  /** Starts processing `name` with `handler` (a thin decode → call). */
  process<Q extends QueueName>(name: Q, handler: Handler<Q>, concurrency: number): void {
    const spec = CATALOG[name];
    const exclusive = (spec as { exclusive?: boolean }).exclusive === true;
    const worker = new Worker(
      spec.name,
      async (job: Job, token?: string) => {
        const parsed = spec.payload.safeParse(job.data);
        if (!parsed.success)
          throw new UnrecoverableError(`invalid ${spec.name} payload: ${parsed.error.message}`);
        let lock: string | undefined;
        let stopRenewing: (() => void) | undefined;
        if (exclusive) {
          const key = (spec.jobId as (p: PayloadOf<Q>) => string)(parsed.data as PayloadOf<Q>);
          lock = await this.lockKey(spec.name, key, token ?? String(job.id));
          if (!lock) {
            // Its key is being reconciled (the main job or its follow-up, maybe in another
            // process): wait a moment and try again, without using up an attempt.
            await job.moveToDelayed(Date.now() + BUSY_RETRY_MS, token);
            throw new DelayedError();
          }
          stopRenewing = this.keepLock(lock, token ?? String(job.id));
        }
        const end = this.metrics.reconcileDuration.startTimer({ controller: spec.name });
        try {
          const result = await handler(parsed.data as PayloadOf<Q>);
          end({ result: 'ok' });
          if (result?.requeueAfterMs !== undefined) {
            // Through the collapsing enqueue: while this job (main id or its follow-up)
            // is active, the other id is used, so a requeue is never swallowed.
            await this.enqueue(
              name,
              parsed.data as PayloadOf<Q>,
              Math.max(0, result.requeueAfterMs),
            );
          }
        } catch (err) {
          if (err instanceof ApiError && err.code === 404) {
            end({ result: 'gone' });
            return; // the object is gone: nothing to reconcile
          }
          if (isConflict(err)) {
            // A write guarded by the version it observed lost a race (controller-runtime's
            // requeue on Conflict): reconcile again at once from a fresh read, no backoff
            // and no error.
            end({ result: 'conflict' });
            this.log.debug('reconcile conflicted; requeued', {
              queue: spec.name,
              job: job.id,
              error: (err as Error).message,
            });
            await this.enqueue(name, parsed.data as PayloadOf<Q>, 0);
            return;
          }
          end({ result: 'error' });
          this.metrics.reconcileErrors.inc({ controller: spec.name });
          throw err;
        } finally {
          stopRenewing?.();
          if (lock) await this.unlockKey(lock, token ?? String(job.id));
        }
      },
      {
        connection: this.connection,
        prefix: this.prefix,
        concurrency,
        autorun: true,
        // BullMQ's defaults (a 30 s job lock, checked every 30 s) left a job held by a
        // SIGKILLed worker stuck for up to a minute, and with it its key (a rollout stalled).
        // The job lock lives as long as the key's lock and is checked every half of it; a
        // job seen stalled is taken up again, up to 3 times (the key lock keeps two runs
        // of one key apart).
        lockDuration: this.lockTtlMs,
        stalledInterval: Math.max(500, Math.floor(this.lockTtlMs / 2)),
        maxStalledCount: 3,
      },
    );
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final =
        job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
      if (final) {
        this.metrics.failedForGood.inc({ controller: spec.name });
        this.log.error('job failed for good', {
          queue: spec.name,
          job: job.id,
          error: err.message,
        });
      } else {
        this.log.debug('job failed, will retry', {
          queue: spec.name,
          job: job.id,
          attempt: job.attemptsMade,
          error: err.message,
        });
      }
    });
    worker.on('error', (err) =>
      this.log.warn('worker error', { queue: spec.name, error: err.message }),
    );
    this.workers.push(worker);
  }

  /** Takes the reconcile lock of `key`; its Redis key, or undefined when another holds it. */
  private async lockKey(queue: string, key: string, owner: string): Promise<string | undefined> {
    const lock = `${this.prefix}:reconciling:${queue}:${key}`;
    const ok = await this.connection.set(lock, owner, 'PX', this.lockTtlMs, 'NX');
    return ok === 'OK' ? lock : undefined;
  }

  /**
   * Renews `lock` every third of its TTL while the reconcile runs (only while `owner`
   * holds it: compare and extend in one script). If the lock was lost (expired while Redis
   * or this process stalled, and maybe taken by another), says so and stops renewing: the
   * reconcile finishes, and its writes are guarded by resourceVersion. Returns the stop.
   */
  private keepLock(lock: string, owner: string): () => void {
    let stopped = false;
    const timer = setInterval(
      () => {
        void this.connection
          .eval(EXTEND_IF_OWNER, 1, lock, owner, String(this.lockTtlMs))
          .then((extended) => {
            if (stopped || extended === 1) return;
            stopped = true;
            clearInterval(timer);
            this.log.warn('lost a reconcile lock while reconciling (another worker may run it)', {
              lock,
            });
          })
          .catch((err: Error) =>
            this.log.warn('could not renew a reconcile lock', { lock, error: err.message }),
          );
      },
      Math.max(1, Math.floor(this.lockTtlMs / 3)),
    );
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }

  private async unlockKey(lock: string, owner: string): Promise<void> {
    // Only the owner releases (an expired lock may already belong to someone else).
    await this.connection
      .eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
        1,
        lock,
        owner,
      )
      .catch((err: Error) =>
        this.log.warn('could not release a reconcile lock', { lock, error: err.message }),
      );
  }

  /** Updates the queue-depth gauge (called on scrape). */
  async collectDepth(): Promise<void> {
    for (const [name, queue] of this.queues) {
      const counts = await queue.getJobCounts(
        'waiting',
        'active',
        'delayed',
        'failed',
        'prioritized',
      );
      for (const [state, n] of Object.entries(counts))
        this.metrics.queueDepth.set({ queue: name, state }, n);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
