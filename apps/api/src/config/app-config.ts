import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_MAX_SERVICE_PORTS,
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  PortRange,
  ServiceIPRange,
} from '@berth/core';

/** Everything the API server reads from its environment, validated once at start-up. */
export interface AppConfig {
  databaseUrl: string;
  redisUrl: string;
  /** Redis key prefix (shared with the workers' BERTH_QUEUE_PREFIX): several clusters or test runs can share one Redis. */
  redisPrefix: string;
  /** HTTPS port (kubectl sends bearer tokens only over TLS). 0 picks a free port. */
  port: number;
  /** Address to bind HTTPS to. */
  host: string;
  /** Optional plain-HTTP port on loopback for local tools; undefined disables it. */
  httpPort?: number;
  /** Where the CA, serving certificate and generated kubeconfigs are kept. */
  dataDir: string;
  /**
   * A static cluster-admin bearer token (like kube-apiserver's token file): for bootstrap,
   * tests and break-glass access. Empty: one is generated into the data directory.
   */
  adminToken: string;
  /** HMAC secret for dashboard session JWTs; empty: generated into the data directory. */
  jwtSecret: string;
  /** Lifetime of a session JWT from `POST /auth/login`, in seconds. */
  sessionTtlSeconds: number;
  /** bcrypt cost factor for passwords. */
  bcryptCost: number;
  /** Failed logins allowed per user and client address in `loginWindowSeconds` before 429. */
  loginMaxFailures: number;
  loginWindowSeconds: number;
  /** Lifetime of an API token when its creator gives none, in seconds. */
  tokenDefaultTtlSeconds: number;
  /** Largest request body accepted, in bytes (413 above). */
  maxBodyBytes: number;
  /** Revisions the change log keeps for watches (older ones answer 410 Expired). */
  changeLogRetention: number;
  /** How often the change log is compacted, in ms. */
  compactionIntervalMs: number;
  /** Longest a watch stays open when the client asks for no timeout, in seconds. */
  maxWatchSeconds: number;
  /** Interval between BOOKMARK events for watches that allow them, in ms. */
  bookmarkIntervalMs: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** JSON log lines (default) or human-readable ones. */
  logFormat: 'json' | 'text';
  /** Extra names/IPs for the serving certificate. */
  extraSans: string[];
  /**
   * IPv4 CIDR Services' cluster IPs come from. The default is on loopback (127.96.0.0/12):
   * node proxies listen there on any Linux host without network set-up.
   */
  serviceCIDR: string;
  /** Node ports of NodePort Services, inclusive (default 30000-32767). */
  nodePortRange: string;
  /** The most ports one Service may have (BERTH_SERVICE_MAX_PORTS, default 100). */
  serviceMaxPorts: number;
}

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  }
  return value;
}

/** Reads and validates the configuration. Defaults make `npm start` work on a laptop. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const logLevel = (env.BERTH_LOG_LEVEL ?? 'log') as AppConfig['logLevel'];
  if (!['error', 'warn', 'log', 'debug', 'verbose'].includes(logLevel)) {
    throw new ConfigError(
      `BERTH_LOG_LEVEL must be one of error, warn, log, debug, verbose; got "${logLevel}"`,
    );
  }
  const logFormat = (env.BERTH_LOG_FORMAT ?? 'json') as AppConfig['logFormat'];
  if (!['json', 'text'].includes(logFormat)) {
    throw new ConfigError(`BERTH_LOG_FORMAT must be json or text; got "${logFormat}"`);
  }
  const databaseUrl = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/berth';
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must be a postgresql:// URL; got "${databaseUrl}"`);
  }
  const httpPortRaw = env.BERTH_HTTP_PORT;
  const serviceCIDR = env.BERTH_SERVICE_CIDR || DEFAULT_SERVICE_CIDR;
  const nodePortRange = env.BERTH_SERVICE_NODE_PORT_RANGE || DEFAULT_NODE_PORT_RANGE;
  try {
    ServiceIPRange.parse(serviceCIDR);
  } catch (err) {
    throw new ConfigError(`BERTH_SERVICE_CIDR: ${(err as Error).message}`);
  }
  try {
    PortRange.parse(nodePortRange);
  } catch (err) {
    throw new ConfigError(`BERTH_SERVICE_NODE_PORT_RANGE: ${(err as Error).message}`);
  }
  return {
    databaseUrl,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisPrefix: env.BERTH_QUEUE_PREFIX ?? 'berth',
    port: int(env, 'PORT', 6443),
    host: env.BERTH_HOST ?? '0.0.0.0',
    httpPort:
      httpPortRaw === undefined || httpPortRaw === '' ? undefined : int(env, 'BERTH_HTTP_PORT', 0),
    dataDir: path.resolve(env.BERTH_DATA_DIR ?? path.join(process.cwd(), '.data')),
    adminToken: env.BERTH_ADMIN_TOKEN ?? '',
    jwtSecret: env.BERTH_JWT_SECRET ?? '',
    sessionTtlSeconds: int(env, 'BERTH_SESSION_TTL_SECONDS', 3600, 60),
    bcryptCost: int(env, 'BERTH_BCRYPT_COST', 10, 4),
    loginMaxFailures: int(env, 'BERTH_LOGIN_MAX_FAILURES', 10, 1),
    loginWindowSeconds: int(env, 'BERTH_LOGIN_WINDOW_SECONDS', 900, 1),
    tokenDefaultTtlSeconds: int(env, 'BERTH_TOKEN_TTL_SECONDS', 90 * 24 * 3600, 60),
    maxBodyBytes: int(env, 'BERTH_MAX_BODY_BYTES', 3 * 1024 * 1024, 1024),
    changeLogRetention: int(env, 'BERTH_CHANGELOG_RETENTION', 100_000, 1),
    compactionIntervalMs: int(env, 'BERTH_COMPACTION_INTERVAL_MS', 60_000, 100),
    maxWatchSeconds: int(env, 'BERTH_MAX_WATCH_SECONDS', 1800, 1),
    bookmarkIntervalMs: int(env, 'BERTH_BOOKMARK_INTERVAL_MS', 60_000, 100),
    logLevel,
    logFormat,
    extraSans: (env.BERTH_TLS_SANS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    serviceCIDR,
    nodePortRange,
    serviceMaxPorts: int(env, 'BERTH_SERVICE_MAX_PORTS', DEFAULT_MAX_SERVICE_PORTS, 1),
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export function hostName(): string {
  return os.hostname();
}
