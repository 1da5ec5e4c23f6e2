/**
 * The `docker` runtime: each container of a pod is a Docker container, driven over the
 * Docker Engine API (dockerode). Like kubelet's dockershim:
 *
 * - containers are named `berth_<ns>_<pod>_<container>_<uid8>` and labelled with the pod's
 *   uid, name, namespace and container name, plus the pod spec and the instance number, so
 *   a restarted agent re-adopts them from Docker alone (`listPods`, `runPod`);
 * - restarts are the runtime's (Docker's restart policy is `no`): an exited container is
 *   restarted per `restartPolicy` with kubelet's CrashLoopBackOff (restart-manager.ts: the
 *   first restart at once, then 10 s doubling to 5 min, reset after 10 min running) as a
 *   *new* container; the last exited one is kept, renamed `<name>_previous`, for
 *   `logs --previous`;
 * - a missing image is pulled (ContainerCreating, then ErrImagePull / ImagePullBackOff);
 * - ports are published on ports Docker chooses, reported as `hostPorts`, the pod's IP being
 *   the node's; probes (lifecycle/prober.ts) reach them there (exec probes run through
 *   `docker exec`);
 * - status follows Docker's event stream (containers with a Berth label) and a periodic
 *   inspect of every container, which also covers events lost while reconnecting.
 *
 * Not like Kubernetes: the containers of a pod do not share a network namespace (no pause
 * container), and `$(VAR)` references in command and args are not expanded.
 */
import { ApiError, errors } from '@berth/core';
import Docker from 'dockerode';
import type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo } from 'dockerode';
import path from 'node:path';
import type { Readable } from 'node:stream';
import * as vol from '../volumes';
import type {
  ContainerState,
  LogOptions,
  PodSpecForRuntime,
  PodStatusReport,
  Runtime,
} from '../types';
import {
  ContainerConfigError,
  LABELS,
  createBody,
  dockerTime,
  hostPortsOf,
  podSpecFromLabels,
} from './container-config';
import { podStatusReport } from '../phase';
import { RestartManager, retryBackoff } from '../lifecycle/restart-manager';
import { DockerEvents } from './docker-events';
import { containerLogs, keepAsPrevious, pullImage, stopAndRemove } from './docker-io';
import { dockerProber } from './docker-probes';
import {
  DEFAULTS,
  instanceOf,
  newDockerPod,
  message,
  now,
  statusCode,
  type DockerEvent,
  type DockerPod,
  type DockerRuntimeLogger,
  type DockerRuntimeOptions,
  type PodContainer,
} from './docker-model';

export type { DockerRuntimeLogger, DockerRuntimeOptions } from './docker-model';

