/**
 * The `process` runtime: a pod's containers are real processes of the node, like
 * containerd's but without images or namespaces.
 *
 * - A container runs `command` + `args` (Kubernetes semantics: `command` replaces the
 *   image's entrypoint, `$(VAR)` is expanded from the container's env, `$$` escapes), with
 *   `env` and `workingDir` (default `<dataDir>/pods/<uid>/work`; a relative one is taken
 *   from there), the executable looked up in PATH. Each container is its own session and
 *   process group (`detached`), so the whole group can be signalled and it outlives the
 *   agent.
 * - `image` is informational, with one mapping: when `command` is empty, an image `node`
 *   or `node:<tag>` runs `node` with `args`. Any other image without `command` leaves the
 *   container waiting with reason `CreateContainerError`.
 * - The environment is PATH (the agent's), HOME (the working directory), HOSTNAME (the
 *   pod's name), POD_NAME, POD_NAMESPACE, POD_UID, POD_IP and HOST_IP (the node's
 *   address), PORT (the host port of the first declared port) and `BERTH_PORT_<n>` (the
 *   host port of containerPort n), then the container's `env`, which may override them.
 *   Nothing else of the agent's environment is passed on.
 * - Ports: pods share the node's network, so each `containerPort` gets a free node port
 *   from `portRange` (default 40000–44999), kept across restarts, freed when the pod stops,
 *   and reported as `hostPorts`; the program must listen on `$PORT` / `$BERTH_PORT_<n>`.
 *   A port with a `hostPort` is published on exactly that port (the scheduler keeps two
 *   pods asking for it off one node); if something else holds it, the pod is not started.
 * - Logs: see log-files.ts (the child writes straight into an append-mode file; line
 *   times are recorded beside it).
 * - Restarts per `restartPolicy` with kubelet's CrashLoopBackOff (lifecycle/restart-manager.ts);
 *   probes as kubelet runs them (lifecycle/prober.ts; durations may be fractional seconds
 *   here, which the API would not accept).
 * - Memory limit: cgroup v2 when the host delegates one (see cgroup.ts), else every
 *   `memoryCheckIntervalMs` the resident memory of the container's process group is
 *   summed and the group killed (SIGKILL) above the limit: `OOMKilled`, exit code 137.
 *   RSS watching cannot see a process that left the group (setsid/setpgid) and lets a
 *   fast allocator overshoot for up to one interval.
 * - State (pods, pids with their start times, ports, restart counts; state-file.ts) is
 *   written to `<dataDir>/process-runtime.json` (atomically) whenever a container starts or
 *   ends and a pod starts or stops, and on close(); the next runtime on the same
 *   `dataDir` re-adopts the processes still running and restarts per policy those that
 *   died meanwhile. The exit code of a process that was not this runtime's child cannot be
 *   known: its termination is reported as kubelet reports a lost container, reason
 *   `ContainerStatusUnknown` and exit code 137.
 * - Users (`podUsers`, which the agent sets when it runs as root; see identity.ts and
 *   users-and-dirs.ts): each pod runs as an unprivileged uid/gid of its own (or its
 *   `runAsUser`/`runAsGroup`) with no capabilities and `no_new_privs`, through setpriv.
 *   Pods' directories are then
 *   `<podsDir>` and `<podsDir>/<uid>` (0711 root: reachable, not listable),
 *   `<uid>/work` (0700, the pod's user) and `<uid>/logs` (0700 root: the child writes its
 *   log through the descriptor the runtime opened, so a pod cannot swap its log file for a
 *   link to something the agent would then read or truncate). The state directory is 0700
 *   and the state file 0600. Without `podUsers`, containers run as the agent's user.
 * - No other isolation: pods share the node's network (loopback included), see every
 *   file their user may read and every process. Surviving the agent needs a supervisor
 *   that kills only the agent (systemd: `KillMode=process`; the default `control-group`
 *   takes the containers along).
 */
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Prober } from '../lifecycle/prober';
import { RestartManager, type ContainerExit } from '../lifecycle/restart-manager';
import { podStatusReport } from '../phase';
import { runProbe } from '../probe-checks';
import type { LogOptions, PodSpecForRuntime, PodStatusReport, Runtime } from '../types';
import { CgroupV2 } from './cgroup';
import { killUser, podIdentity } from './identity';
import { detectMountNamespaces } from './mounts';
import * as vol from '../volumes';
import { planLaunch, probeTarget, spawnContainer, type LaunchContext } from './launch';
import { InstanceLog, LOG_TICK_MS, logStream, removeInstanceLogs } from './log-files';
import {
  exitOf,
  newContainer,
  now,
  where,
  type Instance,
  type KillReason,
  type ProcContainer,
  type ProcessRuntimeLogger,
  type ProcessRuntimeOptions,
  type ProcPod,
} from './model';
import { killOverLimit, memoryEnforcement, memoryLimit } from './memory';
import { allocatePodPorts, PortAllocator } from './ports';
import { processEndpoint } from './probes';
import { isSameProcess, readStat, signalGroup, stopGroup, waitGroupGone } from './proc';
import { readState, restoredContainer, stateFile, writeState } from './state-file';
import { PodUsers } from './users-and-dirs';

