/**
 * The agent process: one node (with the `process` or `simulated` runtime), or in hollow
 * mode N simulated nodes `<name>-0…N-1` sharing one connection pool, each with its own
 * credential, Lease, pod watch and runtime state under `<dataDir>/nodes/<node>/`.
 *
 * Three connection pools: one for the heartbeats (Lease renewals, Node status,
 * registration), one for the pod watches, status writes and log-server key, and one for
 * the service proxy (its watches and Events). Nothing the proxy or the pods do can queue a
 * heartbeat behind them, and the proxy's descriptors are budgeted (proxy/fd-budget.ts) so
 * that a heartbeat always finds one.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as runtimes from '@berth/runtime';
import type { Runtime } from '@berth/runtime';
import { ApiClient } from './api-client';
import type { AgentConfig } from './config';
import { agentLogger, type Logger } from './log';
import { LogServer } from './log-server';
import { AgentMetrics, serveMetrics } from './metrics';
import { NodeAgent } from './node-agent';
import { openFileLimit, proxyBudget } from './proxy/fd-budget';
import { ServiceProxy, tokenFromFile } from './proxy/service-proxy';

export interface RunningAgent {
  nodes: NodeAgent[];
  /** The runtime of each node, by node name. */
  runtimes: Map<string, Runtime>;
  /** Resolves once the log server listens; rejects when it cannot (e.g. its port is taken). */
  ready: Promise<void>;
  /** The node proxy, when it runs (`--proxy`). */
  proxy?: ServiceProxy;
  metrics: AgentMetrics;
  /** Where /metrics is served (--metrics-port), once it listens. */
  metricsUrl?: Promise<string>;
  /** Stops every node's loops and closes the runtimes; pods are left to be re-adopted. */
  stop(): Promise<void>;
}

interface ProcessRuntimeOptions {
  dataDir: string;
  nodeIP: string;
  log: Logger;
  podsDir?: string;
  podUsers?: { uidRange?: [number, number] };
}

/** A directory for the agent's eyes only (made so, too, when an older version left it open). */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

type ProcessRuntimeFactory = (opts: ProcessRuntimeOptions) => Runtime;

/**
 * The `process` runtime when this build has it (libs/runtime exports `createProcessRuntime`
 * or a `ProcessRuntime` class taking `{ dataDir, nodeIP, log }`), else undefined.
 */
export function processRuntimeFactory(): ProcessRuntimeFactory | undefined {
  const lib = runtimes as unknown as Record<string, unknown>;
  if (typeof lib.createProcessRuntime === 'function')
    return lib.createProcessRuntime as ProcessRuntimeFactory;
  if (typeof lib.ProcessRuntime === 'function') {
    const Ctor = lib.ProcessRuntime as new (opts: ProcessRuntimeOptions) => Runtime;
    return (opts) => new Ctor(opts);
  }
  return undefined;
}

export function nodeNames(config: AgentConfig): string[] {
  if (config.simulatedNodes <= 0) return [config.nodeName];
  return Array.from({ length: config.simulatedNodes }, (_, i) => `${config.nodeName}-${i}`);
}

