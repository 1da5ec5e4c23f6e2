import os from 'node:os';
import path from 'node:path';
import {
  helpText,
  loadEnv,
  loadOptions,
  encryptionOptions,
  logOptions,
  storeOptions,
  value,
  type Option,
  type Source,
  type Values,
} from '@berth/config';
import { LOCK_TTL_MS } from './queue/work-queues';

/** Everything the worker reads from its flags and environment (see --help). */
export const WORKER_OPTIONS = {
  ...storeOptions,
  ...encryptionOptions,
  dataDir: {
    env: 'BERTH_DATA_DIR',
    arg: 'DIR',
    help: "the API's data directory, read for its encryption-key file when\nBERTH_ENCRYPTION_KEY is unset (default ./.data)",
    schema: value.string(() => path.join(process.cwd(), '.data')).transform((d) => path.resolve(d)),
  },
  identity: {
    env: 'BERTH_WORKER_ID',
    arg: 'ID',
    help: 'identity for leader election (default host-pid)',
    schema: value.string(() => `${os.hostname()}-${process.pid}`),
  },
  concurrency: {
    env: 'BERTH_WORKER_CONCURRENCY',
    arg: 'N',
    help: 'jobs at once per controller queue (default 8)',
    schema: value.int(8, 1),
  },
  schedulerBatchSize: {
    env: 'BERTH_SCHEDULER_BATCH',
    arg: 'N',
    help: 'pods planned per scheduling run (default 200)',
    schema: value.int(200, 1),
  },
  schedulerShards: {
    env: 'BERTH_SCHEDULER_SHARDS',
    arg: 'N',
    help: 'parallel scheduling shards (default 2)',
    schema: value.int(2, 1),
  },
  resyncIntervalMs: {
    env: 'BERTH_RESYNC_INTERVAL_MS',
    arg: 'MS',
    help: 'full resync period (default 60000)',
    schema: value.int(60_000, 100),
  },
  leaseDurationMs: {
    env: 'BERTH_LEADER_LEASE_MS',
    arg: 'MS',
    help: 'leader lease; another worker takes over within this after a crash (default 5000)',
    schema: value.int(5_000, 100),
  },
  nodeGracePeriodMs: {
    env: 'BERTH_NODE_GRACE_PERIOD_MS',
    arg: 'MS',
    help: 'a node whose Lease is older than this is NotReady (default 40000)',
    schema: value.int(40_000, 100),
  },
  nodeMonitorPeriodMs: {
    env: 'BERTH_NODE_MONITOR_PERIOD_MS',
    arg: 'MS',
    help: 'how often node health is checked (default 5000)',
    schema: value.int(5_000, 50),
  },
  reconcileLockTtlMs: {
    env: 'BERTH_RECONCILE_LOCK_TTL_MS',
    arg: 'MS',
    help: `a reconcile's per-key lock, renewed while it runs (default ${LOCK_TTL_MS});\na dead worker's jobs are taken up again within about 1.5 × this`,
    schema: value.int(LOCK_TTL_MS, 300),
  },
  metricsPort: {
    env: 'BERTH_WORKER_METRICS_PORT',
    arg: 'PORT',
    help: 'serve /metrics and /healthz on 127.0.0.1:<port>; 0: any free port (off by default)',
    schema: value.optionalInt(0),
  },
  ...logOptions,
} satisfies Record<string, Option>;

/** The worker's configuration, read and validated once at start-up. */
export type WorkerConfig = Values<typeof WORKER_OPTIONS>;

export const WORKER_HELP = helpText(WORKER_OPTIONS, {
  intro: "berth-worker — Berth's scheduler and controller manager (BullMQ on Redis)",
  usage: 'node apps/worker/dist/main.js [options]',
  outro: 'Run as many as you like; leader-only loops use a Redis lease.',
});

/** Reads the configuration (flags over the environment), or that --help was asked. */
export function readWorkerConfig(
  source: Source = {},
): { help: true } | { help: false; config: WorkerConfig } {
  const read = loadOptions(WORKER_OPTIONS, source);
  return read.help ? read : { help: false, config: read.values };
}

/** The configuration from `env` alone. Throws ConfigError. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return loadEnv(WORKER_OPTIONS, env);
}
