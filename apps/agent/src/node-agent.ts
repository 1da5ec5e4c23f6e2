/**
 * One node's kubelet: registration (a node credential kept in the node's state directory),
 * the Node object and its status, Lease heartbeats, a watch of the pods bound to the node,
 * convergence of the runtime towards them, and pod status written through `/status` only
 * when it changed. When the API is unreachable, pods keep running, every loop retries with
 * back-off, and everything is reported again once the API answers.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PodStatusReport, Runtime } from '@berth/runtime';
import { UnreachableError, type ApiClient, type ApiResponse, type WatchEvent } from './api-client';
import { Backoff } from './backoff';
import type { Taint } from './config';
import type { Logger } from './log';
import {
  desiredPodStatus,
  isTerminal,
  sameJson,
  seconds,
  toRuntimeSpec,
  type ApiPod,
  type PodStatus,
} from './pod-status';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const AGENT_VERSION = 'v1.31.0-berth.0.1.0';
const LEASE_DURATION_SECONDS = 40;
const STATUS_WRITES_AT_ONCE = 8;

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
}

/** An answer that is neither success nor "unreachable": worth a log line, then a retry. */
class ApiRefused extends Error {
  constructor(
    what: string,
    readonly res: ApiResponse<unknown>,
  ) {
    const message = (res.body as { message?: string } | undefined)?.message ?? '';
    super(`${what}: ${res.status} ${message}`.trim());
  }
}

function ok(res: ApiResponse<unknown>): boolean {
  return res.status >= 200 && res.status < 300;
}

