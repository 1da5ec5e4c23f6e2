#!/usr/bin/env node
import { CONFIG_EXIT_CODE, ConfigError } from '@berth/config';
import { API_HELP, readConfig, type AppConfig } from './config/app-config';
import { apiLogger } from './config/nest-logger';
import { startApiServer } from './server';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    const read = readConfig({ argv: process.argv.slice(2), env: process.env });
    if (read.help) {
      process.stdout.write(API_HELP);
      return;
    }
    config = read.config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth-api: ${err.message}\n`);
      process.exit(CONFIG_EXIT_CODE);
    }
    throw err;
  }
  const logger = apiLogger(config).logger;
  const server = await startApiServer(config);
  logger.info('API server listening', { url: server.url, httpUrl: server.httpUrl });
  logger.info('admin kubeconfig written', { path: server.kubeconfigPath });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    server.close().then(
      () => process.exit(0),
      (err) => {
        logger.error('shutdown failed', { error: (err as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`berth-api: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
