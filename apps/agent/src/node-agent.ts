/**
 * One node's kubelet: registration (a node credential kept in the node's state directory),
 * the Node object and its status, Lease heartbeats, and the pods bound to the node (their
 * watch, convergence and status: {@link PodManager} in pod-manager.ts). When the API is
 * unreachable, pods keep running, every loop retries with back-off, and everything is
 * reported again once the API answers.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Runtime } from '@berth/runtime';
import { UnreachableError, type ApiClient, type ApiResponse } from './api-client';
import { ApiRefused, ok } from './api-refused';
import { Backoff } from './backoff';
import type { Taint } from './config';
import type { Logger } from './log';
import type { AgentMetrics } from './metrics';
import { seconds } from './pod-status';
import { PodManager } from './pod-manager';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const AGENT_VERSION = 'v1.31.0-berth.0.1.0';
const LEASE_DURATION_SECONDS = 40;

export interface NodeAgentOptions {
  nodeName: string;
  labels: Record<string, string>;
  taints: Taint[];
  capacity: { cpu: string; memory: string; pods: string };
  nodeIP: string;
  bootstrapToken?: string;
  /** The node's own directory: its credential (and the runtime's state). */
  stateDir: string;
  heartbeatIntervalMs: number;
  /** Refresh of running pods' configMap/secret/downwardAPI volume files. Default 60 s. */
  volumeRefreshMs?: number;
  nodeStatusReportMs: number;
  /** The port the agent's log server listens on (resolves once it listens). */
  kubeletPort?: Promise<number>;
  runtime: Runtime;
  client: ApiClient;
  /**
   * The connection pool of the heartbeats (registration, Node, Lease), kept apart from
   * the pod watches and the service proxy. Default: `client`.
   */
  heartbeatClient?: ApiClient;
  log: Logger;
  /** Server-side watch timeout (a new watch from the last version follows). Default 300 s. */
  watchTimeoutSeconds?: number;
  /** Periodic convergence and status check, repairing anything missed. Default 30 s. */
  resyncMs?: number;
  /** Where heartbeat latency and pod starts are counted. */
  metrics?: AgentMetrics;
}

interface NodeObject {
  metadata: { name: string; uid?: string; labels?: Record<string, string> };
  status?: {
    conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }>;
  };
}

export class NodeAgent {
  readonly name: string;
  private readonly log: Logger;
  private readonly runtime: Runtime;
  private readonly client: ApiClient;
  private readonly heartbeats: ApiClient;
  private readonly abort = new AbortController();
  private stopped = false;
  private token?: string;
  private registering?: Promise<string>;
  private nodeUid?: string;
  private unreachableSince?: number;
  private lastNodeStatusAt = 0;
  private kubeletPort = 0;
  private nodeStatusDue = true;

  private readonly pods: PodManager;

  private readonly loops: Promise<void>[] = [];
  private resyncTimer?: NodeJS.Timeout;

  constructor(private readonly opts: NodeAgentOptions) {
    this.name = opts.nodeName;
    this.log = opts.log.with({ node: opts.nodeName });
    this.runtime = opts.runtime;
    this.client = opts.client;
    this.heartbeats = opts.heartbeatClient ?? opts.client;
    const stopped = () => this.stopped;
    this.pods = new PodManager(opts, this.log, {
      get stopped() {
        return stopped();
      },
      signal: this.abort.signal,
      call: <T>(method: string, url: string, body?: unknown, contentType?: string) =>
        this.call<T>(method, url, body, contentType),
      credential: () => this.credential(),
      register: (rejected) => this.register(rejected),
      reachable: () => this.reachable(),
      failed: (what, err) => this.failed(what, err),
      sleep: (ms) => this.sleep(ms),
    });
  }

  /** Starts the loops; registration and everything else retry until they succeed. */
  start(): void {
    mkdirSync(this.opts.stateDir, { recursive: true, mode: 0o700 });
    // A credential written by an older version, or copied in by hand, is the agent's only.
    if (existsSync(this.tokenFile)) chmodSync(this.tokenFile, 0o600);
    this.runtime.onChange((uid) => this.pods.markDirty(uid));
    this.loops.push(this.run());
    const resync = () => {
      if (this.stopped) return;
      this.pods.requestConverge();
      for (const uid of this.pods.desired.keys()) this.pods.markDirty(uid);
      this.resyncTimer = setTimeout(resync, this.opts.resyncMs ?? 30_000);
    };
    this.resyncTimer = setTimeout(resync, this.opts.resyncMs ?? 30_000);
    this.loops.push(this.pods.volumeLoop(this.opts.volumeRefreshMs ?? 60_000));
  }

