import os from 'node:os';
import { LOCK_TTL_MS } from './queue/work-queues';

/** The worker's environment, read and validated once at start-up. */
export interface WorkerConfig {
  databaseUrl: string;
  redisUrl: string;
  /** BullMQ/Redis key prefix: several clusters (or test runs) can share one Redis. */
  queuePrefix: string;
  /** This process's identity for leader election. */
  identity: string;
  /** Jobs processed at once per queue in this process. */
  concurrency: number;
  /** Pending pods scheduled per batch. */
  schedulerBatchSize: number;
  /** Scheduler shards (parallel scheduling runs across workers). */
  schedulerShards: number;
  /** Period of the full resync that re-enqueues every object (ms). */
  resyncIntervalMs: number;
  /** Leader lease duration (ms); another process takes over within this after a crash. */
  leaseDurationMs: number;
  /** A node whose Lease is older than this is NotReady/Unknown (ms). */
  nodeGracePeriodMs: number;
  /** How often node health is checked (ms). */
  nodeMonitorPeriodMs: number;
  /**
   * TTL of a reconcile's lock on its key (ms), renewed every third of it while the
   * reconcile runs; a crashed worker's keys are free again after this.
   */
  reconcileLockTtlMs: number;
  /** Port for /metrics and /healthz; 0 picks a free port; undefined disables. */
  metricsPort?: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
}

export class WorkerConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new WorkerConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  }
  return value;
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const logLevel = (env.BERTH_LOG_LEVEL ?? 'info') as WorkerConfig['logLevel'];
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) {
    throw new WorkerConfigError(
      `BERTH_LOG_LEVEL must be error, warn, info or debug; got "${logLevel}"`,
    );
  }
  const metricsRaw = env.BERTH_WORKER_METRICS_PORT;
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/berth',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: env.BERTH_QUEUE_PREFIX ?? 'berth',
    identity: env.BERTH_WORKER_ID ?? `${os.hostname()}-${process.pid}`,
    concurrency: int(env, 'BERTH_WORKER_CONCURRENCY', 8, 1),
    schedulerBatchSize: int(env, 'BERTH_SCHEDULER_BATCH', 200, 1),
    schedulerShards: int(env, 'BERTH_SCHEDULER_SHARDS', 2, 1),
    resyncIntervalMs: int(env, 'BERTH_RESYNC_INTERVAL_MS', 60_000, 100),
    leaseDurationMs: int(env, 'BERTH_LEADER_LEASE_MS', 5_000, 100),
    nodeGracePeriodMs: int(env, 'BERTH_NODE_GRACE_PERIOD_MS', 40_000, 100),
    nodeMonitorPeriodMs: int(env, 'BERTH_NODE_MONITOR_PERIOD_MS', 5_000, 50),
    reconcileLockTtlMs: int(env, 'BERTH_RECONCILE_LOCK_TTL_MS', LOCK_TTL_MS, 300),
    metricsPort:
      metricsRaw === undefined || metricsRaw === ''
        ? undefined
        : int(env, 'BERTH_WORKER_METRICS_PORT', 0),
    logLevel,
  };
}
