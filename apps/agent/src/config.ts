import os from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  helpText,
  loadOptions,
  logOptions,
  parsedBy,
  value,
  type LogFormat,
  type LogLevel,
  type Option,
} from '@berth/config';
import { DEFAULT_POD_UID_RANGE, parseUidRange } from '@berth/runtime';

export type RuntimeName = 'process' | 'simulated' | 'docker';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** The agent's configuration, read and validated once at start-up (flags over environment). */
export interface AgentConfig {
  /** The API server, e.g. https://127.0.0.1:6443 (or the plain-HTTP loopback address). */
  apiUrl: string;
  /** PEM CA bundle that signed the API server's certificate (`<api dataDir>/pki/ca.crt`). */
  caFile?: string;
  /** Traded for a node credential at registration (and again when that is rejected). */
  bootstrapToken?: string;
  /** This node's name; in hollow mode the prefix of `<prefix>-0…N-1`. */
  nodeName: string;
  labels: Record<string, string>;
  /** Registered with the Node when the agent creates it (kubelet's --register-with-taints). */
  taints: Taint[];
  capacity: { cpu: string; memory: string; pods: string };
  /** The address reported as the node's InternalIP and the pods' hostIP. */
  nodeIP: string;
  /**
   * Where the agent serves the API server's log requests (kubelet's --port), on `nodeIP`;
   * 0 picks a free port. Reported in the Node's status.daemonEndpoints.
   */
  kubeletPort: number;
  runtime: RuntimeName;
  /** Credentials and runtime state, per node in `<dataDir>/nodes/<node>/`. */
  dataDir: string;
  heartbeatIntervalMs: number;
  /**
   * How often the files of running pods' configMap/secret/downwardAPI/projected volumes
   * are compared with their sources and rewritten when they changed (kubelet: ~1 min).
   */
  volumeRefreshMs: number;
  /** How often the Node's status is re-posted when nothing changed (kubelet: 5 min). */
  nodeStatusReportMs: number;
  /** Hollow mode: this many simulated nodes in one process (0: one real node). */
  simulatedNodes: number;
  /** Simulated runtime: container start delay and failure/restart rates. */
  simulated: { startDelayMs: number; failureRate: number; restartRate: number };
  logLevel: LogLevel;
  logFormat: LogFormat;
  /**
   * Run the node proxy (kube-proxy): serve Services' cluster IPs and node ports. One per
   * process; default on for one node, off in hollow mode.
   */
  proxy: boolean;
  /**
   * The proxy's listener budget: cluster IP ports and node ports served at most (whole
   * Services, oldest first); at most a quarter of the open-file limit.
   */
  proxyMaxListeners: number;
  /** Proxied connections open at once, at most; at most an eighth of the open-file limit. */
  proxyMaxConnections: number;
  /** Serve /metrics (Prometheus) and /healthz on 127.0.0.1:<port>; undefined: off. */
  metricsPort?: number;
  /**
   * Process runtime as root: the uids (and gids) pods run as, one per pod (setpriv, no
   * capabilities, no_new_privs).
   */
  podUidRange: [number, number];
  /**
   * Where the process runtime keeps pods' working and log directories (`<podsDir>/<node>/`).
   * Unset: `<dataDir>/nodes/<node>/pods`, or `/var/lib/berth/pods` as root (pods must
   * reach their own directory, and the data directory is 0700).
   */
  podsDir?: string;
}

const RUNTIMES = ['process', 'simulated', 'docker'] as const;

