import os from 'node:os';
import path from 'node:path';
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
  /** How often the Node's status is re-posted when nothing changed (kubelet: 5 min). */
  nodeStatusReportMs: number;
  /** Hollow mode: this many simulated nodes in one process (0: one real node). */
  simulatedNodes: number;
  /** Simulated runtime: container start delay and failure/restart rates. */
  simulated: { startDelayMs: number; failureRate: number; restartRate: number };
  logLevel: 'error' | 'warn' | 'info' | 'debug';
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

export class AgentConfigError extends Error {}

export const HELP = `berth-agent — Berth's node agent (kubelet): registers a node, heartbeats, runs the
pods bound to it through a container runtime and reports their status.

Usage: node apps/agent/dist/main.js [options]

Options (flags win over the environment):
  --api-url URL              BERTH_API_URL            API server (default https://127.0.0.1:6443)
  --ca-file FILE             BERTH_CA_FILE            CA of the API's certificate (<api data dir>/pki/ca.crt)
  --bootstrap-token TOKEN    BERTH_BOOTSTRAP_TOKEN    traded for a node credential (POST /auth/bootstrap-tokens);
                                                      prefer the variable: every process (pods too) reads command lines
  --node-name NAME           BERTH_NODE_NAME          node name (default: the host name)
  --labels k=v,k2=v2         BERTH_NODE_LABELS        extra node labels
  --taints k=v:Effect,...    BERTH_NODE_TAINTS        taints registered with a new Node
  --cpu N                    BERTH_NODE_CPU           capacity (default: the host's CPU count)
  --memory Q                 BERTH_NODE_MEMORY        capacity (default: the host's memory)
  --pods N                   BERTH_NODE_PODS          capacity (default 110)
  --node-ip IP               BERTH_NODE_IP            InternalIP and pods' hostIP (default: first non-loopback IPv4)
  --kubelet-port N           BERTH_KUBELET_PORT       where the API reaches this agent for logs (default 10250; 0: any free port)
  --runtime NAME             BERTH_RUNTIME            process | simulated | docker (default: process)
  --data-dir DIR             BERTH_AGENT_DATA_DIR     node credentials and runtime state (default ./.data/agent)
  --heartbeat-interval MS    BERTH_HEARTBEAT_INTERVAL_MS  Lease renewal period (default 10000)
  --node-status-report MS    BERTH_NODE_STATUS_REPORT_MS  re-post an unchanged node status (default 300000)
  --simulated-nodes N        BERTH_SIMULATED_NODES    hollow mode: N simulated nodes <node-name>-0…N-1
  --sim-start-delay MS       BERTH_SIM_START_DELAY_MS simulated container start delay (default 100)
  --sim-failure-rate P       BERTH_SIM_FAILURE_RATE   probability a simulated container fails (default 0)
  --sim-restart-rate P       BERTH_SIM_RESTART_RATE   probability it exits 0 and restarts (default 0)
  --log-level LEVEL          BERTH_LOG_LEVEL          error|warn|info|debug (default info)
  --proxy, --no-proxy        BERTH_PROXY=true|false   the service proxy (default: on, off in hollow mode)
  --proxy-max-listeners N    BERTH_PROXY_MAX_LISTENERS    Service ports the proxy listens on at most (default 2048)
  --proxy-max-connections N  BERTH_PROXY_MAX_CONNECTIONS  proxied connections open at once (default 1024)
  --pod-uid-range A-B        BERTH_POD_UID_RANGE      process runtime as root: each pod runs as a uid/gid of
                                                      its own from A-B (default 200000-265535; or its
                                                      securityContext.runAsUser), via setpriv (util-linux),
                                                      without capabilities, with no_new_privs
  --pods-dir DIR             BERTH_PODS_DIR           pods' working and log directories, <DIR>/<node>/<pod uid>
                                                      (default <data-dir>/nodes/<node>/pods; as root
                                                      /var/lib/berth/pods: it must not be under a 0700 directory)
  -h, --help                 this text

The data directory is kept 0700 and its files 0600. As a non-root user the agent cannot
switch users: pods run as the agent's user and can read what it can (see the README,
"Isolation of the process runtime").

Logs are JSON lines on stdout. SIGTERM/SIGINT: stops within 10 s; pods keep running and are
re-adopted by the next start.
`;

