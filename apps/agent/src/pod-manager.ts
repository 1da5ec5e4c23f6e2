/**
 * The pods bound to one node: a list, then a watch, of them; convergence of the runtime
 * towards them; and their status, written through `/status` only when it changed. The
 * `NodeAgent` owns the credential, the loops' back-off and the Node and Lease.
 */
import type { PodStatusReport, Runtime } from '@berth/runtime';
import type { ApiClient, ApiResponse, WatchEvent } from './api-client';
import { ApiRefused, ok } from './api-refused';
import { Backoff } from './backoff';
import { ContainerConfigError, resolvePodEnv, type EnvContext } from './container-env';
import { hasFileVolumes, PodVolumes } from './pod-volumes';
import type { Logger } from './log';
import type { NodeAgentOptions } from './node-agent';
import {
  desiredPodStatus,
  isTerminal,
  sameJson,
  toRuntimeSpec,
  type ApiPod,
  type PodStatus,
} from './pod-status';

const STATUS_WRITES_AT_ONCE = 8;

/** What the pods need of their `NodeAgent`. */
export interface PodManagerHost {
  readonly stopped: boolean;
  readonly signal: AbortSignal;
  /** An API call with the node credential; a rejected credential is replaced once. */
  call<T = Record<string, unknown>>(
    method: string,
    url: string,
    body?: unknown,
    contentType?: string,
  ): Promise<ApiResponse<T>>;
  credential(): Promise<string>;
  register(rejected: string | undefined): Promise<string>;
  reachable(): void;
  failed(what: string, err: unknown): void;
  sleep(ms: number): Promise<void>;
}

export class PodManager {
  private readonly name: string;
  private readonly runtime: Runtime;
  private readonly client: ApiClient;

  /** The pods bound to this node, by uid, as last seen from the API. */
  readonly desired = new Map<string, ApiPod>();
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
  private readonly startFailures = new Map<string, StartFailure>();
  private readonly startBackoff = new Backoff(1000, 30_000);
  private readonly statusBackoff = new Backoff(200, 10_000);

  constructor(
    private readonly opts: NodeAgentOptions,
    private readonly log: Logger,
    private readonly host: PodManagerHost,
  ) {
    this.name = opts.nodeName;
    this.runtime = opts.runtime;
    this.client = opts.client;
  }