/** Everything the agent reads from its flags and environment (see --help). */
export const AGENT_OPTIONS = {
  apiUrl: {
    env: 'BERTH_API_URL',
    arg: 'URL',
    help: 'API server (default https://127.0.0.1:6443)',
    schema: value
      .url(/^https?:\/\/[^/]+/, 'an http(s) URL', 'https://127.0.0.1:6443')
      .transform((url) => url.replace(/\/+$/, '')),
  },
  caFile: {
    env: 'BERTH_CA_FILE',
    arg: 'FILE',
    help: "CA of the API's certificate (<api data dir>/pki/ca.crt)",
    schema: value.optionalString(),
  },
  bootstrapToken: {
    env: 'BERTH_BOOTSTRAP_TOKEN',
    arg: 'TOKEN',
    help: 'traded for a node credential (POST /auth/bootstrap-tokens);\nprefer the variable: every process (pods too) reads command lines',
    schema: value.optionalString(),
  },
  nodeName: {
    env: 'BERTH_NODE_NAME',
    arg: 'NAME',
    help: 'node name (default: the host name)',
    schema: value.string(() => os.hostname()).transform((name) => name.toLowerCase()),
  },
  labels: {
    env: 'BERTH_NODE_LABELS',
    flag: 'labels',
    arg: 'k=v,k2=v2',
    help: 'extra node labels',
    schema: parsedBy(parseLabels).default({}),
  },
  taints: {
    env: 'BERTH_NODE_TAINTS',
    flag: 'taints',
    arg: 'k=v:Effect,...',
    help: 'taints registered with a new Node',
    schema: parsedBy(parseTaints).default([]),
  },
  cpu: {
    env: 'BERTH_NODE_CPU',
    flag: 'cpu',
    arg: 'N',
    help: "capacity (default: the host's CPU count)",
    schema: value.string(() => String(os.availableParallelism?.() ?? os.cpus().length)),
  },
  memory: {
    env: 'BERTH_NODE_MEMORY',
    flag: 'memory',
    arg: 'Q',
    help: "capacity (default: the host's memory)",
    schema: value.string(() => `${Math.floor(os.totalmem() / 1024)}Ki`),
  },
  pods: {
    env: 'BERTH_NODE_PODS',
    flag: 'pods',
    arg: 'N',
    help: 'capacity (default 110)',
    schema: value.int(110, 1),
  },
  nodeIP: {
    env: 'BERTH_NODE_IP',
    arg: 'IP',
    help: "InternalIP and pods' hostIP (default: first non-loopback IPv4)",
    schema: value.string(() => defaultNodeIP()),
  },
  kubeletPort: {
    env: 'BERTH_KUBELET_PORT',
    arg: 'N',
    help: 'where the API reaches this agent for logs (default 10250; 0: any free port)',
    schema: value.int(10_250),
  },
  runtime: {
    env: 'BERTH_RUNTIME',
    arg: 'NAME',
    help: `${RUNTIMES.join(' | ')} (default: process)`,
    schema: value.oneOf(RUNTIMES).optional(),
  },
  dataDir: {
    env: 'BERTH_AGENT_DATA_DIR',
    flag: 'data-dir',
    arg: 'DIR',
    help: 'node credentials and runtime state (default ./.data/agent)',
    schema: value.string(path.join('.data', 'agent')).transform((dir) => path.resolve(dir)),
  },
  heartbeatIntervalMs: {
    env: 'BERTH_HEARTBEAT_INTERVAL_MS',
    flag: 'heartbeat-interval',
    arg: 'MS',
    help: 'Lease renewal period (default 10000)',
    schema: value.int(10_000, 10),
  },
  volumeRefreshMs: {
    env: 'BERTH_VOLUME_REFRESH_MS',
    flag: 'volume-refresh',
    arg: 'MS',
    help: 'refresh configMap/secret/downwardAPI volume files of running pods (default 60000)',
    schema: value.int(60_000, 100),
  },
  nodeStatusReportMs: {
    env: 'BERTH_NODE_STATUS_REPORT_MS',
    flag: 'node-status-report',
    arg: 'MS',
    help: 're-post an unchanged node status (default 300000)',
    schema: value.int(300_000, 100),
  },
  simulatedNodes: {
    env: 'BERTH_SIMULATED_NODES',
    arg: 'N',
    help: 'hollow mode: N simulated nodes <node-name>-0…N-1',
    schema: value.int(0),
  },
  simStartDelayMs: {
    env: 'BERTH_SIM_START_DELAY_MS',
    flag: 'sim-start-delay',
    arg: 'MS',
    help: 'simulated container start delay (default 100)',
    schema: value.int(100),
  },
  simFailureRate: {
    env: 'BERTH_SIM_FAILURE_RATE',
    arg: 'P',
    help: 'probability a simulated container fails (default 0)',
    schema: value.probability(),
  },
  simRestartRate: {
    env: 'BERTH_SIM_RESTART_RATE',
    arg: 'P',
    help: 'probability it exits 0 and restarts (default 0)',
    schema: value.probability(),
  },
  ...logOptions,
  proxy: {
    env: 'BERTH_PROXY',
    negative: 'no-proxy',
    help: 'the service proxy, true|false (default: on, off in hollow mode)',
    schema: value.boolean().optional(),
  },
  proxyMaxListeners: {
    env: 'BERTH_PROXY_MAX_LISTENERS',
    arg: 'N',
    help: 'Service ports the proxy listens on at most (default 2048)',
    schema: value.int(2048, 1),
  },
  proxyMaxConnections: {
    env: 'BERTH_PROXY_MAX_CONNECTIONS',
    arg: 'N',
    help: 'proxied connections open at once (default 1024)',
    schema: value.int(1024, 1),
  },
  metricsPort: {
    env: 'BERTH_AGENT_METRICS_PORT',
    arg: 'PORT',
    help: 'serve /metrics and /healthz on 127.0.0.1:<port>; 0: any free port (off by default)',
    schema: value.optionalInt(0),
  },
  podUidRange: {
    env: 'BERTH_POD_UID_RANGE',
    arg: 'A-B',
    help: [
      'process runtime as root: each pod runs as a uid/gid of',
      'its own from A-B (default 200000-265535; or its',
      'securityContext.runAsUser), via setpriv (util-linux),',
      'without capabilities, with no_new_privs',
    ].join('\n'),
    schema: parsedBy(parseUidRange).default(DEFAULT_POD_UID_RANGE),
  },
  podsDir: {
    env: 'BERTH_PODS_DIR',
    arg: 'DIR',
    help: [
      "pods' working and log directories, <DIR>/<node>/<pod uid>",
      '(default <data-dir>/nodes/<node>/pods; as root',
      '/var/lib/berth/pods: it must not be under a 0700 directory)',
    ].join('\n'),
    schema: value.optionalString().transform((dir) => (dir ? path.resolve(dir) : undefined)),
  },
} satisfies Record<string, Option>;