const FLAGS: Record<string, string> = {
  'api-url': 'BERTH_API_URL',
  'ca-file': 'BERTH_CA_FILE',
  'bootstrap-token': 'BERTH_BOOTSTRAP_TOKEN',
  'node-name': 'BERTH_NODE_NAME',
  labels: 'BERTH_NODE_LABELS',
  taints: 'BERTH_NODE_TAINTS',
  cpu: 'BERTH_NODE_CPU',
  memory: 'BERTH_NODE_MEMORY',
  pods: 'BERTH_NODE_PODS',
  'node-ip': 'BERTH_NODE_IP',
  'kubelet-port': 'BERTH_KUBELET_PORT',
  runtime: 'BERTH_RUNTIME',
  'data-dir': 'BERTH_AGENT_DATA_DIR',
  'heartbeat-interval': 'BERTH_HEARTBEAT_INTERVAL_MS',
  'node-status-report': 'BERTH_NODE_STATUS_REPORT_MS',
  'simulated-nodes': 'BERTH_SIMULATED_NODES',
  'sim-start-delay': 'BERTH_SIM_START_DELAY_MS',
  'sim-failure-rate': 'BERTH_SIM_FAILURE_RATE',
  'sim-restart-rate': 'BERTH_SIM_RESTART_RATE',
  'log-level': 'BERTH_LOG_LEVEL',
  proxy: 'BERTH_PROXY',
  'proxy-max-listeners': 'BERTH_PROXY_MAX_LISTENERS',
  'proxy-max-connections': 'BERTH_PROXY_MAX_CONNECTIONS',
  'pod-uid-range': 'BERTH_POD_UID_RANGE',
  'pods-dir': 'BERTH_PODS_DIR',
};

/** Flags without a value: `--proxy`, `--no-proxy`. */
const SWITCHES: Record<string, [string, string]> = {
  proxy: ['BERTH_PROXY', 'true'],
  'no-proxy': ['BERTH_PROXY', 'false'],
};

/** Flags (`--name value` or `--name=value`) folded over the environment, by variable name. */
export function mergeArgs(argv: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new AgentConfigError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (eq < 0 && SWITCHES[name]) {
      out[SWITCHES[name][0]] = SWITCHES[name][1];
      continue;
    }
    const variable = FLAGS[name];
    if (!variable) throw new AgentConfigError(`unknown option --${name} (see --help)`);
    let value: string | undefined = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new AgentConfigError(`--${name} needs a value`);
    value = value.trim();
    out[variable] = value;
  }
  return out;
}