export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  private readonly docker: Docker;
  private readonly opts: typeof DEFAULTS & { nodeIP: string; log: DockerRuntimeLogger };
  private readonly restarts: RestartManager;
  private readonly pods = new Map<string, DockerPod>();
  private readonly listeners: Array<(uid: string) => void> = [];
  private readonly events: DockerEvents;
  private closed = false;
  private readonly volumesDir?: string;

  constructor(options: DockerRuntimeOptions) {
    const { socketPath, docker, nodeIP, log, volumesDir, ...tuning } = options;
    this.volumesDir = volumesDir;
    this.restarts = new RestartManager(options);
    this.docker = docker ?? (socketPath ? new Docker({ socketPath }) : new Docker());
    const defined = {
      resyncIntervalMs: tuning.resyncIntervalMs ?? DEFAULTS.resyncIntervalMs,
      eventsRetryMs: tuning.eventsRetryMs ?? DEFAULTS.eventsRetryMs,
    };
    this.opts = { ...defined, nodeIP, log };
    this.events = new DockerEvents(this.docker, this.opts, {
      event: (e) => this.onEvent(e),
      resync: () => this.resync(),
    });
  }

  // ---- the Runtime interface -----------------------------------------------------------

  async runPod(pod: PodSpecForRuntime): Promise<void> {
    if (this.closed) throw new Error('the docker runtime is closed');
    if (this.pods.has(pod.uid)) return;
    if (this.volumesDir)
      vol.materializeVolumes(path.join(this.volumesDir, pod.uid), pod.volumes ?? []);
    const p = newDockerPod(structuredClone(vol.withoutVolumeFiles(pod)), now());
    this.pods.set(pod.uid, p);
    this.watch();
    this.changed(p);
    // Containers of this uid may already exist (an agent restarted before listing): adopt.
    let existing: ContainerInfo[] = [];
    try {
      existing = await this.listContainers(`${LABELS.podUID}=${pod.uid}`);
    } catch (err) {
      this.opts.log.warn('docker: cannot list containers before starting a pod', {
        pod: `${pod.namespace}/${pod.name}`,
        error: message(err),
      });
    }
    if (existing.length > 0) {
      const labels = existing[0].Labels ?? {};
      if (labels[LABELS.podStartTime]) p.startTime = labels[LABELS.podStartTime];
    }
    this.attach(p, existing);
  }

  updateVolumes(uid: string, volumes: vol.RuntimeVolume[]): void {
    if (this.volumesDir && this.pods.has(uid))
      vol.rewriteVolumes(path.join(this.volumesDir, uid), volumes);
  }

  async stopPod(uid: string, gracePeriodSeconds?: number): Promise<void> {
    const p = this.pods.get(uid);
    const grace = Math.max(
      0,
      Math.round(gracePeriodSeconds ?? p?.spec.terminationGracePeriodSeconds ?? 30),
    );
    const ids = new Set<string>();
    if (p) {
      p.stopping = true;
      p.abort.abort();
      for (const c of p.containers) this.quiet(c);
      await Promise.all(p.containers.map((c) => c.chain));
      for (const c of p.containers) {
        if (c.id) ids.add(c.id);
        if (c.previousId) ids.add(c.previousId);
      }
    }
    // Also whatever Docker has for this uid (a container created by an earlier agent).
    try {
      for (const info of await this.listContainers(`${LABELS.podUID}=${uid}`)) ids.add(info.Id);
    } catch (err) {
      if (ids.size === 0) throw err;
    }
    await Promise.all([...ids].map((id) => stopAndRemove(this.docker, id, grace)));
    if (p && this.pods.get(uid) === p) {
      this.pods.delete(uid);
      vol.removePodVolumes(this.volumesDir, uid);
      for (const f of p.followers) f.out.destroy();
      for (const l of this.listeners) l(uid);
    }
  }

  async listPods(): Promise<PodStatusReport[]> {
    if (this.closed) throw new Error('the docker runtime is closed');
    this.watch();
    const byUID = new Map<string, ContainerInfo[]>();
    for (const info of await this.listContainers(LABELS.podUID)) {
      const uid = info.Labels?.[LABELS.podUID];
      if (!uid) continue;
      byUID.set(uid, [...(byUID.get(uid) ?? []), info]);
    }
    for (const [uid, infos] of byUID) {
      if (this.pods.has(uid)) continue;
      const adopted = this.adopt(uid, infos);
      if (adopted) this.opts.log.info('docker: re-adopted a pod', { pod: uid });
    }
    return [...this.pods.keys()].map((uid) => this.podStatus(uid)!);
  }

  podStatus(uid: string): PodStatusReport | undefined {
    const p = this.pods.get(uid);
    if (!p) return undefined;
    return podStatusReport(
      { ...p.spec, startTime: p.startTime, podIP: this.opts.nodeIP },
      p.containers,
      (i) => (p.containers[i].id ? `docker://${p.containers[i].id}` : undefined),
    );
  }

  async logs(uid: string, opts: LogOptions): Promise<Readable> {
    const p = this.pods.get(uid);
    if (!p) throw new ApiError(404, 'NotFound', `pod ${uid} is not running on this node`);
    const c = p.containers.find((x) => x.spec.name === opts.container);
    if (!c)
      throw errors.badRequest(`container ${opts.container} is not valid for pod ${p.spec.name}`);
    const id = opts.previous ? c.previousId : c.id;
    if (!id) {
      if (opts.previous)
        throw errors.badRequest(
          `previous terminated container "${c.spec.name}" in pod "${p.spec.name}" not found`,
        );
      throw errors.badRequest(
        `container "${c.spec.name}" in pod "${p.spec.name}" is waiting to start: ${c.state.waiting?.reason ?? 'ContainerCreating'}`,
      );
    }
    try {
      return await containerLogs(this.docker, id, opts, p.followers);
    } catch (err) {
      if (statusCode(err) === 404)
        throw new ApiError(
          404,
          'NotFound',
          `container "${c.spec.name}" in pod "${p.spec.name}" is gone from Docker`,
        );
      throw err;
    }
  }

  onChange(listener: (uid: string) => void): void {
    this.listeners.push(listener);
  }

  async close(opts: { stopPods?: boolean } = {}): Promise<void> {
    if (opts.stopPods) for (const uid of [...this.pods.keys()]) await this.stopPod(uid);
    this.closed = true;
    this.events.close();
    for (const p of this.pods.values()) {
      p.abort.abort();
      for (const c of p.containers) this.quiet(c);
      for (const f of p.followers) f.out.destroy();
    }
    await Promise.all([...this.pods.values()].flatMap((p) => p.containers.map((c) => c.chain)));
  }

  // ---- adoption ------------------------------------------------------------------------

  /** A pod found in Docker that this instance does not know (after an agent restart). */
  private adopt(uid: string, infos: ContainerInfo[]): DockerPod | undefined {
    const newest = [...infos].sort((a, b) => b.Created - a.Created);
    const spec = newest.map((i) => podSpecFromLabels(i.Labels ?? {})).find((s) => s);
    if (!spec) {
      this.opts.log.warn('docker: containers of a pod without a readable pod spec label', {
        pod: uid,
        containers: infos.map((i) => i.Names?.[0]),
      });
      return undefined;
    }
    const p = newDockerPod(spec, newest[0].Labels?.[LABELS.podStartTime] ?? now());
    this.pods.set(uid, p);
    this.attach(p, infos);
    this.changed(p);
    return p;
  }

  /**
   * Gives each container of the pod its existing Docker containers (the newest instance is
   * current, the one before it previous; older ones are removed) and carries on from there:
   * running ones are watched, exited ones handled per restartPolicy, missing ones created.
   */
  private attach(p: DockerPod, infos: ContainerInfo[]): void {
    for (const c of p.containers) {
      const mine = infos
        .filter((i) => i.Labels?.[LABELS.container] === c.spec.name)
        .sort((a, b) => instanceOf(b) - instanceOf(a) || b.Created - a.Created);
      const [current, previous, ...older] = mine;
      for (const old of older)
        this.docker
          .getContainer(old.Id)
          .remove({ force: true })
          .catch(() => undefined);
      if (previous) c.previousId = previous.Id;
      if (current) {
        c.id = current.Id;
        c.restartCount = instanceOf(current);
        this.serial(p, c, () => this.sync(p, c, true));
      } else {
        this.serial(p, c, () => this.launch(p, c));
      }
    }
  }

  // ---- a container's life --------------------------------------------------------------

  /** Runs `fn` after the container's earlier operations, unless the pod is going away. */
  private serial(p: DockerPod, c: PodContainer, fn: () => Promise<void>): Promise<void> {
    c.chain = c.chain
      .then(() => (p.stopping || this.closed ? undefined : fn()))
      .catch((err) => {
        if (p.stopping || this.closed) return;
        this.opts.log.error('docker: container operation failed', {
          pod: `${p.spec.namespace}/${p.spec.name}`,
          container: c.spec.name,
          error: message(err),
        });
      });
    return c.chain;
  }

  private queueSync(p: DockerPod, c: PodContainer): void {
    if (c.syncQueued || !c.id) return;
    c.syncQueued = true;
    void this.serial(p, c, async () => {
      c.syncQueued = false;
      await this.sync(p, c, false);
    });
  }

  /** Image, create, start: a new instance of the container. */
  private async launch(p: DockerPod, c: PodContainer): Promise<void> {
    try {
      await this.createAndStart(p, c);
    } catch (err) {
      // The engine failed us (down, restarting, out of space…): try again after a back-off.
      if (p.stopping || this.closed) return;
      this.opts.log.warn('docker: cannot start a container, retrying', {
        pod: `${p.spec.namespace}/${p.spec.name}`,
        container: c.spec.name,
        error: message(err),
      });
      if (!c.state.running)
        this.setState(p, c, { waiting: { reason: 'CreateContainerError', message: message(err) } });
      this.retryLater(p, c);
    }
  }

  private async createAndStart(p: DockerPod, c: PodContainer): Promise<void> {
    if (!(await this.ensureImage(p, c))) return;
    let body;
    try {
      const dir = this.volumesDir && path.join(this.volumesDir, p.spec.uid);
      body = createBody(p.spec, c.spec, c.restartCount, p.startTime, dir);
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      this.setState(p, c, {
        waiting: { reason: 'CreateContainerConfigError', message: err.message },
      });
      return;
    }
    let id: string;
    try {
      // The name in the query string only: the body (with env values) stays out of the URL.
      const created = await this.docker.createContainer({
        _query: { name: c.name },
        _body: body,
      } as unknown as ContainerCreateOptions);
      id = created.id;
    } catch (err) {
      if (statusCode(err) !== 409) {
        this.setState(p, c, { waiting: { reason: 'CreateContainerError', message: message(err) } });
        this.retryLater(p, c);
        return;
      }
      // The name is taken: by this pod's container (created before a crash) or a stranger.
      const other = await this.docker.getContainer(c.name).inspect();
      if (other.Config.Labels?.[LABELS.podUID] !== p.spec.uid) {
        this.setState(p, c, {
          waiting: {
            reason: 'CreateContainerError',
            message: `the container name "${c.name}" is in use by container ${other.Id}`,
          },
        });
        this.retryLater(p, c);
        return;
      }
      id = other.Id;
    }
    c.id = id;
    c.exitHandledFor = undefined;
    if (p.stopping || this.closed) return;
    await this.start(p, c);
  }

  private async start(p: DockerPod, c: PodContainer): Promise<void> {
    const container = this.docker.getContainer(c.id!);
    try {
      await container.start();
    } catch (err) {
      if (statusCode(err) !== 304) {
        // Docker could not run it (a missing executable, a bad working directory…).
        let info: ContainerInspectInfo | undefined;
        try {
          info = await container.inspect();
        } catch {
          // reported below without the details
        }
        this.exited(p, c, {
          exitCode: info?.State.ExitCode || 128,
          reason: 'StartError',
          message: message(err),
          finishedAt: dockerTime(info?.State.FinishedAt) ?? now(),
        });
        return;
      }
    }
    await this.sync(p, c, false);
  }

  /** Reads the container from Docker and acts on what changed. */
  private async sync(p: DockerPod, c: PodContainer, adopting: boolean): Promise<void> {
    const id = c.id;
    if (!id) return;
    let info: ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(id).inspect();
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
      if (c.exitHandledFor === id) return;
      // Removed behind our back: as if it had been killed.
      this.exited(p, c, {
        exitCode: 137,
        reason: 'Error',
        message: 'the Docker container was removed outside Berth',
        finishedAt: now(),
      });
      return;
    }
    const s = info.State;
    if (s.Running || s.Restarting || s.Paused) {
      c.hostPorts = hostPortsOf(info);
      c.ipAddress =
        Object.values(info.NetworkSettings?.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress ||
        undefined;
      if (c.runningId !== id) {
        const startedAt = dockerTime(s.StartedAt) ?? now();
        c.runningId = id;
        c.runningSinceMs = Date.parse(startedAt);
        c.retryBackoffMs = 0;
        c.state = { running: { startedAt } };
        this.startProbes(p, c, id);
      }
      this.changed(p);
      return;
    }
    if (s.Status === 'created') {
      // Created but never started (an agent stopped in between): start it now.
      if (adopting) await this.start(p, c);
      return;
    }
    // exited or dead
    if (c.exitHandledFor === id) return;
    const exitCode = s.ExitCode ?? 0;
    this.exited(p, c, {
      exitCode,
      reason: s.OOMKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error',
      ...(s.Error ? { message: s.Error } : {}),
      ...(dockerTime(s.StartedAt) ? { startedAt: dockerTime(s.StartedAt) } : {}),
      finishedAt: dockerTime(s.FinishedAt) ?? now(),
    });
  }

  /** The current instance ended: record it and restart per restartPolicy. */
  private exited(
    p: DockerPod,
    c: PodContainer,
    terminated: NonNullable<ContainerState['terminated']>,
  ): void {
    c.exitHandledFor = c.id;
    this.stopProbes(c);
    const ranMs = c.runningSinceMs !== undefined ? Date.now() - c.runningSinceMs : 0;
    const probeKilled = c.probeKilled === c.runningId;
    c.runningId = undefined;
    c.runningSinceMs = undefined;
    // Docker releases the published ports of a stopped container.
    c.hostPorts = {};
    const decision = this.restarts.exited(p.spec, c.spec.name, c, {
      terminated,
      ranMs,
      probeKilled,
    });
    this.changed(p);
    if (decision.restart) this.later(p, c, decision.delayMs, () => this.restart(p, c));
  }

  /** Keeps the exited instance as the previous one and launches a new instance. */
  private async restart(p: DockerPod, c: PodContainer): Promise<void> {
    if (c.id) {
      c.previousId = await keepAsPrevious(this.docker, c.id, c.previousId, c.name, this.opts.log);
      c.id = undefined;
    }
    await this.launch(p, c);
  }

  /** Pulls the image if Docker does not have it; false when the pull failed (retried later). */
  private async ensureImage(p: DockerPod, c: PodContainer): Promise<boolean> {
    const image = c.spec.image;
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
    this.setState(p, c, {
      waiting: { reason: 'ContainerCreating', message: `pulling image "${image}"` },
    });
    try {
      await pullImage(this.docker, image, p.abort.signal);
      this.opts.log.info('docker: pulled image', { image });
      c.pullFailures = 0;
      c.pullBackoffMs = 0;
      return true;
    } catch (err) {
      if (p.stopping || this.closed) return false;
      c.pullFailures += 1;
      // kubelet: ErrImagePull for a failed pull, ImagePullBackOff once it keeps failing.
      this.setState(p, c, {
        waiting: {
          reason: c.pullFailures === 1 ? 'ErrImagePull' : 'ImagePullBackOff',
          message:
            c.pullFailures === 1
              ? `failed to pull image "${image}": ${message(err)}`
              : `Back-off pulling image "${image}": ${message(err)}`,
        },
      });
      const next = retryBackoff(this.restarts.cfg, c.pullBackoffMs);
      c.pullBackoffMs = next.backoffMs;
      this.later(p, c, next.delayMs, () => this.launch(p, c));
      return false;
    }
  }

  private retryLater(p: DockerPod, c: PodContainer): void {
    const next = retryBackoff(this.restarts.cfg, c.retryBackoffMs);
    c.retryBackoffMs = next.backoffMs;
    this.later(p, c, next.delayMs, () => this.launch(p, c));
  }

  private later(p: DockerPod, c: PodContainer, ms: number, fn: () => Promise<void>): void {
    clearTimeout(c.timer);
    if (p.stopping || this.closed) return;
    c.timer = setTimeout(() => {
      c.timer = undefined;
      void this.serial(p, c, fn);
    }, ms);
  }

  /** No more timers or probes for this container. */
  private quiet(c: PodContainer): void {
    clearTimeout(c.timer);
    c.timer = undefined;
    this.stopProbes(c);
  }

  private setState(p: DockerPod, c: PodContainer, state: ContainerState): void {
    c.state = state;
    this.changed(p);
  }

  // ---- probes --------------------------------------------------------------------------

  private startProbes(p: DockerPod, c: PodContainer, id: string): void {
    this.stopProbes(c);
    if (p.stopping || this.closed) return;
    c.prober = dockerProber(this.docker, this.opts, p, c, id, {
      alive: () => c.runningId === id && !p.stopping && !this.closed,
      changed: () => this.changed(p),
      // Its exit arrives as an event and is handled per restartPolicy.
      killed: () => this.queueSync(p, c),
    });
  }

  private stopProbes(c: PodContainer): void {
    c.prober?.stop();
    c.prober = undefined;
  }

  // ---- events and resync ---------------------------------------------------------------

  /** Starts following Docker's events and the periodic inspect (once). */
  private watch(): void {
    if (!this.closed) this.events.start();
  }

  private onEvent(event: DockerEvent): void {
    const id = event.id ?? event.Actor?.ID;
    const uid = event.Actor?.Attributes?.[LABELS.podUID];
    if (!id || !uid) return;
    const p = this.pods.get(uid);
    const c = p?.containers.find((x) => x.id === id);
    if (p && c) this.queueSync(p, c);
  }

  private resync(): void {
    for (const p of this.pods.values())
      for (const c of p.containers) if (c.id && !c.timer) this.queueSync(p, c);
  }

  // ---- helpers -------------------------------------------------------------------------

  private listContainers(label: string): Promise<ContainerInfo[]> {
    return this.docker.listContainers({ all: true, filters: { label: [label] } });
  }

  /** Tells the listeners when the pod's reported status changed. */
  private changed(p: DockerPod): void {
    if (this.pods.get(p.spec.uid) !== p) return;
    const report = JSON.stringify(this.podStatus(p.spec.uid));
    if (report === p.lastReported) return;
    p.lastReported = report;
    for (const l of this.listeners) l(p.spec.uid);
  }
}

/** The docker runtime (see {@link DockerRuntime}); no request is made before first use. */
export function createDockerRuntime(opts: DockerRuntimeOptions): DockerRuntime {
  return new DockerRuntime(opts);
}
