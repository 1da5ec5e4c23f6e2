#!/usr/bin/env node
import { ConfigError, loadConfig } from './config/app-config';
import { createLogger, startApiServer } from './server';

const HELP = `berth-api — Berth's API server (Kubernetes-shaped REST + watch over PostgreSQL)

Usage: node apps/api/dist/main.js [--help]

Environment:
  DATABASE_URL                 PostgreSQL URL (default postgresql://postgres@127.0.0.1:5432/berth)
  PORT                         HTTPS port (default 6443)
  BERTH_HOST                   HTTPS bind address (default 0.0.0.0)
  BERTH_HTTP_PORT              also serve plain HTTP on 127.0.0.1:<port> (off by default)
  BERTH_DATA_DIR               CA, certificates, admin token, kubeconfigs (default ./.data)
  REDIS_URL                    Redis for the login limiter (default redis://127.0.0.1:6379)
  BERTH_QUEUE_PREFIX           Redis key prefix, shared with the workers (default berth)
  BERTH_ADMIN_TOKEN            static cluster-admin bearer token, for bootstrap and break-glass
                               (default: generated into the data dir)
  BERTH_JWT_SECRET             HMAC secret of session JWTs; set the same on every replica
                               (default: generated into the data dir)
  BERTH_SESSION_TTL_SECONDS    lifetime of a login session (default 3600)
  BERTH_TOKEN_TTL_SECONDS      lifetime of an API token created without one (default 7776000)
  BERTH_BCRYPT_COST            bcrypt cost for passwords (default 10)
  BERTH_LOGIN_MAX_FAILURES     failed logins per user and address before 429 (default 10)
  BERTH_LOGIN_WINDOW_SECONDS   window (and lock-out) of that count (default 900)
  BERTH_MAX_BODY_BYTES         largest request body (default 3145728)
  BERTH_CHANGELOG_RETENTION    revisions kept for watches (default 100000)
  BERTH_COMPACTION_INTERVAL_MS change-log compaction interval (default 60000)
  BERTH_MAX_WATCH_SECONDS      longest watch (default 1800)
  BERTH_BOOKMARK_INTERVAL_MS   BOOKMARK interval for watches that allow them (default 60000)
  BERTH_TLS_SANS               extra certificate names, comma-separated
  BERTH_SERVICE_CIDR           IPv4 range of Services' cluster IPs (default 127.96.0.0/12)
  BERTH_SERVICE_NODE_PORT_RANGE  node ports of NodePort Services (default 30000-32767)
  BERTH_SERVICE_MAX_PORTS      most ports one Service may have (default 100)
  BERTH_LOG_LEVEL              error|warn|log|debug|verbose (default log)
  BERTH_LOG_FORMAT             json|text (default json)
`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth-api: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config);
  const server = await startApiServer(config);
  logger.log(
    `API server listening on ${server.url}${server.httpUrl ? ` and ${server.httpUrl}` : ''}`,
    'Main',
  );
  logger.log(`admin kubeconfig: ${server.kubeconfigPath}`, 'Main');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: shutting down`, 'Main');
    server.close().then(
      () => process.exit(0),
      (err) => {
        logger.error(`shutdown failed: ${(err as Error).message}`, 'Main');
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