export const AGENT_HELP = helpText(AGENT_OPTIONS, {
  intro: `berth-agent — Berth's node agent (kubelet): registers a node, heartbeats, runs the
pods bound to it through a container runtime and reports their status.`,
  usage: 'node apps/agent/dist/main.js [options]',
  outro: `The data directory is kept 0700 and its files 0600. As a non-root user the agent cannot
switch users: pods run as the agent's user and can read what it can (see the README,
"Isolation of the process runtime").

Logs are JSON lines on stdout (BERTH_LOG_FORMAT=text for a person). SIGTERM/SIGINT: stops
within 10 s; pods keep running and are re-adopted by the next start.`,
});
export function parseLabels(raw: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of (raw ?? '').split(',').map((s) => s.trim())) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError(`label "${part}" must be key=value`);
    labels[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return labels;
}

export function parseTaints(raw: string | undefined): Taint[] {
  const taints: Taint[] = [];
  for (const part of (raw ?? '').split(',').map((s) => s.trim())) {
    if (!part) continue;
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(part);
    if (!m)
      throw new ConfigError(
        `taint "${part}" must be key[=value]:NoSchedule|PreferNoSchedule|NoExecute`,
      );
    taints.push({
      key: m[1],
      ...(m[2] !== undefined ? { value: m[2] } : {}),
      effect: m[3] as Taint['effect'],
    });
  }
  return taints;
}

/** The first non-internal IPv4 address of the host, else loopback. */
export function defaultNodeIP(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * Reads the configuration (flags over the environment), or that --help was asked.
 * Throws ConfigError.
 */
export function readAgentConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  processRuntimeAvailable: boolean,
): { help: true } | { help: false; config: AgentConfig } {
  const read = loadOptions(AGENT_OPTIONS, { argv, env });
  if (read.help) return read;
  const v = read.values;
  const runtime: RuntimeName = v.runtime ?? (processRuntimeAvailable ? 'process' : 'simulated');
  if (runtime === 'process' && !processRuntimeAvailable)
    throw new ConfigError('the process runtime is not part of this build; use --runtime simulated');
  if (v.simulatedNodes > 0 && runtime !== 'simulated' && v.runtime)
    throw new ConfigError('--simulated-nodes runs the simulated runtime; drop --runtime process');
  return {
    help: false,
    config: {
      apiUrl: v.apiUrl,
      caFile: v.caFile,
      bootstrapToken: v.bootstrapToken,
      nodeName: v.nodeName,
      labels: v.labels,
      taints: v.taints,
      capacity: { cpu: v.cpu, memory: v.memory, pods: String(v.pods) },
      nodeIP: v.nodeIP,
      kubeletPort: v.kubeletPort,
      runtime: v.simulatedNodes > 0 ? 'simulated' : runtime,
      dataDir: v.dataDir,
      heartbeatIntervalMs: v.heartbeatIntervalMs,
      volumeRefreshMs: v.volumeRefreshMs,
      nodeStatusReportMs: v.nodeStatusReportMs,
      simulatedNodes: v.simulatedNodes,
      simulated: {
        startDelayMs: v.simStartDelayMs,
        failureRate: v.simFailureRate,
        restartRate: v.simRestartRate,
      },
      logLevel: v.logLevel,
      logFormat: v.logFormat,
      proxy: v.proxy ?? v.simulatedNodes === 0,
      proxyMaxListeners: v.proxyMaxListeners,
      proxyMaxConnections: v.proxyMaxConnections,
      ...(v.metricsPort !== undefined ? { metricsPort: v.metricsPort } : {}),
      podUidRange: v.podUidRange,
      ...(v.podsDir ? { podsDir: v.podsDir } : {}),
    },
  };
}

export function loadAgentConfig(
  argv: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  processRuntimeAvailable = false,
): AgentConfig {
  const read = readAgentConfig(argv, env, processRuntimeAvailable);
  if (read.help) throw new ConfigError('--help is not a setting');
  return read.config;
}