export function startAgent(config: AgentConfig, log?: Logger): RunningAgent {
  const logger = log ?? agentLogger(config);
  const client = new ApiClient({ url: config.apiUrl, caFile: config.caFile });
  const heartbeats = new ApiClient({ url: config.apiUrl, caFile: config.caFile });
  const nodes: NodeAgent[] = [];
  const byNode = new Map<string, Runtime>();
  const logServer = new LogServer({
    host: config.nodeIP,
    port: config.kubeletPort,
    runtimes: byNode,
    client,
    log: logger,
  });
  const kubeletPort = logServer.listen();
  const metrics = new AgentMetrics();
  metrics.runtimes = byNode;
  const metricsServer =
    config.metricsPort !== undefined ? serveMetrics(metrics, config.metricsPort) : undefined;
  metricsServer?.catch((err: Error) =>
    logger.error('the metrics server cannot listen', {
      address: `127.0.0.1:${config.metricsPort}`,
      error: err.message,
    }),
  );
  kubeletPort.catch((err: Error) =>
    logger.error('the log server cannot listen', {
      address: `${config.nodeIP}:${config.kubeletPort}`,
      error: err.message,
    }),
  );
  if (config.runtime === 'docker')
    void runtimes.pingDocker().then((answers) => {
      if (!answers)
        logger.error(
          'no Docker engine answers (DOCKER_HOST or /var/run/docker.sock): pods bound to this node cannot start',
        );
    });
  // Node credentials and runtime state (pods' specs, env included): 0700, files 0600.
  privateDir(config.dataDir);
  privateDir(path.join(config.dataDir, 'nodes'));
  const root = process.getuid?.() === 0;
  if (config.runtime === 'process' && !root)
    logger.warn(
      'the agent is not root: pods run as its own user and can read what it can, its node credential and runtime state included (README: "Isolation of the process runtime")',
    );
  for (const name of nodeNames(config)) {
    const stateDir = path.join(config.dataDir, 'nodes', name);
    privateDir(stateDir);
    let runtime: Runtime;
    if (config.runtime === 'process') {
      const make = processRuntimeFactory();
      if (!make) throw new Error('the process runtime is not part of this build');
      const podsRoot = config.podsDir ?? (root ? '/var/lib/berth/pods' : undefined);
      runtime = make({
        dataDir: stateDir,
        nodeIP: config.nodeIP,
        log: logger.with({ node: name }),
        ...(podsRoot ? { podsDir: path.join(podsRoot, name) } : {}),
        // As root, every pod runs as a user of its own; otherwise as the agent's.
        ...(root ? { podUsers: { uidRange: config.podUidRange } } : {}),
      });
    } else if (config.runtime === 'docker') {
      // The Docker Engine at DOCKER_HOST or /var/run/docker.sock; published ports are
      // reached at the node address.
      runtime = runtimes.createDockerRuntime({
        nodeIP: config.nodeIP,
        // Bind-mounted by the Docker Engine: a path of the host the engine runs on.
        volumesDir: path.join(stateDir, 'docker-volumes'),
        log: logger.with({ node: name }),
      });
    } else {
      runtime = new runtimes.SimulatedRuntime({
        ...config.simulated,
        podIP: config.nodeIP,
        stateFile: path.join(stateDir, 'simulated-pods.json'),
      });
    }
    byNode.set(name, runtime);
    nodes.push(
      new NodeAgent({
        nodeName: name,
        labels:
          config.simulatedNodes > 0
            ? { 'berth.dev/hollow': 'true', ...config.labels }
            : config.labels,
        taints: config.taints,
        capacity: config.capacity,
        nodeIP: config.nodeIP,
        bootstrapToken: config.bootstrapToken,
        stateDir,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        volumeRefreshMs: config.volumeRefreshMs,
        nodeStatusReportMs: config.nodeStatusReportMs,
        kubeletPort,
        runtime,
        client,
        heartbeatClient: heartbeats,
        log: logger,
        metrics,
      }),
    );
  }
  for (const n of nodes) n.start();
  // The node proxy, with the (first) node's credential, its own connection pool, and
  // descriptors within the open-file limit.
  let proxyClient: ApiClient | undefined;
  let proxy: ServiceProxy | undefined;
  if (config.proxy) {
    const limit = openFileLimit();
    const budget = proxyBudget(
      { listeners: config.proxyMaxListeners, connections: config.proxyMaxConnections },
      limit.limit,
    );
    const fields = {
      maxListeners: budget.listeners,
      maxConnections: budget.connections,
      openFileLimit: limit.limit,
      openFileLimitFrom: limit.source,
    };
    if (budget.lowered)
      logger.warn('service proxy budget lowered to fit in half of the open-file limit', {
        ...fields,
        asked: { listeners: config.proxyMaxListeners, connections: config.proxyMaxConnections },
      });
    else logger.info('service proxy budget', fields);
    proxyClient = new ApiClient({ url: config.apiUrl, caFile: config.caFile, maxSockets: 4 });
    proxy = new ServiceProxy({
      client: proxyClient,
      token: tokenFromFile(path.join(config.dataDir, 'nodes', nodes[0].name, 'node-token')),
      nodeIP: config.nodeIP,
      nodeName: nodes[0].name,
      maxListeners: budget.listeners,
      maxConnections: budget.connections,
      log: logger,
    });
  }
  proxy?.start();
  if (proxy) metrics.proxyConnections = () => proxy!.stats().activeConnections;
  logger.info('agent started', {
    nodes: nodes.length,
    runtime: config.runtime,
    apiUrl: config.apiUrl,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
  });
  let stopping: Promise<void> | undefined;
  return {
    nodes,
    runtimes: byNode,
    ready: Promise.all([kubeletPort, metricsServer]).then(() => undefined),
    proxy,
    metrics,
    ...(metricsServer ? { metricsUrl: metricsServer.then((m) => m.url) } : {}),
    stop() {
      stopping ??= (async () => {
        await Promise.all([...nodes.map((n) => n.stop()), proxy?.stop()]);
        await Promise.all([...byNode.values()].map((r) => r.close()));
        await logServer.close();
        await metricsServer?.then(
          (m) => m.close(),
          () => undefined,
        );
        client.close();
        heartbeats.close();
        proxyClient?.close();
        logger.info('agent stopped');
      })();
      return stopping;
    },
  };
}