  /** Stops every loop (pods keep running in the runtime). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    await Promise.allSettled([...this.loops, this.pods.stop()]);
  }

  // ---- lifecycle -----------------------------------------------------------------------

  private async run(): Promise<void> {
    this.kubeletPort = (await this.opts.kubeletPort?.catch(() => 0)) ?? 0;
    await this.retry('register the node', () => this.ensureNode());
    if (this.stopped) return;
    this.log.info('node registered', { nodeIP: this.opts.nodeIP, runtime: this.runtime.name });
    await Promise.all([this.heartbeatLoop(), this.pods.podLoop()]);
  }

  private async retry(what: string, step: () => Promise<void>): Promise<void> {
    const backoff = new Backoff();
    while (!this.stopped) {
      try {
        await step();
        return;
      } catch (err) {
        this.failed(what, err);
        await this.sleep(backoff.next());
      }
    }
  }

  private failed(what: string, err: unknown): void {
    if (this.stopped) return;
    if (err instanceof UnreachableError) {
      if (this.unreachableSince === undefined) {
        this.unreachableSince = Date.now();
        this.log.warn('API server unreachable; pods keep running, retrying with back-off', {
          while: what,
          error: err.message,
        });
      }
      return;
    }
    this.log.error(`could not ${what}`, { error: (err as Error).message });
  }

  private reachable(): void {
    if (this.unreachableSince === undefined) return;
    const downMs = Date.now() - this.unreachableSince;
    this.unreachableSince = undefined;
    this.log.info('API server reachable again; reporting node and pod status', { downMs });
    this.nodeStatusDue = true;
    for (const uid of this.pods.desired.keys()) this.pods.markDirty(uid);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  // ---- credentials -----------------------------------------------------------------------

  private get tokenFile(): string {
    return path.join(this.opts.stateDir, 'node-token');
  }

  private async credential(): Promise<string> {
    if (this.token) return this.token;
    if (existsSync(this.tokenFile)) {
      this.token = readFileSync(this.tokenFile, 'utf8').trim();
      if (this.token) return this.token;
    }
    return this.register(undefined);
  }

  /** Trades the bootstrap token for a node credential (once, however many callers ask). */
  private register(rejected: string | undefined): Promise<string> {
    if (this.token && this.token !== rejected) return Promise.resolve(this.token);
    this.registering ??= (async () => {
      const bootstrap = this.opts.bootstrapToken;
      if (!bootstrap)
        throw new Error(
          rejected
            ? 'the node credential was rejected and no bootstrap token is configured'
            : 'no node credential yet and no bootstrap token to register with',
        );
      const res = await this.heartbeats.request<{ token?: string }>(
        'POST',
        '/auth/nodes/register',
        {
          token: bootstrap,
          body: { nodeName: this.name },
        },
      );
      if (!ok(res) || !res.body?.token) throw new ApiRefused('registration refused', res);
      this.token = res.body.token;
      writeFileSync(this.tokenFile, this.token + '\n', { mode: 0o600 });
      this.log.info(
        rejected
          ? 'node credential rejected; registered again'
          : 'registered; got a node credential',
      );
      return this.token;
    })().finally(() => {
      this.registering = undefined;
    });
    return this.registering;
  }

  /** An API call with the node credential; a rejected credential is replaced once. */
  private async call<T = Record<string, unknown>>(
    method: string,
    url: string,
    body?: unknown,
    contentType?: string,
    via: ApiClient = this.client,
  ): Promise<ApiResponse<T>> {
    const token = await this.credential();
    let res = await via.request<T>(method, url, { token, body, contentType });
    if (res.status === 401) {
      const fresh = await this.register(token);
      res = await via.request<T>(method, url, { token: fresh, body, contentType });
    }
    this.reachable();
    return res;
  }

  // ---- Node and Lease --------------------------------------------------------------------

  /** A call of the heartbeat's own (Node, Lease), through its own connection pool. */
  private beat<T = Record<string, unknown>>(
    method: string,
    url: string,
    body?: unknown,
    contentType?: string,
  ): Promise<ApiResponse<T>> {
    return this.call<T>(method, url, body, contentType, this.heartbeats);
  }

  private nodePath(sub = ''): string {
    return `/api/v1/nodes/${encodeURIComponent(this.name)}${sub}`;
  }

  private async ensureNode(): Promise<void> {
    const got = await this.beat<NodeObject>('GET', this.nodePath());
    if (got.status === 404) {
      const created = await this.beat<NodeObject>('POST', '/api/v1/nodes', this.newNode());
      if (created.status === 409) return this.ensureNode();
      if (!ok(created)) throw new ApiRefused('create the Node', created);
      this.nodeUid = created.body.metadata.uid;
      this.lastNodeStatusAt = Date.now();
      this.nodeStatusDue = false;
      return;
    }
    if (!ok(got)) throw new ApiRefused('read the Node', got);
    this.nodeUid = got.body.metadata.uid;
    const labels = this.wantedLabels();
    const missing = Object.entries(labels).filter(([k, v]) => got.body.metadata.labels?.[k] !== v);
    if (missing.length) {
      const patched = await this.beat(
        'PATCH',
        this.nodePath(),
        { metadata: { labels: Object.fromEntries(missing) } },
        'application/merge-patch+json',
      );
      if (!ok(patched)) throw new ApiRefused('label the Node', patched);
    }
    await this.postNodeStatus(got.body);
  }

