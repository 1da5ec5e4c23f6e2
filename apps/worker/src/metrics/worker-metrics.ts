import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one worker process (its own registry, no globals). */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly reconcileDuration = new Histogram({
    name: 'berth_controller_reconcile_duration_seconds',
    help: 'Duration of reconcile calls by controller and outcome.',
    labelNames: ['controller', 'result'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'berth_controller_reconcile_errors_total',
    help: 'Reconcile calls that threw (they are retried with backoff).',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly failedForGood = new Counter({
    name: 'berth_controller_jobs_failed_total',
    help: 'Jobs that used up their attempts (kept in the failed set, visible in queue depth).',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'berth_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, failed).',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });
  readonly scheduleAttempts = new Counter({
    name: 'berth_scheduler_schedule_attempts_total',
    help: 'Pods the scheduler tried to place, by result (scheduled, unschedulable, conflict).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly binds = new Counter({
    name: 'berth_scheduler_binds_total',
    help: 'Pods bound to nodes (rate() of this is binds per second).',
    registers: [this.registry],
  });
  readonly scheduleLatency = new Histogram({
    name: 'berth_scheduler_pod_scheduling_duration_seconds',
    help: 'Time from pod creation to its binding.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_worker_' });
  }
}