export type { ProcessRuntimeLogger, ProcessRuntimeOptions } from './model';

const ADOPTED_POLL_MS = 500;

export class ProcessRuntime implements Runtime {
  readonly name = 'process' as const;
  private readonly pods = new Map<string, ProcPod>();
  private readonly listeners: Array<(uid: string) => void> = [];
  private readonly ports: PortAllocator;
  private readonly log: ProcessRuntimeLogger;
  private readonly restarts: RestartManager;
  private readonly cfg: {
    memoryCheckIntervalMs: number;
    logMaxBytes: number;
    logFiles: number;
    path: string;
  };
  private readonly cgroup?: CgroupV2;
  private readonly podsDir: string;
  private readonly users: PodUsers;
  private readonly ctx: LaunchContext;
  private readonly tickers: NodeJS.Timeout[] = [];
  private closed = false;
  private closing?: Promise<void>;

  constructor(private readonly opts: ProcessRuntimeOptions) {
    // Children run elsewhere (their working directory): every path is made absolute.
    this.opts = { ...opts, dataDir: path.resolve(opts.dataDir) };
    this.log = opts.log;
    this.restarts = new RestartManager(opts);
    this.cfg = {
      memoryCheckIntervalMs: opts.memoryCheckIntervalMs ?? 1000,
      logMaxBytes: opts.logMaxBytes ?? 10 * 1024 * 1024,
      logFiles: opts.logFiles ?? 2,
      path: opts.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    };
    this.ports = new PortAllocator(opts.portRange ?? [40000, 44999]);
    // The state file holds every pod's spec (its env too): for the agent's eyes only.
    mkdirSync(this.opts.dataDir, { recursive: true, mode: 0o700 });
    chmodSync(this.opts.dataDir, 0o700);
    this.podsDir = path.resolve(opts.podsDir ?? path.join(this.opts.dataDir, 'pods'));
    this.users = PodUsers.create(
      opts.podUsers,
      this.cfg.path,
      this.opts.dataDir,
      this.podsDir,
      this.log,
    );
    const unshare = detectMountNamespaces(this.cfg.path, this.log);
    this.ctx = {
      users: this.users,
      path: this.cfg.path,
      nodeIP: this.opts.nodeIP,
      log: this.log,
      unshare,
    };
    this.cgroup = memoryEnforcement(opts.cgroups !== false, this.log);
    this.load();
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(() => {
        try {
          fn();
        } catch (e) {
          this.log.error('process runtime housekeeping failed', { error: String(e) });
        }
      }, ms);
      t.unref();
      this.tickers.push(t);
    };
    every(LOG_TICK_MS, () => this.logTick());
    every(ADOPTED_POLL_MS, () => this.adoptedTick());
    every(this.cfg.memoryCheckIntervalMs, () => this.memoryTick());
  }

  // ---- Runtime -------------------------------------------------------------------------

  async runPod(pod: PodSpecForRuntime): Promise<void> {
    if (this.closing) throw new Error('the process runtime is closed');
    if (this.pods.has(pod.uid)) return;
    const p: ProcPod = {
      spec: structuredClone(vol.withoutVolumeFiles(pod)), // volume files: on disk only
      startTime: now(),
      dir: path.join(this.podsDir, pod.uid),
      containers: pod.containers.map(newContainer),
    };
    const allocator = this.users.users?.allocator;
    try {
      if (allocator)
        p.identity = podIdentity(pod.securityContext, () => allocator.allocate(pod.uid));
      this.users.preparePodDirs(p);
      vol.materializeVolumes(p.dir, pod.volumes ?? [], p.identity);
    } catch (e) {
      if (p.identity?.allocated) allocator?.release(p.identity.uid, pod.uid);
      throw e;
    }
    this.pods.set(pod.uid, p);
    for (const c of p.containers) c.memoryLimit = memoryLimit(p, c, this.log);
    try {
      if (!(await this.allocatePorts(p))) return;
    } catch (e) {
      if (this.pods.get(pod.uid) === p && !p.stopping) {
        this.pods.delete(pod.uid);
        if (p.identity?.allocated) allocator?.release(p.identity.uid, pod.uid);
      }
      throw e;
    }
    for (const c of p.containers) this.startContainer(p, c);
    this.persist();
    this.changed(pod.uid);
  }

  updateVolumes(uid: string, volumes: vol.RuntimeVolume[]): void {
    const p = this.pods.get(uid);
    if (p && !p.stopping) vol.rewriteVolumes(p.dir, volumes, p.identity);
  }

  private allocatePorts(p: ProcPod): Promise<boolean> {
    return allocatePodPorts(this.ports, p.containers, () => this.isCurrent(p));
  }
  async stopPod(uid: string, gracePeriodSeconds?: number): Promise<void> {
    const p = this.pods.get(uid);
    if (!p) return;
    p.stopping ??= (async () => {
      const graceMs = (gracePeriodSeconds ?? p.spec.terminationGracePeriodSeconds) * 1000;
      for (const c of p.containers) this.quiet(c);
      await Promise.all(p.containers.map((c) => this.killInstance(c, graceMs, 'stop')));
      for (const c of p.containers) {
        c.log?.finish();
        for (const port of Object.values(c.hostPorts)) this.ports.release(port);
      }
      // What the pod left running outside its groups goes too, before its uid is freed.
      if (p.identity?.allocated) {
        for (let i = 0; i < 100 && killUser(p.identity.uid) > 0; i++)
          await new Promise((r) => setTimeout(r, 20));
        this.users.users?.allocator.release(p.identity.uid, uid);
      }
      this.pods.delete(uid);
      rmSync(p.dir, { recursive: true, force: true });
      this.persist();
      this.log.info('pod stopped', { ...where(p), uid });
      this.changed(uid);
    })();
    return p.stopping;
  }

  async listPods(): Promise<PodStatusReport[]> {
    return [...this.pods.keys()].map((uid) => this.podStatus(uid)!);
  }

  podStatus(uid: string): PodStatusReport | undefined {
    const p = this.pods.get(uid);
    if (!p) return undefined;
    return podStatusReport(
      { ...p.spec, startTime: p.startTime, podIP: this.opts.nodeIP },
      p.containers,
      (i) => p.containers[i].containerID,
    );
  }

  async logs(uid: string, opts: LogOptions): Promise<Readable> {
    const p = this.pods.get(uid);
    if (!p) throw new Error(`pod ${uid} is not running on this node`);
    const c = p.containers.find((x) => x.spec.name === opts.container);
    if (!c)
      throw new Error(
        `container "${opts.container}" is not in pod ${p.spec.namespace}/${p.spec.name}`,
      );
    let no: number;
    if (opts.previous) {
      if (c.prevInstanceNo === undefined)
        throw new Error(
          `previous terminated container "${c.spec.name}" in pod "${p.spec.name}" not found`,
        );
      no = c.prevInstanceNo;
    } else {
      if (c.lastInstanceNo < 0)
        throw new Error(
          `container "${c.spec.name}" in pod "${p.spec.name}" is waiting to start: ${c.state.waiting?.reason ?? 'unknown'}`,
        );
      no = c.lastInstanceNo;
    }
    const live = c.instance && c.log?.instance === no ? c.log : undefined;
    const log = live ?? (c.log?.instance === no ? c.log : undefined) ?? this.instanceLog(p, c, no);
    return logStream(log, !!live, opts);
  }

  onChange(listener: (uid: string) => void): void {
    this.listeners.push(listener);
  }

  close(opts: { stopPods?: boolean } = {}): Promise<void> {
    this.closing ??= this.shutDown(opts);
    return this.closing;
  }

  private async shutDown(opts: { stopPods?: boolean }): Promise<void> {
    if (opts.stopPods) await Promise.all([...this.pods.keys()].map((uid) => this.stopPod(uid)));
    await Promise.all([...this.pods.values()].map((p) => p.stopping));
    this.closed = true;
    for (const t of this.tickers) clearInterval(t);
    for (const p of this.pods.values())
      for (const c of p.containers) {
        this.quiet(c);
        c.log?.detach();
      }
    this.persist();
  }
  // ---- starting ------------------------------------------------------------------------

  private startContainer(p: ProcPod, c: ProcContainer): void {
    c.restartTimer = undefined;
    if (!this.isCurrent(p)) return;
    const spec = c.spec;
    const plan = planLaunch(p, c, this.ctx);
    if ('waiting' in plan) {
      c.state = { waiting: plan.waiting };
      this.persist();
      this.changed(p.spec.uid);
      return;
    }
    const no = c.restartCount;
    if ('startError' in plan) {
      this.startFailed(p, c, no, plan.startError);
      return;
    }
    const { argv } = plan;
    const logDir = path.join(p.dir, 'logs', spec.name);
    let fd: number;
    try {
      this.users.makeWorkDir(p, plan.who, plan.workDir, plan.env);
      mkdirSync(logDir, { recursive: true, mode: 0o700 });
      removeInstanceLogs(
        logDir,
        [no, c.prevInstanceNo ?? -1, c.lastInstanceNo],
        readdirSync(logDir),
      );
      c.log = this.instanceLog(p, c, no);
      fd = c.log.openForChild();
    } catch (e) {
      this.startFailed(p, c, no, `cannot prepare the container: ${(e as Error).message}`);
      return;
    }
    c.lastInstanceNo = no;
    let started;
    try {
      started = spawnContainer(plan, fd, this.ctx, {
        cgroup: this.cgroup,
        name: `${p.spec.uid}-${spec.name}-${no}`,
        limit: c.memoryLimit,
      });
    } catch (e) {
      this.startFailed(p, c, no, (e as Error).message);
      return;
    }
    const { child, cgroup } = started;
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', (e) => this.startFailed(p, c, no, e.message));
      return;
    }
    const inst: Instance = {
      no,
      pid,
      startTicks: readStat(pid)?.startTicks ?? 0,
      startedAt: now(),
      startedMs: Date.now(),
      child: true,
      ...(cgroup ? { cgroup } : {}),
    };
    child.once('exit', (code, signal) => this.instanceExited(p, c, inst, { code, signal }));
    this.began(p, c, inst);
    this.log.debug('container started', {
      ...where(p, c),
      pid,
      command: argv,
    });
  }

  /**
   * A new instance is running, or a re-adopted one carries on (`carried`: what the previous
   * runtime knew of its probes still holds).
   */
  private began(p: ProcPod, c: ProcContainer, inst: Instance, carried = false): void {
    c.instance = inst;
    c.containerID = `process://${inst.pid}`;
    c.state = { running: { startedAt: inst.startedAt } };
    c.prober?.stop();
    c.prober = new Prober(
      c,
      {
        check: (_kind, spec) => runProbe(spec, processEndpoint(probeTarget(p, c, this.ctx))),
        alive: () => this.isCurrent(p) && c.instance === inst && !inst.killing,
        onChange: () => this.changed(p.spec.uid),
        onAttemptFailed: (kind, message) =>
          this.log.debug(`${kind} probe failed`, { ...where(p, c), message }),
        onFailure: (kind, message) => {
          this.log.info(`container failed its ${kind} probe: restarting it`, {
            ...where(p, c),
            message,
          });
          void this.killInstance(c, p.spec.terminationGracePeriodSeconds * 1000, kind);
        },
      },
      inst.startedMs,
      carried,
    );
    this.persist();
    this.changed(p.spec.uid);
  }

  private startFailed(p: ProcPod, c: ProcContainer, no: number, message: string): void {
    this.log.warn('container failed to start', { ...where(p, c), message });
    c.lastInstanceNo = no;
    const at = now();
    this.afterExit(p, c, {
      terminated: { exitCode: 128, reason: 'StartError', message, startedAt: at, finishedAt: at },
      ranMs: 0,
    });
  }

  private instanceLog(p: ProcPod, c: ProcContainer, no: number): InstanceLog {
    return new InstanceLog(
      path.join(p.dir, 'logs', c.spec.name),
      no,
      this.cfg.logMaxBytes,
      this.cfg.logFiles,
    );
  }

  // ---- exits and restarts --------------------------------------------------------------

  private instanceExited(
    p: ProcPod,
    c: ProcContainer,
    inst: Instance,
    how: { code: number | null; signal: NodeJS.Signals | null } | 'unknown',
  ): void {
    if (this.closed || c.instance !== inst) return;
    c.instance = undefined;
    c.prober?.stop();
    // The rest of the group goes with its leader, as a container's processes go with its
    // init process — unless the pid now leads someone else's group.
    const leader = readStat(inst.pid);
    if (!leader || leader.state === 'Z' || leader.startTicks === inst.startTicks)
      signalGroup(inst.pid, 'SIGKILL');
    if (inst.cgroup) {
      const cgroup = inst.cgroup;
      if (CgroupV2.oomKills(cgroup) > 0) inst.killing = 'OOMKilled';
      // A cgroup can be removed once its last process is gone.
      void waitGroupGone(inst.pid, 10_000).then(() => CgroupV2.remove(cgroup));
    }
    const terminated = exitOf(inst, how);
    c.log?.finish();
    this.log.debug('container exited', {
      ...where(p, c),
      pid: inst.pid,
      exitCode: terminated.exitCode,
      reason: terminated.reason,
    });
    this.afterExit(p, c, {
      terminated,
      ranMs: Date.now() - inst.startedMs,
      probeKilled: inst.killing === 'liveness' || inst.killing === 'startup',
    });
  }

  private afterExit(p: ProcPod, c: ProcContainer, exit: ContainerExit): void {
    const current = this.isCurrent(p);
    const decision = this.restarts.exited(p.spec, c.spec.name, c, exit, { podGoing: !current });
    if (decision.restart) {
      c.prevInstanceNo = c.lastInstanceNo;
      this.scheduleStart(p, c, decision.delayMs);
    } else {
      c.done = current;
    }
    this.persist();
    this.changed(p.spec.uid);
  }

  private scheduleStart(p: ProcPod, c: ProcContainer, delayMs: number): void {
    clearTimeout(c.restartTimer);
    c.restartTimer = setTimeout(() => this.startContainer(p, c), delayMs);
    c.restartTimer.unref();
  }

  /** No more restarts or probes for this container. */
  private quiet(c: ProcContainer): void {
    clearTimeout(c.restartTimer);
    c.prober?.stop();
  }

  /** Stops an instance (SIGTERM, `graceMs`, SIGKILL); resolves when its processes are gone. */
  private async killInstance(c: ProcContainer, graceMs: number, why: KillReason): Promise<void> {
    const inst = c.instance;
    if (!inst) return;
    inst.killing ??= why;
    const leader = readStat(inst.pid);
    // A reused pid (another program's group) is left alone.
    if (leader && leader.state !== 'Z' && leader.startTicks !== inst.startTicks) return;
    await stopGroup(inst.pid, graceMs);
  }

  private isCurrent(p: ProcPod): boolean {
    return !this.closed && !p.stopping && this.pods.get(p.spec.uid) === p;
  }

  // ---- housekeeping --------------------------------------------------------------------

  private *running(): Generator<{ p: ProcPod; c: ProcContainer; inst: Instance }> {
    for (const p of this.pods.values())
      for (const c of p.containers) if (c.instance) yield { p, c, inst: c.instance };
  }

  private logTick(): void {
    for (const { c } of this.running()) c.log?.tick();
  }

  /** Processes that are not our children cannot be waited for: they are polled. */
  private adoptedTick(): void {
    for (const { p, c, inst } of [...this.running()])
      if (!inst.child && !isSameProcess(inst.pid, inst.startTicks))
        this.instanceExited(p, c, inst, 'unknown');
  }

  private memoryTick(): void {
    killOverLimit(this.running(), this.log);
  }

  private changed(uid: string): void {
    for (const l of this.listeners) {
      try {
        l(uid);
      } catch (e) {
        this.log.error('an onChange listener threw', { error: String(e) });
      }
    }
  }

  // ---- persistence ---------------------------------------------------------------------

  /**
   * Written (atomically) at every start, exit and stop, so that a crash of the agent loses
   * no process; readiness flips wait for the next write (probes re-establish them).
   */
  private persist(): void {
    try {
      writeState(stateFile(this.opts.dataDir), this.pods.values());
    } catch (e) {
      this.log.error('cannot write the process runtime state', { error: String(e) });
    }
  }

  /** Re-adopts what a previous runtime on this dataDir left. */
  private load(): void {
    const stored = readState(stateFile(this.opts.dataDir));
    if (!stored.length) return;
    const exited: Array<{ p: ProcPod; c: ProcContainer; inst: Instance }> = [];
    // Pods the previous runtime closed on while it was giving them ports: never started.
    const unported: ProcPod[] = [];
    for (const sp of stored) {
      const p: ProcPod = {
        spec: sp.spec,
        startTime: sp.startTime,
        dir: path.join(this.podsDir, sp.spec.uid),
        containers: [],
      };
      this.users.restoreIdentity(p, sp.identity);
      this.pods.set(sp.spec.uid, p);
      const toStart: ProcContainer[] = [];
      for (const spec of sp.spec.containers) {
        const sc = sp.containers.find((x) => x.name === spec.name);
        const c = restoredContainer(spec, sc);
        c.memoryLimit = memoryLimit(p, c, this.log);
        p.containers.push(c);
        for (const port of Object.values(c.hostPorts)) this.ports.reserve(port);
        const si = sc?.instance;
        if (si) {
          const inst: Instance = { ...si, child: false };
          c.log = this.instanceLog(p, c, si.no);
          if (isSameProcess(si.pid, si.startTicks)) {
            this.log.info('re-adopted a running container', { ...where(p, c), pid: si.pid });
            this.began(p, c, inst, true);
          } else {
            c.instance = inst;
            exited.push({ p, c, inst });
          }
        } else if (!c.done && !c.state.terminated) {
          // Backing off or not started yet when the previous runtime stopped.
          toStart.push(c);
        }
      }
      const ported = p.containers.every((c) =>
        (c.spec.ports ?? []).every((port) => c.hostPorts[port.containerPort] !== undefined),
      );
      if (ported) for (const c of toStart) this.scheduleStart(p, c, 0);
      else unported.push(p);
    }
    this.users.users?.allocator.prune(new Set(this.pods.keys()));
    for (const { p, c, inst } of exited) this.instanceExited(p, c, inst, 'unknown');
    for (const p of unported)
      void this.allocatePorts(p).then(
        (ok) => ok && p.containers.forEach((c) => this.startContainer(p, c)),
        (e) => this.log.error('cannot give a pod its ports', { uid: p.spec.uid, error: String(e) }),
      );
    this.persist();
  }
}

export function createProcessRuntime(opts: ProcessRuntimeOptions): ProcessRuntime {
  return new ProcessRuntime(opts);
}