  /** Stops the timers and waits for what runs (pods keep running in the runtime). */
  async stop(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.startRetry) clearTimeout(this.startRetry);
    await Promise.allSettled([this.converging, this.flushing, ...this.stopping.values()]);
  }

  // ---- pods bound to this node: list, then watch -------------------------------------------

  private podsPath(extra: string): string {
    const selector = encodeURIComponent(`spec.nodeName=${this.name}`);
    return `/api/v1/pods?fieldSelector=${selector}${extra}`;
  }

  async podLoop(): Promise<void> {
    const backoff = new Backoff();
    const timeout = this.opts.watchTimeoutSeconds ?? 300;
    while (!this.host.stopped) {
      try {
        if (!this.resourceVersion) await this.listPods();
        const token = await this.host.credential();
        const res = await this.client.watch(
          this.podsPath(
            `&watch=true&allowWatchBookmarks=true&timeoutSeconds=${timeout}&resourceVersion=${this.resourceVersion}`,
          ),
          token,
          (e) => this.onWatchEvent(e),
          this.host.signal,
          (timeout + 30) * 1000,
        );
        if (res.status === 401) await this.host.register(token);
        else if (res.status === 410) this.resourceVersion = undefined;
        else if (res.status !== 200) throw new ApiRefused('watch pods', res);
        else this.host.reachable();
        backoff.reset();
      } catch (err) {
        if (err instanceof ExpiredError) {
          this.log.info('pod watch expired; listing again');
          this.resourceVersion = undefined;
          continue;
        }
        this.host.failed('watch pods', err);
        await this.host.sleep(backoff.next());
      }
    }
  }

  private async listPods(): Promise<void> {
    const res = await this.host.call<{ metadata: { resourceVersion: string }; items: ApiPod[] }>(
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

  requestConverge(): void {
    if (this.host.stopped) return;
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
          await this.host.sleep(1000);
          this.convergeAgain = true;
        }
      } while (this.convergeAgain && !this.host.stopped);
    })().finally(() => {
      this.converging = undefined;
    });
  }

  /** Runs what should run, stops what should not (only once the pods were listed). */
  private async converge(): Promise<void> {
    if (!this.synced || this.host.stopped) return;
    const running = new Set((await this.runtime.listPods()).map((p) => p.uid));
    let retry = false;
    for (const pod of this.desired.values()) {
      const uid = pod.metadata.uid;
      if (pod.metadata.deletionTimestamp || running.has(uid) || this.stopping.has(uid)) continue;
      if (isTerminal(pod)) continue;
      const name = `${pod.metadata.namespace}/${pod.metadata.name}`;
      try {
        const containers = await resolvePodEnv(this.envContext(), pod);
        const volumes = await this.volumes.build(pod);
        await this.runtime.runPod({ ...toRuntimeSpec(pod), containers, volumes });
      } catch (err) {
        // One pod that cannot start (its host port is taken, a ConfigMap it needs is
        // missing) holds up no other: it is reported as CreateContainerError (or
        // CreateContainerConfigError) and tried again after a back-off.
        const message = (err as Error).message;
        const reason =
          err instanceof ContainerConfigError
            ? 'CreateContainerConfigError'
            : 'CreateContainerError';
        if (this.startFailures.get(uid)?.message !== message)
          this.log.warn('pod could not be started; will retry', {
            pod: name,
            reason,
            error: message,
          });
        this.startFailures.set(uid, { reason, message });
        this.opts.metrics?.podStarts.inc({ node: this.name, result: 'failed' });
        this.markDirty(uid);
        retry = true;
        continue;
      }
      this.opts.metrics?.podStarts.inc({ node: this.name, result: 'started' });
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

  private envContext(): EnvContext {
    const { cpu, memory, pods } = this.opts.capacity;
    return {
      call: (method, url) => this.host.call(method, url),
      apiUrl: this.client.base,
      node: { allocatable: { cpu, memory, pods }, hostIPs: [this.opts.nodeIP] },
      // The process and simulated runtimes' pods have the node's address.
      ...(this.runtime.name === 'docker' ? {} : { podIPs: [this.opts.nodeIP] }),
    };
  }

  private volumesHelper?: PodVolumes;
  private get volumes(): PodVolumes {
    const { cpu, memory, pods } = this.opts.capacity;
    return (this.volumesHelper ??= new PodVolumes(
      (method, url, body) => this.host.call(method, url, body),
      { allocatable: { cpu, memory, pods }, hostIPs: [this.opts.nodeIP] },
    ));
  }

  /**
   * Every `everyMs`: the volume files of the running pods, rewritten where a ConfigMap,
   * Secret, token or the pod's own fields changed (environment variables never change).
   */
  async volumeLoop(everyMs: number): Promise<void> {
    while (!this.host.stopped) {
      await this.host.sleep(everyMs);
      if (this.host.stopped || !this.runtime.updateVolumes) continue;
      const running = new Set((await this.runtime.listPods().catch(() => [])).map((p) => p.uid));
      for (const pod of [...this.desired.values()]) {
        const uid = pod.metadata.uid;
        if (!running.has(uid) || pod.metadata.deletionTimestamp || !hasFileVolumes(pod)) continue;
        try {
          this.runtime.updateVolumes(uid, await this.volumes.build(pod));
        } catch (err) {
          this.log.warn('cannot refresh the volumes of a pod; keeping its files', {
            pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
            error: (err as Error).message,
          });
        }
      }
    }
  }

  private startRetry?: NodeJS.Timeout;
  private retryStartsLater(): void {
    if (this.startRetry || this.host.stopped) return;
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
        this.volumesHelper?.forget(uid);
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
        const res = await this.host.call(
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
        this.host.failed('delete a stopped pod', err);
        this.finalDeletes.delete(uid);
      }
    })();
  }

  // ---- pod status ----------------------------------------------------------------------

  markDirty(uid: string): void {
    if (this.host.stopped) return;
    this.dirty.add(uid);
    this.scheduleFlush(0);
  }

  private scheduleFlush(ms: number): void {
    if (this.flushTimer || this.host.stopped) return;
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
        if (this.host.stopped) return;
        try {
          await this.writeStatus(uid);
        } catch (err) {
          failed = true;
          this.dirty.add(uid);
          this.host.failed('write pod status', err);
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
    const res = await this.host.call<ApiPod>(
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

function rvNumber(pod: ApiPod | undefined): number {
  return Number(pod?.metadata.resourceVersion ?? 0) || 0;
}

class ExpiredError extends Error {}

interface StartFailure {
  reason: 'CreateContainerError' | 'CreateContainerConfigError';
  message: string;
}

/** What a pod the runtime could not start reports: kubelet's CreateContainer(Config)Error. */
function notStarted(pod: ApiPod, { reason, message }: StartFailure): PodStatusReport {
  const spec = toRuntimeSpec(pod);
  return {
    uid: spec.uid,
    namespace: spec.namespace,
    name: spec.name,
    phase: 'Pending',
    containerStatuses: spec.containers.map((c) => ({
      name: c.name,
      image: c.image,
      state: { waiting: { reason, message } },
      lastState: {},
      ready: false,
      started: false,
      restartCount: 0,
    })),
  };
}