  private wantedLabels(): Record<string, string> {
    return {
      'kubernetes.io/hostname': this.name,
      'kubernetes.io/os': process.platform === 'win32' ? 'windows' : process.platform,
      'kubernetes.io/arch': goArch(),
      ...this.opts.labels,
    };
  }

  private newNode(): Record<string, unknown> {
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: this.name, labels: this.wantedLabels() },
      spec: this.opts.taints.length ? { taints: this.opts.taints } : {},
      status: this.nodeStatus(undefined),
    };
  }

  /** kubelet's node status: capacity, conditions (Ready=True/KubeletReady), addresses, info. */
  private nodeStatus(current: NodeObject | undefined): Record<string, unknown> {
    const now = seconds(new Date().toISOString());
    const before = new Map((current?.status?.conditions ?? []).map((c) => [c.type, c]));
    const condition = (type: string, status: string, reason: string, message: string) => {
      const prev = before.get(type);
      return {
        type,
        status,
        reason,
        message,
        lastHeartbeatTime: now,
        lastTransitionTime:
          prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      };
    };
    const { cpu, memory, pods } = this.opts.capacity;
    return {
      capacity: { cpu, memory, pods },
      allocatable: { cpu, memory, pods },
      conditions: [
        condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        condition(
          'DiskPressure',
          'False',
          'KubeletHasNoDiskPressure',
          'kubelet has no disk pressure',
        ),
        condition(
          'PIDPressure',
          'False',
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
        ),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: this.opts.nodeIP },
        { type: 'Hostname', address: this.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.kubeletPort } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: os.release(),
        osImage: `${os.type()} ${os.release()}`,
        containerRuntimeVersion: `${this.runtime.name}://0.1.0`,
        kubeletVersion: AGENT_VERSION,
        kubeProxyVersion: AGENT_VERSION,
        operatingSystem: process.platform === 'win32' ? 'windows' : process.platform,
        architecture: goArch(),
      },
    };
  }

  private async postNodeStatus(current: NodeObject): Promise<void> {
    const res = await this.beat(
      'PATCH',
      this.nodePath('/status'),
      { status: this.nodeStatus(current) },
      'application/merge-patch+json',
    );
    if (res.status === 404) {
      // The Node was deleted while the agent ran: register it again, as kubelet does.
      this.log.warn('the Node object is gone; creating it again');
      return this.ensureNode();
    }
    if (!ok(res)) throw new ApiRefused('post the node status', res);
    this.lastNodeStatusAt = Date.now();
    this.nodeStatusDue = false;
  }

  private leasePath(name = ''): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  private async renewLease(): Promise<void> {
    const spec = {
      holderIdentity: this.name,
      leaseDurationSeconds: LEASE_DURATION_SECONDS,
      renewTime: new Date().toISOString(),
    };
    const res = await this.beat(
      'PATCH',
      this.leasePath(this.name),
      { spec },
      'application/merge-patch+json',
    );
    if (ok(res)) return;
    if (res.status !== 404) throw new ApiRefused('renew the Lease', res);
    const created = await this.beat('POST', this.leasePath(), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        ...(this.nodeUid
          ? {
              ownerReferences: [
                { apiVersion: 'v1', kind: 'Node', name: this.name, uid: this.nodeUid },
              ],
            }
          : {}),
      },
      spec: { ...spec, acquireTime: spec.renewTime },
    });
    if (!ok(created) && created.status !== 409) throw new ApiRefused('create the Lease', created);
  }

  private async heartbeatLoop(): Promise<void> {
    const backoff = new Backoff(200, this.opts.heartbeatIntervalMs);
    // Hollow nodes started together spread their heartbeats over the interval.
    await this.sleep(Math.random() * Math.min(this.opts.heartbeatIntervalMs, 1000));
    while (!this.stopped) {
      let wait = this.opts.heartbeatIntervalMs;
      try {
        const began = process.hrtime.bigint();
        const observe = (result: string) =>
          this.opts.metrics?.heartbeatDuration.observe(
            { node: this.name, result },
            Number(process.hrtime.bigint() - began) / 1e9,
          );
        await this.renewLease().then(
          () => observe('ok'),
          (err: unknown) => {
            observe('error');
            throw err;
          },
        );
        if (
          this.nodeStatusDue ||
          Date.now() - this.lastNodeStatusAt >= this.opts.nodeStatusReportMs
        ) {
          const got = await this.beat<NodeObject>('GET', this.nodePath());
          if (got.status === 404) await this.ensureNode();
          else if (ok(got)) await this.postNodeStatus(got.body);
          else throw new ApiRefused('read the Node', got);
        }
        backoff.reset();
      } catch (err) {
        this.failed('renew the Lease', err);
        wait = backoff.next();
      }
      await this.sleep(wait);
    }
  }
}

/** Go's GOARCH names, as Kubernetes labels nodes. */
function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };
  return map[process.arch] ?? process.arch;
}
