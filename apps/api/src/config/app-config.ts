import os from 'node:os';
import path from 'node:path';
import {
  helpText,
  loadEnv,
  loadOptions,
  encryptionOptions,
  logOptions,
  parsedBy,
  storeOptions,
  value,
  type LogFormat,
  type LogLevel,
  type Option,
  type Source,
} from '@berth/config';
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
  /** Encryption keys at rest (BERTH_ENCRYPTION_KEY); empty: the key file in the data dir. */
  encryptionKey: string;
  /** Resources stored encrypted (default secrets). */
  encryptedResources: string[];
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
  logLevel: LogLevel;
  /** JSON log lines (default) or human-readable ones. */
  logFormat: LogFormat;
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
  /**
   * On SIGTERM, how long /readyz answers 503 while everything else is still served, so load
   * balancers stop sending new requests before the listener closes (kube-apiserver's
   * --shutdown-delay-duration), in ms.
   */
  shutdownDelayMs: number;
  /** After the delay, the longest wait for requests under way to finish, in ms. */
  shutdownTimeoutMs: number;
}

/** Everything the API server reads from its flags and environment (see --help). */
export const API_OPTIONS = {
  databaseUrl: storeOptions.databaseUrl,
  port: {
    env: 'PORT',
    arg: 'PORT',
    help: 'HTTPS port (default 6443; 0: any free port)',
    schema: value.int(6443),
  },
  host: {
    env: 'BERTH_HOST',
    arg: 'ADDRESS',
    help: 'HTTPS bind address (default 0.0.0.0)',
    schema: value.string('0.0.0.0'),
  },
  httpPort: {
    env: 'BERTH_HTTP_PORT',
    arg: 'PORT',
    help: 'also serve plain HTTP on 127.0.0.1:<port> (off by default)',
    schema: value.optionalInt(0),
  },
  dataDir: {
    env: 'BERTH_DATA_DIR',
    arg: 'DIR',
    help: 'CA, certificates, admin token, kubeconfigs (default ./.data)',
    schema: value.string(() => path.join(process.cwd(), '.data')).transform((d) => path.resolve(d)),
  },
  redisUrl: {
    ...storeOptions.redisUrl,
    help: 'Redis for the login limiter (default redis://127.0.0.1:6379)',
  },
  redisPrefix: storeOptions.queuePrefix,
  ...encryptionOptions,
  adminToken: {
    env: 'BERTH_ADMIN_TOKEN',
    flag: false,
    help: 'static cluster-admin bearer token, for bootstrap and break-glass\n(default: generated into the data dir)',
    schema: value.string(''),
  },
  jwtSecret: {
    env: 'BERTH_JWT_SECRET',
    flag: false,
    help: 'HMAC secret of session JWTs; set the same on every replica\n(default: generated into the data dir)',
    schema: value.string(''),
  },
  sessionTtlSeconds: {
    env: 'BERTH_SESSION_TTL_SECONDS',
    arg: 'S',
    help: 'lifetime of a login session (default 3600)',
    schema: value.int(3600, 60),
  },
  tokenDefaultTtlSeconds: {
    env: 'BERTH_TOKEN_TTL_SECONDS',
    arg: 'S',
    help: 'lifetime of an API token created without one (default 7776000)',
    schema: value.int(90 * 24 * 3600, 60),
  },
  bcryptCost: {
    env: 'BERTH_BCRYPT_COST',
    arg: 'N',
    help: 'bcrypt cost for passwords (default 10)',
    schema: value.int(10, 4),
  },
  loginMaxFailures: {
    env: 'BERTH_LOGIN_MAX_FAILURES',
    arg: 'N',
    help: 'failed logins per user and address before 429 (default 10)',
    schema: value.int(10, 1),
  },
  loginWindowSeconds: {
    env: 'BERTH_LOGIN_WINDOW_SECONDS',
    arg: 'S',
    help: 'window (and lock-out) of that count (default 900)',
    schema: value.int(900, 1),
  },
  maxBodyBytes: {
    env: 'BERTH_MAX_BODY_BYTES',
    arg: 'N',
    help: 'largest request body (default 3145728)',
    schema: value.int(3 * 1024 * 1024, 1024),
  },
  changeLogRetention: {
    env: 'BERTH_CHANGELOG_RETENTION',
    arg: 'N',
    help: 'revisions kept for watches (default 100000)',
    schema: value.int(100_000, 1),
  },
  compactionIntervalMs: {
    env: 'BERTH_COMPACTION_INTERVAL_MS',
    arg: 'MS',
    help: 'change-log compaction interval (default 60000)',
    schema: value.int(60_000, 100),
  },
  maxWatchSeconds: {
    env: 'BERTH_MAX_WATCH_SECONDS',
    arg: 'S',
    help: 'longest watch (default 1800)',
    schema: value.int(1800, 1),
  },
  bookmarkIntervalMs: {
    env: 'BERTH_BOOKMARK_INTERVAL_MS',
    arg: 'MS',
    help: 'BOOKMARK interval for watches that allow them (default 60000)',
    schema: value.int(60_000, 100),
  },
  extraSans: {
    env: 'BERTH_TLS_SANS',
    arg: 'NAMES',
    help: 'extra certificate names, comma-separated',
    schema: value.list(),
  },
  serviceCIDR: {
    env: 'BERTH_SERVICE_CIDR',
    arg: 'CIDR',
    help: `IPv4 range of Services' cluster IPs (default ${DEFAULT_SERVICE_CIDR})`,
    schema: parsedBy((raw) => (ServiceIPRange.parse(raw), raw)).default(DEFAULT_SERVICE_CIDR),
  },
  nodePortRange: {
    env: 'BERTH_SERVICE_NODE_PORT_RANGE',
    arg: 'A-B',
    help: `node ports of NodePort Services (default ${DEFAULT_NODE_PORT_RANGE})`,
    schema: parsedBy((raw) => (PortRange.parse(raw), raw)).default(DEFAULT_NODE_PORT_RANGE),
  },
  serviceMaxPorts: {
    env: 'BERTH_SERVICE_MAX_PORTS',
    arg: 'N',
    help: `most ports one Service may have (default ${DEFAULT_MAX_SERVICE_PORTS})`,
    schema: value.int(DEFAULT_MAX_SERVICE_PORTS, 1),
  },
  shutdownDelayMs: {
    env: 'BERTH_SHUTDOWN_DELAY_MS',
    arg: 'MS',
    help: 'on SIGTERM, how long /readyz is 503 while requests are still served (default 5000)',
    schema: value.int(5000, 0),
  },
  shutdownTimeoutMs: {
    env: 'BERTH_SHUTDOWN_TIMEOUT_MS',
    arg: 'MS',
    help: 'then, the longest wait for requests under way to finish (default 30000)',
    schema: value.int(30_000, 0),
  },
  ...logOptions,
} satisfies Record<string, Option>;

export const API_HELP = helpText(API_OPTIONS, {
  intro: "berth-api — Berth's API server (Kubernetes-shaped REST + watch over PostgreSQL)",
  usage: 'node apps/api/dist/main.js [options]',
});

/** Reads the configuration (flags over the environment), or that --help was asked. */
export function readConfig(
  source: Source = {},
): { help: true } | { help: false; config: AppConfig } {
  const read = loadOptions(API_OPTIONS, source);
  return read.help ? read : { help: false, config: read.values };
}

/** Reads and validates the configuration. Defaults make `npm start` work on a laptop. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return loadEnv(API_OPTIONS, env);
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export function hostName(): string {
  return os.hostname();
}