function int(vars: Record<string, string>, name: string, fallback: number, min = 0): number {
  const raw = vars[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new AgentConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

function bool(vars: Record<string, string>, name: string, fallback: boolean): boolean {
  const raw = (vars[name] ?? '').toLowerCase();
  if (raw === '') return fallback;
  if (['true', '1', 'on', 'yes'].includes(raw)) return true;
  if (['false', '0', 'off', 'no'].includes(raw)) return false;
  throw new AgentConfigError(`${name} must be true or false, got "${vars[name]}"`);
}

function rate(vars: Record<string, string>, name: string): number {
  const raw = vars[name];
  if (raw === undefined || raw === '') return 0;
  const value = Number(raw);
  if (!(value >= 0 && value <= 1))
    throw new AgentConfigError(`${name} must be a probability between 0 and 1, got "${raw}"`);
  return value;
}

function uidRange(raw: string | undefined): [number, number] {
  if (!raw) return DEFAULT_POD_UID_RANGE;
  try {
    return parseUidRange(raw);
  } catch (e) {
    throw new AgentConfigError(`BERTH_POD_UID_RANGE: ${(e as Error).message}`);
  }
}

export function parseLabels(raw: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of (raw ?? '').split(',').map((s) => s.trim())) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new AgentConfigError(`label "${part}" must be key=value`);
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
      throw new AgentConfigError(
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

export function loadAgentConfig(
  argv: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  processRuntimeAvailable = false,
): AgentConfig {
  const v = mergeArgs(argv, env);
  const logLevel = (v.BERTH_LOG_LEVEL || 'info') as AgentConfig['logLevel'];
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel))
    throw new AgentConfigError(
      `BERTH_LOG_LEVEL must be error, warn, info or debug; got "${logLevel}"`,
    );
  const runtime = (v.BERTH_RUNTIME ||
    (processRuntimeAvailable ? 'process' : 'simulated')) as RuntimeName;
  if (runtime !== 'process' && runtime !== 'simulated' && runtime !== 'docker')
    throw new AgentConfigError(
      `BERTH_RUNTIME must be process, simulated or docker; got "${runtime}"`,
    );
  if (runtime === 'process' && !processRuntimeAvailable)
    throw new AgentConfigError(
      'the process runtime is not part of this build; use --runtime simulated',
    );
  const simulatedNodes = int(v, 'BERTH_SIMULATED_NODES', 0);
  if (simulatedNodes > 0 && runtime !== 'simulated' && v.BERTH_RUNTIME)
    throw new AgentConfigError(
      '--simulated-nodes runs the simulated runtime; drop --runtime process',
    );
  const apiUrl = (v.BERTH_API_URL || 'https://127.0.0.1:6443').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(apiUrl))
    throw new AgentConfigError(`BERTH_API_URL must be an http(s) URL; got "${apiUrl}"`);
  const nodeName = (v.BERTH_NODE_NAME || os.hostname()).toLowerCase();
  const cpu = v.BERTH_NODE_CPU || String(os.availableParallelism?.() ?? os.cpus().length);
  const memory = v.BERTH_NODE_MEMORY || `${Math.floor(os.totalmem() / 1024)}Ki`;
  return {
    apiUrl,
    caFile: v.BERTH_CA_FILE || undefined,
    bootstrapToken: v.BERTH_BOOTSTRAP_TOKEN || undefined,
    nodeName,
    labels: parseLabels(v.BERTH_NODE_LABELS),
    taints: parseTaints(v.BERTH_NODE_TAINTS),
    capacity: { cpu, memory, pods: String(int(v, 'BERTH_NODE_PODS', 110, 1)) },
    nodeIP: v.BERTH_NODE_IP || defaultNodeIP(),
    kubeletPort: int(v, 'BERTH_KUBELET_PORT', 10_250),
    runtime: simulatedNodes > 0 ? 'simulated' : runtime,
    dataDir: path.resolve(v.BERTH_AGENT_DATA_DIR || path.join('.data', 'agent')),
    heartbeatIntervalMs: int(v, 'BERTH_HEARTBEAT_INTERVAL_MS', 10_000, 10),
    nodeStatusReportMs: int(v, 'BERTH_NODE_STATUS_REPORT_MS', 300_000, 100),
    simulatedNodes,
    simulated: {
      startDelayMs: int(v, 'BERTH_SIM_START_DELAY_MS', 100),
      failureRate: rate(v, 'BERTH_SIM_FAILURE_RATE'),
      restartRate: rate(v, 'BERTH_SIM_RESTART_RATE'),
    },
    logLevel,
    proxy: bool(v, 'BERTH_PROXY', simulatedNodes === 0),
    proxyMaxListeners: int(v, 'BERTH_PROXY_MAX_LISTENERS', 2048, 1),
    proxyMaxConnections: int(v, 'BERTH_PROXY_MAX_CONNECTIONS', 1024, 1),
    podUidRange: uidRange(v.BERTH_POD_UID_RANGE),
    ...(v.BERTH_PODS_DIR ? { podsDir: path.resolve(v.BERTH_PODS_DIR) } : {}),
  };
}