function rvNumber(pod: ApiPod | undefined): number {
  return Number(pod?.metadata.resourceVersion ?? 0) || 0;
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

  /** The pods bound to this node, by uid, as last seen from the API. */
  private readonly desired = new Map<string, ApiPod>();
  /**
   * Pods gone from the API (a DELETED event, or missing from a new list) whose containers
   * may still run, as last seen: the DELETED event's object carries the grace period the
   * DELETE gave (metadata.deletionGracePeriodSeconds). Dropped once they are stopped.
   */
  private readonly gone = new Map<string, ApiPod>();
  private synced = false;
  private resourceVersion?: string;
  private converging?: Promise<void>;
  private convergeAgain = false;
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly finalDeletes = new Set<string>();

  private readonly dirty = new Set<string>();
  private flushTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private readonly written = new Map<string, { rv: string; status: PodStatus }>();
  /** Pods the runtime could not start (uid → why): reported, and tried again later. */
  private readonly startFailures = new Map<string, string>();
  private readonly startBackoff = new Backoff(1000, 30_000);
  private readonly statusBackoff = new Backoff(200, 10_000);

  private readonly loops: Promise<void>[] = [];
  private resyncTimer?: NodeJS.Timeout;

  constructor(private readonly opts: NodeAgentOptions) {
    this.name = opts.nodeName;
    this.log = opts.log.with({ node: opts.nodeName });
    this.runtime = opts.runtime;
    this.client = opts.client;
    this.heartbeats = opts.heartbeatClient ?? opts.client;
  }

  /** Starts the loops; registration and everything else retry until they succeed. */
  start(): void {
    mkdirSync(this.opts.stateDir, { recursive: true, mode: 0o700 });
    // A credential written by an older version, or copied in by hand, is the agent's only.
    if (existsSync(this.tokenFile)) chmodSync(this.tokenFile, 0o600);
    this.runtime.onChange((uid) => this.markDirty(uid));
    this.loops.push(this.run());
    const resync = () => {
      if (this.stopped) return;
      this.requestConverge();
      for (const uid of this.desired.keys()) this.markDirty(uid);
      this.resyncTimer = setTimeout(resync, this.opts.resyncMs ?? 30_000);
    };
    this.resyncTimer = setTimeout(resync, this.opts.resyncMs ?? 30_000);
  }

  /** Stops every loop (pods keep running in the runtime). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.startRetry) clearTimeout(this.startRetry);
    await Promise.allSettled([
      ...this.loops,
      this.converging,
      this.flushing,
      ...this.stopping.values(),
    ]);
  }

  // ---- lifecycle -----------------------------------------------------------------------

  private async run(): Promise<void> {
    this.kubeletPort = (await this.opts.kubeletPort?.catch(() => 0)) ?? 0;
    await this.retry('register the node', () => this.ensureNode());
    if (this.stopped) return;
    this.log.info('node registered', { nodeIP: this.opts.nodeIP, runtime: this.runtime.name });
    await Promise.all([this.heartbeatLoop(), this.podLoop()]);
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
    for (const uid of this.desired.keys()) this.markDirty(uid);
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
        await this.renewLease();
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

  // ---- pods bound to this node: list, then watch -------------------------------------------

  private podsPath(extra: string): string {
    const selector = encodeURIComponent(`spec.nodeName=${this.name}`);
    return `/api/v1/pods?fieldSelector=${selector}${extra}`;
  }

  private async podLoop(): Promise<void> {
    const backoff = new Backoff();
    const timeout = this.opts.watchTimeoutSeconds ?? 300;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.listPods();
        const token = await this.credential();
        const res = await this.client.watch(
          this.podsPath(
            `&watch=true&allowWatchBookmarks=true&timeoutSeconds=${timeout}&resourceVersion=${this.resourceVersion}`,
          ),
          token,
          (e) => this.onWatchEvent(e),
          this.abort.signal,
          (timeout + 30) * 1000,
        );
        if (res.status === 401) await this.register(token);
        else if (res.status === 410) this.resourceVersion = undefined;
        else if (res.status !== 200) throw new ApiRefused('watch pods', res);
        else this.reachable();
        backoff.reset();
      } catch (err) {
        if (err instanceof ExpiredError) {
          this.log.info('pod watch expired; listing again');
          this.resourceVersion = undefined;
          continue;
        }
        this.failed('watch pods', err);
        await this.sleep(backoff.next());
      }
    }
  }

  private async listPods(): Promise<void> {
    const res = await this.call<{ metadata: { resourceVersion: string }; items: ApiPod[] }>(
      'GET',
      this.podsPath(''),
    );
    if (!ok(res)) throw new ApiRefused('list pods', res);
    const seen = new Set<string>();
    for (const pod of res.body.items) {
      seen.add(pod.metadata.uid);
      this.upsert(pod, true);
    }
    for (const [uid, pod] of [...this.desired]) {
      if (seen.has(uid)) continue;
      this.desired.delete(uid);
      this.gone.set(uid, pod);
    }
    this.resourceVersion = res.body.metadata.resourceVersion;
    if (!this.synced) this.log.info('pods listed', { pods: res.body.items.length });
    this.synced = true;
    this.requestConverge();
  }

  private onWatchEvent(e: WatchEvent): void {
    if (e.type === 'ERROR') {
      const status = e.object as { code?: number; message?: string };
      if (status.code === 410) throw new ExpiredError(status.message ?? 'expired');
      throw new Error(`pod watch error: ${status.message ?? JSON.stringify(status)}`);
    }
    const pod = e.object as unknown as ApiPod;
    if (pod.metadata?.resourceVersion) this.resourceVersion = pod.metadata.resourceVersion;
    if (e.type === 'BOOKMARK') return;
    if (e.type === 'DELETED') {
      this.desired.delete(pod.metadata.uid);
      this.gone.set(pod.metadata.uid, pod);
      this.written.delete(pod.metadata.uid);
      this.startFailures.delete(pod.metadata.uid);
    } else {
      this.upsert(pod, true);
    }
    this.requestConverge();
  }

  /** Keeps the newest version of a pod (a status write's answer may overtake the watch). */
  private upsert(pod: ApiPod, fromApi: boolean): void {
    const uid = pod.metadata.uid;
    const known = this.desired.get(uid);
    if (known && rvNumber(known) > rvNumber(pod)) return;
    this.desired.set(uid, pod);
    if (fromApi) this.markDirty(uid);
  }

  // ---- convergence -------------------------------------------------------------------------

  private requestConverge(): void {
    if (this.stopped) return;
    if (this.converging) {
      this.convergeAgain = true;
      return;
    }
    this.converging = (async () => {
      do {
        this.convergeAgain = false;
        try {
          await this.converge();
        } catch (err) {
          this.log.error('converging pods failed; retrying', { error: (err as Error).message });
          await this.sleep(1000);
          this.convergeAgain = true;
        }
      } while (this.convergeAgain && !this.stopped);
    })().finally(() => {
      this.converging = undefined;
    });
  }

  /** Runs what should run, stops what should not (only once the pods were listed). */
  private async converge(): Promise<void> {
    if (!this.synced || this.stopped) return;
    const running = new Set((await this.runtime.listPods()).map((p) => p.uid));
    let retry = false;
    for (const pod of this.desired.values()) {
      const uid = pod.metadata.uid;
      if (pod.metadata.deletionTimestamp || running.has(uid) || this.stopping.has(uid)) continue;
      if (isTerminal(pod)) continue;
      const name = `${pod.metadata.namespace}/${pod.metadata.name}`;
      try {
        await this.runtime.runPod(toRuntimeSpec(pod));
      } catch (err) {
        // One pod that cannot start (its host port is taken, say) holds up no other: it
        // is reported as CreateContainerError and tried again after a back-off.
        const message = (err as Error).message;
        if (this.startFailures.get(uid) !== message)
          this.log.warn('pod could not be started; will retry', { pod: name, error: message });
        this.startFailures.set(uid, message);
        this.markDirty(uid);
        retry = true;
        continue;
      }
      if (this.startFailures.delete(uid)) this.markDirty(uid);
      this.log.info('pod started', { pod: name, uid });
    }
    if (retry) this.retryStartsLater();
    else this.startBackoff.reset();
    for (const uid of running) {
      const pod = this.desired.get(uid);
      if (pod && !pod.metadata.deletionTimestamp) continue;
      this.stopPod(uid, pod ?? this.gone.get(uid));
    }
    for (const uid of [...this.gone.keys()])
      if (!running.has(uid) && !this.stopping.has(uid)) this.gone.delete(uid);
    for (const pod of this.desired.values()) {
      const uid = pod.metadata.uid;
      if (pod.metadata.deletionTimestamp && !running.has(uid) && !this.stopping.has(uid))
        this.deleteFinally(pod);
    }
  }

  private startRetry?: NodeJS.Timeout;
  private retryStartsLater(): void {
    if (this.startRetry || this.stopped) return;
    this.startRetry = setTimeout(() => {
      this.startRetry = undefined;
      this.requestConverge();
    }, this.startBackoff.next());
    this.startRetry.unref();
  }

  private stopPod(uid: string, pod: ApiPod | undefined): void {
    if (this.stopping.has(uid)) return;
    const grace =
      pod?.metadata.deletionGracePeriodSeconds ?? pod?.spec?.terminationGracePeriodSeconds;
    const done = (async () => {
      try {
        await this.runtime.stopPod(uid, grace);
        this.log.info('pod stopped', {
          uid,
          ...(pod ? { pod: `${pod.metadata.namespace}/${pod.metadata.name}` } : { orphan: true }),
        });
      } catch (err) {
        this.log.error('stopping a pod failed', { uid, error: (err as Error).message });
      }
    })().finally(() => {
      this.stopping.delete(uid);
      this.gone.delete(uid);
      this.requestConverge();
    });
    this.stopping.set(uid, done);
  }

  /** A pod marked for deletion whose containers are stopped: kubelet's final delete (grace 0). */
  private deleteFinally(pod: ApiPod): void {
    const uid = pod.metadata.uid;
    if (this.finalDeletes.has(uid)) return;
    this.finalDeletes.add(uid);
    void (async () => {
      try {
        const res = await this.call(
          'DELETE',
          `/api/v1/namespaces/${pod.metadata.namespace}/pods/${encodeURIComponent(pod.metadata.name)}`,
          {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            gracePeriodSeconds: 0,
            preconditions: { uid },
          },
        );
        if (!ok(res) && res.status !== 404 && res.status !== 409)
          throw new ApiRefused('delete a stopped pod', res);
      } catch (err) {
        this.failed('delete a stopped pod', err);
        this.finalDeletes.delete(uid);
      }
    })();
  }

  // ---- pod status ----------------------------------------------------------------------

  private markDirty(uid: string): void {
    if (this.stopped) return;
    this.dirty.add(uid);
    this.scheduleFlush(0);
  }

  private scheduleFlush(ms: number): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (this.flushing) {
        this.scheduleFlush(20);
        return;
      }
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
      });
    }, ms);
  }

  private async flush(): Promise<void> {
    const uids = [...this.dirty];
    this.dirty.clear();
    let failed = false;
    const queue = [...uids];
    const worker = async () => {
      for (let uid = queue.shift(); uid !== undefined; uid = queue.shift()) {
        if (this.stopped) return;
        try {
          await this.writeStatus(uid);
        } catch (err) {
          failed = true;
          this.dirty.add(uid);
          this.failed('write pod status', err);
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(STATUS_WRITES_AT_ONCE, queue.length) }, worker),
    );
    if (failed) this.scheduleFlush(this.statusBackoff.next());
    else if (uids.length) this.statusBackoff.reset();
  }

  private async writeStatus(uid: string): Promise<void> {
    const pod = this.desired.get(uid);
    const failure = this.startFailures.get(uid);
    const report =
      this.runtime.podStatus(uid) ?? (pod && failure ? notStarted(pod, failure) : undefined);
    if (!pod || !report || pod.metadata.deletionTimestamp) return;
    const next = desiredPodStatus(pod, report, this.opts.nodeIP, new Date());
    if (!next) return;
    const last = this.written.get(uid);
    // Written already and untouched since: the server stores it differently; do not loop.
    if (last && last.rv === pod.metadata.resourceVersion && sameJson(last.status, next)) return;
    const res = await this.call<ApiPod>(
      'PATCH',
      `/api/v1/namespaces/${pod.metadata.namespace}/pods/${encodeURIComponent(pod.metadata.name)}/status`,
      { status: next },
      'application/merge-patch+json',
    );
    if (res.status === 404 || res.status === 403) return; // gone, or no longer bound here
    if (!ok(res)) throw new ApiRefused('write pod status', res);
    if (res.body.metadata.uid !== uid) return;
    this.written.set(uid, { rv: res.body.metadata.resourceVersion ?? '', status: next });
    this.upsert(res.body, false);
    this.log.debug('pod status written', {
      pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
      phase: next.phase,
    });
  }
}

class ExpiredError extends Error {}

/** What a pod the runtime could not start reports: kubelet's CreateContainerError. */
function notStarted(pod: ApiPod, message: string): PodStatusReport {
  const spec = toRuntimeSpec(pod);
  return {
    uid: spec.uid,
    namespace: spec.namespace,
    name: spec.name,
    phase: 'Pending',
    containerStatuses: spec.containers.map((c) => ({
      name: c.name,
      image: c.image,
      state: { waiting: { reason: 'CreateContainerError', message } },
      lastState: {},
      ready: false,
      started: false,
      restartCount: 0,
    })),
  };
}

/** Go's GOARCH names, as Kubernetes labels nodes. */
function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };
  return map[process.arch] ?? process.arch;
}
