/**
 * The `docker` runtime: each container of a pod is a Docker container, driven over the
 * Docker Engine API (dockerode). Like kubelet's dockershim:
 *
 * - containers are named `berth_<ns>_<pod>_<container>_<uid8>` and labelled with the pod's
 *   uid, name, namespace and container name, plus the pod spec and the instance number, so
 *   a restarted agent re-adopts them from Docker alone (`listPods`, `runPod`);
 * - restarts are the runtime's (Docker's restart policy is `no`): an exited container is
 *   restarted per `restartPolicy` with CrashLoopBackOff (10 s doubling to 5 min, reset after
 *   10 min running) as a *new* container; the last exited one is kept, renamed
 *   `<name>_previous`, for `logs --previous`;
 * - a missing image is pulled (ContainerCreating, then ErrImagePull / ImagePullBackOff);
 * - ports are published on ports Docker chooses, reported as `hostPorts`, the pod's IP being
 *   the node's; probes reach them there (exec probes run through `docker exec`);
 * - status follows Docker's event stream (containers with a Berth label) and a periodic
 *   inspect of every container, which also covers events lost while reconnecting.
 *
 * Not like Kubernetes: the containers of a pod do not share a network namespace (no pause
 * container), and `$(VAR)` references in command and args are not expanded.
 */
import { ApiError, errors } from '@berth/core';
import Docker from 'dockerode';
import type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo } from 'dockerode';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type {
  ContainerSpec,
  ContainerState,
  LogOptions,
  PodSpecForRuntime,
  PodStatusReport,
  ProbeSpec,
  Runtime,
  RuntimeLogger,
} from '../types';
import {
  ContainerConfigError,
  LABELS,
  containerName,
  createBody,
  dockerTime,
  hostPortsOf,
  podSpecFromLabels,
  previousName,
} from './container-config';
import { DockerLogDemuxer } from './log-demux';
import { podStatusReport } from '../phase';
import { httpCheck, tcpCheck, withTimeout, type ProbeResult } from '../probe-checks';

/** The logger the runtime writes to (the agent's logger fits). */
export type DockerRuntimeLogger = RuntimeLogger;

export interface DockerRuntimeOptions {
  /**
   * The engine's unix socket. Default: dockerode's — `DOCKER_HOST` when set (unix://,
   * tcp://, ssh://), else /var/run/docker.sock.
   */
  socketPath?: string;
  /** The node's address: the pods' IP, where published ports and probes are reached. */
  nodeIP: string;
  log: DockerRuntimeLogger;
  /** CrashLoopBackOff and image pull back-off: first delay, doubled up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A container running this long resets its back-off. Default 10 min. */
  backoffResetMs?: number;
  /** Every container is inspected this often besides the events. Default 10 s. */
  resyncIntervalMs?: number;
  /** Wait before re-opening a broken event stream. Default 1 s. */
  eventsRetryMs?: number;
  /** A dockerode client to use instead of one built from `socketPath` (tests, TLS set-ups). */
  docker?: Docker;
}

type ProbeKind = 'startup' | 'liveness' | 'readiness';

interface ProbeRun {
  kind: ProbeKind;
  spec: ProbeSpec;
  successes: number;
  failures: number;
  timer?: NodeJS.Timeout;
}

interface PodContainer {
  spec: ContainerSpec;
  name: string;
  /** The current Docker container (running, exited, or about to be replaced). */
  id?: string;
  /** The last exited instance, kept for `logs --previous`. */
  previousId?: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  hostPorts: Record<number, number>;
  ipAddress?: string;
  /** The instance `state.running` describes. */
  runningId?: string;
  runningSinceMs?: number;
  /** The instance whose exit was already acted on. */
  exitHandledFor?: string;
  backoffMs: number;
  pullBackoffMs: number;
  pullFailures: number;
  timer?: NodeJS.Timeout;
  probes: ProbeRun[];
  /** Operations on one container run one after the other. */
  chain: Promise<void>;
  syncQueued: boolean;
}

