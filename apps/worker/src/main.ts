#!/usr/bin/env node
import { loadWorkerConfig, WorkerConfigError } from './config';
import { startWorker } from './worker';

const HELP = `berth-worker — Berth's scheduler and controller manager (BullMQ on Redis)

Usage: node apps/worker/dist/main.js [--help]

Run as many as you like; leader-only loops use a Redis lease.

Environment:
  DATABASE_URL                 PostgreSQL URL (default postgresql://postgres@127.0.0.1:5432/berth)
  REDIS_URL                    Redis URL (default redis://127.0.0.1:6379)
  BERTH_QUEUE_PREFIX           Redis key prefix (default berth)
  BERTH_WORKER_ID              identity for leader election (default host-pid)
  BERTH_WORKER_CONCURRENCY     jobs at once per controller queue (default 8)
  BERTH_SCHEDULER_BATCH        pods planned per scheduling run (default 200)
  BERTH_SCHEDULER_SHARDS       parallel scheduling shards (default 2)
  BERTH_RESYNC_INTERVAL_MS     full resync period (default 60000)
  BERTH_LEADER_LEASE_MS        leader lease (default 5000)
  BERTH_NODE_GRACE_PERIOD_MS   node heartbeat grace period (default 40000)
  BERTH_RECONCILE_LOCK_TTL_MS  a reconcile's per-key lock, renewed while it runs (default 15000);
                               a dead worker's jobs are taken up again within about 1.5 × this
  BERTH_WORKER_METRICS_PORT    serve /metrics and /healthz on 127.0.0.1:<port> (off by default)
  BERTH_LOG_LEVEL              error|warn|info|debug (default info)
`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  let config;
  try {
    config = loadWorkerConfig();
  } catch (err) {
    if (err instanceof WorkerConfigError) {
      process.stderr.write(`berth-worker: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const worker = await startWorker(config);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    // Active jobs get a grace period to finish; then the process goes regardless.
    setTimeout(() => process.exit(1), 10_000).unref();
    worker.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err) => {
  process.stderr.write(`berth-worker: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
