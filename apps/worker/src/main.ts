#!/usr/bin/env node
import { CONFIG_EXIT_CODE, ConfigError } from '@berth/config';
import { readWorkerConfig, WORKER_HELP, type WorkerConfig } from './config';
import { startWorker } from './worker';

async function main(): Promise<void> {
  let config: WorkerConfig;
  try {
    const read = readWorkerConfig({ argv: process.argv.slice(2), env: process.env });
    if (read.help) {
      process.stdout.write(WORKER_HELP);
      return;
    }
    config = read.config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth-worker: ${err.message}\n`);
      process.exit(CONFIG_EXIT_CODE);
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
