import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { createLogger } from '../log';
import { errors } from '@berth/core';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { eventually } from '../testing/test-cluster';
import { WorkQueues } from './work-queues';

// Workqueue semantics on the real Redis and BullMQ: collapse while waiting, a follow-up
// while running, and a change never waits behind an earlier requeue's timer.
describe('WorkQueues (real Redis)', () => {
  const prefix = `berth-wq-${randomBytes(4).toString('hex')}`;
  let redis: IORedis;
  let queues: WorkQueues;
  let metrics: WorkerMetrics;

  beforeEach(() => {
    redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      maxRetriesPerRequest: null,
    });
    metrics = new WorkerMetrics();
    queues = new WorkQueues(
      redis,
      prefix,
      metrics,
      createLogger({ component: 'test', level: 'error' }),
    );
  });

  afterEach(async () => {
    await queues.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('collapses a burst of enqueues of one key that waits into one run', async () => {
    for (let i = 0; i < 20; i++) await queues.enqueue('deployments', { key: 'ns/a' });
    const runs: string[] = [];
    queues.process('deployments', async (p) => void runs.push(p.key), 1);
    await eventually(async () => runs.length === 1, 'the first run');
    expect(runs).toEqual(['ns/a']);
    // Nothing else is left to run.
    const counts = await queues.queue('deployments').getJobCounts('waiting', 'delayed', 'active');
    expect(counts).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
  });

  it('runs a change at once even when the key waits behind a long requeue delay', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let runs = 0;
    queues.process(
      'deployments',
      async () => {
        runs++;
        if (runs === 1) await gate;
        // Every run asks for a re-check in an hour (as a progress-deadline check does).
        return { requeueAfterMs: 3_600_000 };
      },
      1,
    );
    // Run 1 is held while a change arrives, so run 2 is the follow-up, and its requeue
    // leaves the key itself delayed by an hour.
    await queues.enqueue('deployments', { key: 'ns/web' });
    await eventually(async () => runs === 1, 'the first run');
    await queues.enqueue('deployments', { key: 'ns/web' });
    release();
    await eventually(
      async () => runs === 2 && (await queues.queue('deployments').getDelayedCount()) === 1,
      'the follow-up run and its delayed re-check',
    );
    const started = Date.now();
    await queues.enqueue('deployments', { key: 'ns/web' });
    await eventually(async () => runs === 3, 'the run for the change', 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('queues one follow-up for a change that arrives while the key is being reconciled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runs: number[] = [];
    queues.process(
      'deployments',
      async () => {
        runs.push(Date.now());
        if (runs.length === 1) await gate;
      },
      1,
    );
    await queues.enqueue('deployments', { key: 'ns/x' });
    await eventually(async () => runs.length === 1, 'the first run');
    for (let i = 0; i < 5; i++) await queues.enqueue('deployments', { key: 'ns/x' });
    release();
    await eventually(async () => runs.length === 2, 'the follow-up run');
    await eventually(async () => {
      const c = await queues.queue('deployments').getJobCounts('waiting', 'delayed', 'active');
      return c.waiting + c.delayed + c.active === 0;
    }, 'an empty queue');
    // Five changes during the run became exactly one follow-up, not five.
    expect(runs.length).toBe(2);
  });

  it('never reconciles one key twice at once, even with free worker slots', async () => {
    const activeByKey = new Map<string, number>();
    let maxSameKey = 0;
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    queues.process(
      'deployments',
      async ({ key }) => {
        runs.push(key);
        const now = (activeByKey.get(key) ?? 0) + 1;
        activeByKey.set(key, now);
        maxSameKey = Math.max(maxSameKey, now);
        if (runs.length === 1) await gate;
        activeByKey.set(key, (activeByKey.get(key) ?? 1) - 1);
      },
      4,
    );
    await queues.enqueue('deployments', { key: 'ns/same' });
    await eventually(async () => runs.length === 1, 'the first run');
    // A change arrives during the run: its follow-up is queued, and worker slots are free.
    await queues.enqueue('deployments', { key: 'ns/same' });
    // Another key is not held up by it.
    await queues.enqueue('deployments', { key: 'ns/other' });
    await eventually(async () => runs.includes('ns/other'), 'the other key, run beside the first');
    const sameBeforeRelease = runs.filter((k) => k === 'ns/same').length;
    release();
    expect(sameBeforeRelease).toBe(1); // the follow-up waited for the first run
    await eventually(
      async () => runs.filter((k) => k === 'ns/same').length === 2,
      'the follow-up, once the first run ended',
    );
    expect(maxSameKey).toBe(1);
  });

  it('keeps the key of a reconcile that runs longer than the lock TTL: never run twice at once', async () => {
    // Two worker processes' queues with a 1 s lock TTL, and a reconcile that takes 3 s.
    const other = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      maxRetriesPerRequest: null,
    });
    const log = createLogger({ component: 'test', level: 'error' });
    const a = new WorkQueues(redis, `${prefix}-ttl`, new WorkerMetrics(), log, {
      lockTtlMs: 1_000,
    });
    const b = new WorkQueues(other, `${prefix}-ttl`, new WorkerMetrics(), log, {
      lockTtlMs: 1_000,
    });
    let active = 0;
    let maxActive = 0;
    let started = 0;
    let finished = 0;
    const reconcile = async () => {
      started++;
      active++;
      maxActive = Math.max(maxActive, active);
      // The reconcile's own work, three lock TTLs long (not a synchronisation).
      await new Promise((r) => setTimeout(r, 3_000));
      active--;
      finished++;
    };
    try {
      a.process('deployments', reconcile, 2);
      b.process('deployments', reconcile, 2);
      await a.enqueue('deployments', { key: 'ns/slow' });
      await eventually(async () => started === 1, 'the first reconcile to start');
      // A change during the run: its follow-up finds free slots in both processes.
      await b.enqueue('deployments', { key: 'ns/slow' });
      await eventually(async () => finished === 2, 'both reconciles to finish', 20_000);
      expect(maxActive).toBe(1);
      expect(started).toBe(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
      const keys = await redis.keys(`${prefix}-ttl:*`);
      if (keys.length) await redis.del(...keys);
      other.disconnect();
    }
  }, 30_000);

  it('reconciles again at once after a Conflict (a write guarded by a stale version), with no error', async () => {
    const runs: number[] = [];
    queues.process(
      'replicasets',
      async () => {
        runs.push(Date.now());
        if (runs.length === 1)
          throw errors.conflict('replicasets', 'r', 'the object has been modified', 'apps');
      },
      1,
    );
    await queues.enqueue('replicasets', { key: 'ns/r' });
    await eventually(async () => runs.length === 2, 'a second reconcile after the conflict');
    const failed = await queues.queue('replicasets').getFailed();
    expect(failed).toEqual([]);
    const errorsCounted = (await metrics.reconcileErrors.get()).values.reduce(
      (sum, v) => sum + v.value,
      0,
    );
    expect(errorsCounted).toBe(0);
  });
});