interface DockerPod {
  spec: PodSpecForRuntime;
  startTime: string;
  containers: PodContainer[];
  stopping: boolean;
  abort: AbortController;
  followers: Set<{ raw: NodeJS.ReadableStream; out: Readable }>;
  lastReported?: string;
}

const DEFAULTS = {
  initialBackoffMs: 10_000,
  maxBackoffMs: 300_000,
  backoffResetMs: 600_000,
  resyncIntervalMs: 10_000,
  eventsRetryMs: 1_000,
};

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number } | undefined)?.statusCode;
}

function message(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return e?.json?.message ?? e?.message ?? String(err);
}

export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  private readonly docker: Docker;
  private readonly opts: typeof DEFAULTS & { nodeIP: string; log: DockerRuntimeLogger };
  private readonly pods = new Map<string, DockerPod>();
  private readonly listeners: Array<(uid: string) => void> = [];
  private watching = false;
  private events?: NodeJS.ReadableStream;
  private eventsTimer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(options: DockerRuntimeOptions) {
    const { socketPath, docker, nodeIP, log, ...tuning } = options;
    this.docker = docker ?? (socketPath ? new Docker({ socketPath }) : new Docker());
    const defined = Object.fromEntries(
      Object.entries(tuning).filter(([, v]) => v !== undefined),
    ) as Partial<typeof DEFAULTS>;
    this.opts = { ...DEFAULTS, ...defined, nodeIP, log };
  }

  // ---- the Runtime interface -----------------------------------------------------------

  async runPod(pod: PodSpecForRuntime): Promise<void> {
    if (this.closed) throw new Error('the docker runtime is closed');
    if (this.pods.has(pod.uid)) return;
    const p = this.newPod(structuredClone(pod), now());
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
    await Promise.all(
      [...ids].map(async (id) => {
        const container = this.docker.getContainer(id);
        try {
          await container.stop({ t: grace });
        } catch (err) {
          // 304: already stopped; 404: already gone.
          if (statusCode(err) !== 304 && statusCode(err) !== 404) throw err;
        }
        try {
          await container.remove({ force: true, v: true });
        } catch (err) {
          if (statusCode(err) !== 404) throw err;
        }
      }),
    );
    if (p && this.pods.get(uid) === p) {
      this.pods.delete(uid);
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
    const base = {
      stdout: true,
      stderr: true,
      timestamps: !!opts.timestamps,
      ...(opts.tailLines !== undefined ? { tail: opts.tailLines } : {}),
      ...(opts.sinceSeconds !== undefined
        ? { since: Math.floor(Date.now() / 1000) - opts.sinceSeconds }
        : {}),
    };
    const out = new DockerLogDemuxer();
    const container = this.docker.getContainer(id);
    try {
      if (opts.follow && !opts.previous) {
        const raw = await container.logs({ ...base, follow: true });
        const follower = { raw, out };
        p.followers.add(follower);
        raw.pipe(out);
        raw.on('error', (err: Error) => out.destroy(err));
        out.on('close', () => {
          p.followers.delete(follower);
          (raw as IncomingMessage).destroy?.();
        });
      } else {
        const data: unknown = await container.logs({ ...base, follow: false });
        out.end(
          Buffer.isBuffer(data)
            ? data
            : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
        );
      }
    } catch (err) {
      if (statusCode(err) === 404)
        throw new ApiError(
          404,
          'NotFound',
          `container "${c.spec.name}" in pod "${p.spec.name}" is gone from Docker`,
        );
      throw err;
    }
    return out;
  }

  onChange(listener: (uid: string) => void): void {
    this.listeners.push(listener);
  }

  async close(opts: { stopPods?: boolean } = {}): Promise<void> {
    if (opts.stopPods) for (const uid of [...this.pods.keys()]) await this.stopPod(uid);
    this.closed = true;
    clearTimeout(this.eventsTimer);
    clearInterval(this.resyncTimer);
    (this.events as IncomingMessage | undefined)?.destroy?.();
    this.events = undefined;
    for (const p of this.pods.values()) {
      p.abort.abort();
      for (const c of p.containers) this.quiet(c);
      for (const f of p.followers) f.out.destroy();
    }
    await Promise.all([...this.pods.values()].flatMap((p) => p.containers.map((c) => c.chain)));
  }

  // ---- adoption ------------------------------------------------------------------------

  private newPod(spec: PodSpecForRuntime, startTime: string): DockerPod {
    return {
      spec,
      startTime,
      stopping: false,
      abort: new AbortController(),
      followers: new Set(),
      containers: spec.containers.map((c) => ({
        spec: c,
        name: containerName(spec, c.name),
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        ready: false,
        started: false,
        restartCount: 0,
        hostPorts: {},
        backoffMs: this.opts.initialBackoffMs,
        pullBackoffMs: this.opts.initialBackoffMs,
        pullFailures: 0,
        probes: [],
        chain: Promise.resolve(),
        syncQueued: false,
      })),
    };
  }

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
    const p = this.newPod(spec, newest[0].Labels?.[LABELS.podStartTime] ?? now());
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
      body = createBody(p.spec, c.spec, c.restartCount, p.startTime);
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
        c.state = { running: { startedAt } };
        c.started = !c.spec.startupProbe;
        c.ready = !c.spec.readinessProbe && c.started;
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
    c.runningId = undefined;
    c.runningSinceMs = undefined;
    // Docker releases the published ports of a stopped container.
    c.hostPorts = {};
    c.ready = false;
    c.started = false;
    const policy = p.spec.restartPolicy;
    const restart = policy === 'Always' || (policy === 'OnFailure' && terminated.exitCode !== 0);
    if (!restart) {
      this.setState(p, c, { terminated });
      return;
    }
    // kubelet: the back-off resets after a long enough run, else doubles up to the cap.
    if (ranMs >= this.opts.backoffResetMs) c.backoffMs = this.opts.initialBackoffMs;
    const delay = c.backoffMs;
    c.backoffMs = Math.min(c.backoffMs * 2, this.opts.maxBackoffMs);
    c.lastState = { terminated };
    c.restartCount += 1;
    this.setState(p, c, {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${goDuration(delay)} restarting failed container=${c.spec.name} pod=${p.spec.name}_${p.spec.namespace}(${p.spec.uid})`,
      },
    });
    this.later(p, c, delay, () => this.restart(p, c));
  }

  /** Keeps the exited instance as the previous one and launches a new instance. */
  private async restart(p: DockerPod, c: PodContainer): Promise<void> {
    const old = c.id;
    if (old) {
      // Only one previous instance is kept (a failed removal shows in the rename below).
      if (c.previousId && c.previousId !== old)
        await this.docker
          .getContainer(c.previousId)
          .remove({ force: true })
          .catch(() => undefined);
      c.previousId = undefined;
      try {
        await this.docker.getContainer(old).rename({ name: previousName(c.name) });
        c.previousId = old;
      } catch (err) {
        if (statusCode(err) !== 404) {
          // Cannot keep it (the name is taken?): make room for the new instance anyway.
          this.opts.log.warn('docker: cannot keep the previous container, removing it', {
            container: c.name,
            error: message(err),
          });
          await this.docker
            .getContainer(old)
            .remove({ force: true })
            .catch(() => undefined);
        }
      }
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
      await this.pull(image, p.abort.signal);
      this.opts.log.info('docker: pulled image', { image });
      c.pullFailures = 0;
      c.pullBackoffMs = this.opts.initialBackoffMs;
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
      const delay = c.pullBackoffMs;
      c.pullBackoffMs = Math.min(c.pullBackoffMs * 2, this.opts.maxBackoffMs);
      this.later(p, c, delay, () => this.launch(p, c));
      return false;
    }
  }

  private async pull(image: string, signal: AbortSignal): Promise<void> {
    const stream = await this.docker.pull(image, { abortSignal: signal });
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (
          err: Error | null,
          output: Array<{ error?: string; errorDetail?: { message?: string } }>,
        ) => {
          // A pull that fails midway still ends the stream normally, with an error line.
          const failed = output?.find((o) => o.error || o.errorDetail);
          if (err) reject(err);
          else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
          else resolve();
        },
      );
    });
  }

  private retryLater(p: DockerPod, c: PodContainer): void {
    const delay = c.backoffMs;
    c.backoffMs = Math.min(c.backoffMs * 2, this.opts.maxBackoffMs);
    this.later(p, c, delay, () => this.launch(p, c));
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
    if (c.spec.startupProbe) this.probe(p, c, id, 'startup', c.spec.startupProbe);
    else this.afterStartup(p, c, id);
  }

  private afterStartup(p: DockerPod, c: PodContainer, id: string): void {
    if (c.spec.livenessProbe) this.probe(p, c, id, 'liveness', c.spec.livenessProbe);
    if (c.spec.readinessProbe) this.probe(p, c, id, 'readiness', c.spec.readinessProbe);
  }

  private stopProbes(c: PodContainer): void {
    for (const r of c.probes) clearTimeout(r.timer);
    c.probes = [];
  }

  private probe(p: DockerPod, c: PodContainer, id: string, kind: ProbeKind, spec: ProbeSpec): void {
    const run: ProbeRun = { kind, spec, successes: 0, failures: 0 };
    c.probes.push(run);
    const periodMs = (spec.periodSeconds ?? 10) * 1000;
    const live = () => c.probes.includes(run) && c.runningId === id && !p.stopping && !this.closed;
    const tick = async () => {
      if (!live()) return;
      const result = await this.check(p, c, id, spec);
      if (!live()) return;
      if (result.ok) {
        run.failures = 0;
        run.successes += 1;
      } else {
        run.successes = 0;
        run.failures += 1;
      }
      const successThreshold = kind === 'readiness' ? (spec.successThreshold ?? 1) : 1;
      const failureThreshold = spec.failureThreshold ?? 3;
      if (kind === 'startup' && run.successes >= 1) {
        c.probes = c.probes.filter((r) => r !== run);
        c.started = true;
        c.ready = !c.spec.readinessProbe;
        this.changed(p);
        this.afterStartup(p, c, id);
        return;
      }
      if (kind === 'readiness') {
        if (run.successes >= successThreshold && !c.ready) {
          c.ready = true;
          this.changed(p);
        } else if (run.failures >= failureThreshold && c.ready) {
          c.ready = false;
          this.changed(p);
        }
      } else if (run.failures >= failureThreshold) {
        this.opts.log.info(`docker: ${kind} probe failed, killing the container`, {
          pod: `${p.spec.namespace}/${p.spec.name}`,
          container: c.spec.name,
          reason: result.message,
        });
        this.stopProbes(c);
        // Its exit arrives as an event and is handled per restartPolicy.
        this.docker
          .getContainer(id)
          .stop({ t: p.spec.terminationGracePeriodSeconds })
          .catch(() => undefined)
          .finally(() => this.queueSync(p, c));
        return;
      }
      run.timer = setTimeout(() => void tick(), periodMs);
    };
    run.timer = setTimeout(() => void tick(), (spec.initialDelaySeconds ?? 0) * 1000);
  }

  private check(p: DockerPod, c: PodContainer, id: string, spec: ProbeSpec): Promise<ProbeResult> {
    const timeoutMs = (spec.timeoutSeconds ?? 1) * 1000;
    if (spec.exec) {
      const cmd = spec.exec.command;
      return withTimeout(() => this.execCheck(id, cmd), timeoutMs, 'exec probe');
    }
    const target = spec.httpGet ?? spec.tcpSocket;
    if (!target) return Promise.resolve({ ok: true });
    const where = this.probeAddress(c, target.port, target.host);
    if ('message' in where) return Promise.resolve({ ok: false, message: where.message });
    if (spec.httpGet)
      return httpCheck(
        spec.httpGet.scheme ?? 'HTTP',
        where.host,
        where.port,
        spec.httpGet.path ?? '/',
        timeoutMs,
      );
    return tcpCheck(where.host, where.port, timeoutMs);
  }

  /** A probe's port: published on the node (nodeIP:hostPort), else the container's own IP. */
  private probeAddress(
    c: PodContainer,
    port: number | string,
    host?: string,
  ): { host: string; port: number } | { message: string } {
    const containerPort =
      typeof port === 'number' || /^\d+$/.test(port)
        ? Number(port)
        : c.spec.ports?.find((x) => x.name === port)?.containerPort;
    if (containerPort === undefined)
      return { message: `port "${port}" is not a named port of container ${c.spec.name}` };
    if (host) return { host, port: containerPort };
    const hostPort = c.hostPorts[containerPort];
    if (hostPort) return { host: this.opts.nodeIP, port: hostPort };
    if (c.ipAddress) return { host: c.ipAddress, port: containerPort };
    return { message: `port ${containerPort} of container ${c.spec.name} is not published` };
  }

  private async execCheck(id: string, cmd: string[]): Promise<ProbeResult> {
    const exec = await this.docker.getContainer(id).exec({
      Cmd: cmd,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ Detach: false, Tty: false });
    const output: Buffer[] = [];
    const demux = new DockerLogDemuxer();
    demux.on('data', (b: Buffer) => output.push(b));
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      demux.on('end', resolve);
      stream.pipe(demux);
    });
    const info = await exec.inspect();
    if (info.ExitCode === 0) return { ok: true };
    const text = Buffer.concat(output).toString().trim().slice(0, 1024);
    return {
      ok: false,
      message: `command ${JSON.stringify(cmd)} exited with ${info.ExitCode}${text ? `: ${text}` : ''}`,
    };
  }

  // ---- events and resync ---------------------------------------------------------------

  /** Starts following Docker's events and the periodic inspect (once). */
  private watch(): void {
    if (this.watching || this.closed) return;
    this.watching = true;
    void this.openEvents();
    this.resyncTimer = setInterval(() => this.resync(), this.opts.resyncIntervalMs);
  }

  private async openEvents(): Promise<void> {
    if (this.closed) return;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.getEvents({
        filters: { type: ['container'], label: [LABELS.podUID] },
      });
    } catch (err) {
      this.opts.log.warn('docker: cannot follow the event stream, retrying', {
        error: message(err),
      });
      this.eventsTimer = setTimeout(() => void this.openEvents(), this.opts.eventsRetryMs);
      return;
    }
    if (this.closed) {
      (stream as IncomingMessage).destroy?.();
      return;
    }
    this.events = stream;
    // Whatever happened while the stream was not open.
    this.resync();
    let buffered = '';
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        try {
          this.onEvent(JSON.parse(line) as DockerEvent);
        } catch {
          this.opts.log.debug('docker: unreadable event', { line });
        }
      }
    });
    let ended = false;
    const reopen = () => {
      if (ended) return;
      ended = true;
      if (this.events === stream) this.events = undefined;
      if (this.closed) return;
      this.opts.log.warn('docker: the event stream ended, re-opening it');
      this.eventsTimer = setTimeout(() => void this.openEvents(), this.opts.eventsRetryMs);
    };
    stream.on('end', reopen);
    stream.on('close', reopen);
    stream.on('error', reopen);
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

interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** A delay as Go prints a time.Duration (kubelet's messages): `10s`, `5m0s`, `50ms`. */
function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${s % 60}s`;
}

function instanceOf(info: ContainerInfo): number {
  const n = Number(info.Labels?.[LABELS.restartCount]);
  return Number.isFinite(n) ? n : 0;
}

/** The docker runtime (see {@link DockerRuntime}); no request is made before first use. */
export function createDockerRuntime(opts: DockerRuntimeOptions): DockerRuntime {
  return new DockerRuntime(opts);
}

/** Whether a Docker engine answers at `socketPath` (dockerode's default when omitted). */
export async function pingDocker(socketPath?: string, timeoutMs = 2000): Promise<boolean> {
  const docker = socketPath ? new Docker({ socketPath, timeout: timeoutMs }) : new Docker();
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}
