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
 * - Restarts per `restartPolicy` with kubelet's CrashLoopBackOff; probes as kubelet runs
 *   them (durations may be fractional seconds here, which the API would not accept).
 * - Memory limit: cgroup v2 when the host delegates one (see cgroup.ts), else every
 *   `memoryCheckIntervalMs` the resident memory of the container's process group is
 *   summed and the group killed (SIGKILL) above the limit: `OOMKilled`, exit code 137.
 *   RSS watching cannot see a process that left the group (setsid/setpgid) and lets a
 *   fast allocator overshoot for up to one interval.
 * - State (pods, pids with their start times, ports, restart counts) is written to
 *   `<dataDir>/process-runtime.json` (atomically) whenever a container starts or ends and
 *   a pod starts or stops, and on close(); the next runtime on the same
 *   `dataDir` re-adopts the processes still running and restarts per policy those that
 *   died meanwhile. The exit code of a process that was not this runtime's child cannot be
 *   known: its termination is reported as kubelet reports a lost container, reason
 *   `ContainerStatusUnknown` and exit code 137.
 * - Users (`podUsers`, which the agent sets when it runs as root; see identity.ts): each
 *   pod runs as an unprivileged uid/gid of its own (or its `runAsUser`/`runAsGroup`) with
 *   no capabilities and `no_new_privs`, through setpriv. Pods' directories are then
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
import { execFileSync, spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants as fsConstants,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { parseQuantity } from '@berth/core';
import { podStatusReport } from '../phase';
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
import { CgroupV2 } from './cgroup';
import { buildEnv, expandVars } from '../expand';
import {
  containerIdentity,
  DEFAULT_POD_UID_RANGE,
  DEFAULT_UID_CLAIMS_DIR,
  findSetpriv,
  killUser,
  podIdentity,
  setprivArgs,
  UidAllocator,
  type ContainerIdentity,
  type PodIdentity,
} from './identity';
import { InstanceLog, LOG_TICK_MS, formatLine, removeInstanceLogs } from './log-files';
import { PortAllocator } from './ports';
import { probeTimings, runProbe, type ProbeTarget } from './probes';
import {
  HAS_PROC,
  isSameProcess,
  processGroups,
  readStat,
  rssBytes,
  signalGroup,
  stopGroup,
  waitGroupGone,
} from './proc';

export type ProcessRuntimeLogger = RuntimeLogger;

export interface ProcessRuntimeOptions {
  /** Where pods' working directories, logs and the state file live. */
  dataDir: string;
  /** The node's address: the pods' `podIP`, `POD_IP` and `HOST_IP`. */
  nodeIP: string;
  log: ProcessRuntimeLogger;
  /** Node ports for containers' ports. Default [40000, 44999]. */
  portRange?: [number, number];
  /**
   * CrashLoopBackOff: the delay before the second restart (the first is immediate, as
   * kubelet's), doubled per restart up to `maxBackoffMs`.
   */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A container running this long resets its back-off. Default 10 min. */
  backoffResetMs?: number;
  /** How often resident memory is compared with limits (without cgroups). Default 1 s. */
  memoryCheckIntervalMs?: number;
  /** A log file is rotated past this size. Default 10 MiB. */
  logMaxBytes?: number;
  /** Rotated log files kept per container instance. Default 2. */
  logFiles?: number;
  /** PATH of the containers (and for finding executables). Default: the agent's PATH. */
  path?: string;
  /** Use cgroup v2 for memory limits when possible. Default true. */
  cgroups?: boolean;
  /**
   * Where pods' working and log directories are (`<podsDir>/<pod uid>/`). Default
   * `<dataDir>/pods`. With `podUsers` every directory above it must be searchable by
   * others (pods reach their own directory by its path), so it cannot be under a 0700
   * data directory.
   */
  podsDir?: string;
  /**
   * Run each pod as an unprivileged user of its own (identity.ts): needs root and setpriv.
   * `uidRange` default 200000–265535; `claimsDir` (host-wide uid claims) default
   * /run/berth/pod-uids.
   */
  podUsers?: { uidRange?: [number, number]; claimsDir?: string };
}

type ProbeKind = 'startup' | 'liveness' | 'readiness';
type KillReason = 'OOMKilled' | 'liveness' | 'startup' | 'stop';

interface Instance {
  /** Instance number: the container's restartCount when it started (names its log). */
  no: number;
  pid: number;
  startTicks: number;
  startedAt: string;
  startedMs: number;
  /** False for a process re-adopted from a previous runtime (not our child). */
  child: boolean;
  /** Why the runtime is killing it, when it is. */
  killing?: KillReason;
  cgroup?: string;
}

interface ProbeState {
  timer?: NodeJS.Timeout;
  successes: number;
  failures: number;
}

interface ProcContainer {
  spec: ContainerSpec;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  backoffMs: number;
  hostPorts: Record<number, number>;
  instance?: Instance;
  /** The most recently started instance (-1: none yet) and lastState's instance. */
  lastInstanceNo: number;
  prevInstanceNo?: number;
  containerID?: string;
  /** Terminated for good (no restart under the pod's policy). */
  done: boolean;
  memoryLimit?: number;
  restartTimer?: NodeJS.Timeout;
  probes: Map<ProbeKind, ProbeState>;
  /** The log of instance `lastInstanceNo`. */
  log?: InstanceLog;
}

interface ProcPod {
  spec: PodSpecForRuntime;
  startTime: string;
  dir: string;
  /** With `podUsers`: the pod's uid/gid. */
  identity?: PodIdentity;
  containers: ProcContainer[];
  stopping?: Promise<void>;
}

type StoredContainer = Omit<
  ProcContainer,
  'spec' | 'instance' | 'restartTimer' | 'probes' | 'log' | 'memoryLimit'
> & { name: string; instance?: Omit<Instance, 'child' | 'killing'> };

interface StoredState {
  version: 1;
  pods: Array<{
    spec: PodSpecForRuntime;
    startTime: string;
    identity?: PodIdentity;
    containers: StoredContainer[];
  }>;
}

const ADOPTED_POLL_MS = 500;
const STATE_FILE = 'process-runtime.json';

function now(): string {
  return new Date().toISOString();
}

export class ProcessRuntime implements Runtime {
  readonly name = 'process' as const;
  private readonly pods = new Map<string, ProcPod>();
  private readonly listeners: Array<(uid: string) => void> = [];
  private readonly ports: PortAllocator;
  private readonly log: ProcessRuntimeLogger;
  private readonly cfg: {
    initialBackoffMs: number;
    maxBackoffMs: number;
    backoffResetMs: number;
    memoryCheckIntervalMs: number;
    logMaxBytes: number;
    logFiles: number;
    path: string;
  };
  private readonly cgroup?: CgroupV2;
  private readonly podsDir: string;
  private readonly users?: { allocator: UidAllocator; setpriv: string };
  private readonly tickers: NodeJS.Timeout[] = [];
  private closed = false;
  private closing?: Promise<void>;

  constructor(private readonly opts: ProcessRuntimeOptions) {
    // Children run elsewhere (their working directory): every path is made absolute.
    this.opts = { ...opts, dataDir: path.resolve(opts.dataDir) };
    this.log = opts.log;
    this.cfg = {
      initialBackoffMs: opts.initialBackoffMs ?? 10_000,
      maxBackoffMs: opts.maxBackoffMs ?? 300_000,
      backoffResetMs: opts.backoffResetMs ?? 600_000,
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
    if (opts.podUsers) {
      if (process.getuid?.() !== 0)
        throw new Error('the process runtime can run pods as users of their own only as root');
      this.users = {
        setpriv: findSetpriv(this.cfg.path),
        allocator: new UidAllocator(
          opts.podUsers.uidRange ?? DEFAULT_POD_UID_RANGE,
          opts.podUsers.claimsDir ?? DEFAULT_UID_CLAIMS_DIR,
          this.opts.dataDir,
        ),
      };
      mkdirSync(this.podsDir, { recursive: true, mode: 0o711 });
      chmodSync(this.podsDir, 0o711);
      assertSearchable(path.dirname(this.podsDir));
    } else {
      mkdirSync(this.podsDir, { recursive: true, mode: 0o700 });
    }
    const { cgroup, reason } =
      opts.cgroups === false ? { reason: 'cgroups disabled' } : CgroupV2.detect();
    this.cgroup = cgroup;
    if (cgroup) this.log.info('process runtime: memory limits enforced by cgroup v2', { reason });
    else if (HAS_PROC)
      this.log.info('process runtime: memory limits enforced by watching resident memory', {
        reason,
      });
    else this.log.warn('process runtime: memory limits are not enforced (no /proc, no cgroup v2)');
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
      spec: structuredClone(pod),
      startTime: now(),
      dir: path.join(this.podsDir, pod.uid),
      containers: pod.containers.map((spec) => ({
        spec: structuredClone(spec),
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        ready: false,
        started: false,
        restartCount: 0,
        backoffMs: 0,
        hostPorts: {},
        lastInstanceNo: -1,
        done: false,
        probes: new Map(),
      })),
    };
    try {
      if (this.users)
        p.identity = podIdentity(pod.securityContext, () =>
          this.users!.allocator.allocate(pod.uid),
        );
      this.preparePodDirs(p);
    } catch (e) {
      if (p.identity?.allocated) this.users?.allocator.release(p.identity.uid, pod.uid);
      throw e;
    }
    this.pods.set(pod.uid, p);
    for (const c of p.containers) c.memoryLimit = this.memoryLimit(p, c);
    try {
      if (!(await this.allocatePorts(p))) return;
    } catch (e) {
      if (this.pods.get(pod.uid) === p && !p.stopping) {
        this.pods.delete(pod.uid);
        if (p.identity?.allocated) this.users?.allocator.release(p.identity.uid, pod.uid);
      }
      throw e;
    }
    for (const c of p.containers) this.startContainer(p, c);
    this.persist();
    this.changed(pod.uid);
  }

  /**
   * Gives every declared port of the pod a node port. They are handed to the containers
   * only once all are there and the pod still runs (false otherwise), so that a stopPod
   * meanwhile frees nothing twice.
   */
  private async allocatePorts(p: ProcPod): Promise<boolean> {
    const allocated: Array<{ c: ProcContainer; containerPort: number; hostPort: number }> = [];
    const release = () => allocated.forEach((a) => this.ports.release(a.hostPort));
    try {
      for (const c of p.containers)
        for (const port of c.spec.ports ?? [])
          if (
            c.hostPorts[port.containerPort] === undefined &&
            !allocated.some((a) => a.c === c && a.containerPort === port.containerPort)
          )
            allocated.push({
              c,
              containerPort: port.containerPort,
              // A hostPort is published on that very port; others on one of the range.
              hostPort: port.hostPort
                ? await this.ports.claim(port.hostPort)
                : await this.ports.allocate(),
            });
    } catch (e) {
      release();
      throw e;
    }
    if (!this.isCurrent(p)) {
      release();
      return false;
    }
    for (const a of allocated) a.c.hostPorts[a.containerPort] = a.hostPort;
    return true;
  }

  async stopPod(uid: string, gracePeriodSeconds?: number): Promise<void> {
    const p = this.pods.get(uid);
    if (!p) return;
    p.stopping ??= (async () => {
      const graceMs = (gracePeriodSeconds ?? p.spec.terminationGracePeriodSeconds) * 1000;
      for (const c of p.containers) {
        clearTimeout(c.restartTimer);
        this.stopProbes(c);
      }
      await Promise.all(p.containers.map((c) => this.killInstance(c, graceMs, 'stop')));
      for (const c of p.containers) {
        c.log?.finish();
        for (const port of Object.values(c.hostPorts)) this.ports.release(port);
      }
      // What the pod left running outside its groups goes too, before its uid is freed.
      if (p.identity?.allocated) {
        for (let i = 0; i < 100 && killUser(p.identity.uid) > 0; i++)
          await new Promise((r) => setTimeout(r, 20));
        this.users?.allocator.release(p.identity.uid, uid);
      }
      this.pods.delete(uid);
      rmSync(p.dir, { recursive: true, force: true });
      this.persist();
      this.log.info('pod stopped', { pod: `${p.spec.namespace}/${p.spec.name}`, uid });
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
    live?.tick();
    const log = live ?? (c.log?.instance === no ? c.log : undefined) ?? this.instanceLog(p, c, no);
    const following = !!opts.follow && !!live;
    // Line times never decrease, so the lines since a time are a suffix: tail first is
    // the same as since first (and reads only the end of the files).
    const read = log.read(!following, opts.tailLines);
    let lines = read.lines;
    if (opts.sinceSeconds !== undefined) {
      const since = Date.now() - opts.sinceSeconds * 1000;
      lines = lines.filter((l) => l.ms >= since);
    }
    const stream = new PassThrough();
    for (const l of lines) stream.write(formatLine(l, !!opts.timestamps));
    if (following) live!.follow(stream, !!opts.timestamps, read.completeBytes);
    else stream.end();
    return stream;
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
        clearTimeout(c.restartTimer);
        this.stopProbes(c);
        c.log?.detach();
      }
    this.persist();
  }

  // ---- starting ------------------------------------------------------------------------

  private startContainer(p: ProcPod, c: ProcContainer): void {
    c.restartTimer = undefined;
    if (!this.isCurrent(p)) return;
    const spec = c.spec;
    let command = spec.command ?? [];
    if (!command.length) {
      if (!/^node(:|@|$)/.test(spec.image)) {
        c.state = {
          waiting: {
            reason: 'CreateContainerError',
            message: `the process runtime runs a container's command, and image "${spec.image}" names no program it knows (only node or node:<tag> runs "node"): set command`,
          },
        };
        this.persist();
        this.changed(p.spec.uid);
        return;
      }
      command = ['node'];
    }
    const who = this.containerIdentity(p, c);
    if (typeof who === 'string') {
      c.state = { waiting: { reason: 'CreateContainerConfigError', message: who } };
      this.persist();
      this.changed(p.spec.uid);
      return;
    }
    const workDir = path.resolve(p.dir, 'work', spec.workingDir ?? '');
    const env = this.containerEnv(p, c, workDir);
    const argv = [...command, ...(spec.args ?? [])].map((s) => expandVars(s, env));
    const exe =
      resolveExecutable(argv[0], env.get('PATH') ?? this.cfg.path, workDir) ??
      (argv[0] === 'node' ? process.execPath : undefined);
    const no = c.restartCount;
    if (!exe) {
      this.startFailed(p, c, no, `exec: "${argv[0]}": executable file not found in $PATH`);
      return;
    }
    const logDir = path.join(p.dir, 'logs', spec.name);
    let fd: number;
    try {
      this.makeWorkDir(p, who, workDir, env);
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
    let cgroup: string | undefined;
    if (this.cgroup && c.memoryLimit !== undefined) {
      try {
        cgroup = this.cgroup.create(`${p.spec.uid}-${spec.name}-${no}`, c.memoryLimit);
      } catch (e) {
        this.log.warn('cannot create a cgroup: watching resident memory instead', {
          error: (e as Error).message,
        });
      }
    }
    let child;
    try {
      const [file, args, argv0] = this.launch(who, exe, argv.slice(1), argv[0]);
      child = spawn(file, args, {
        argv0,
        cwd: workDir,
        env: Object.fromEntries(env),
        stdio: ['ignore', fd, fd],
        detached: true,
      });
    } catch (e) {
      this.startFailed(p, c, no, (e as Error).message);
      return;
    } finally {
      closeSync(fd);
    }
    child.unref();
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', (e) => this.startFailed(p, c, no, e.message));
      return;
    }
    child.on('error', () => undefined); // a later error (a failed kill) changes nothing
    if (cgroup) {
      try {
        CgroupV2.addProcess(cgroup, pid);
      } catch (e) {
        this.log.warn('cannot move a container into its cgroup', { error: (e as Error).message });
        cgroup = undefined;
      }
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
      pod: `${p.spec.namespace}/${p.spec.name}`,
      container: spec.name,
      pid,
      command: argv,
    });
  }

  /**
   * A new instance is running, or a re-adopted one carries on (`carried`: what the previous
   * runtime knew of its probes still holds).
   */
  private began(
    p: ProcPod,
    c: ProcContainer,
    inst: Instance,
    carried?: { started: boolean; ready: boolean },
  ): void {
    c.instance = inst;
    c.containerID = `process://${inst.pid}`;
    c.state = { running: { startedAt: inst.startedAt } };
    c.started = carried?.started ?? !c.spec.startupProbe;
    c.ready = carried?.ready ?? (c.started && !c.spec.readinessProbe);
    this.startProbes(p, c, inst);
    this.persist();
    this.changed(p.spec.uid);
  }

  private startFailed(p: ProcPod, c: ProcContainer, no: number, message: string): void {
    this.log.warn('container failed to start', {
      pod: `${p.spec.namespace}/${p.spec.name}`,
      container: c.spec.name,
      message,
    });
    c.lastInstanceNo = no;
    const at = now();
    this.afterExit(p, c, {
      terminated: { exitCode: 128, reason: 'StartError', message, startedAt: at, finishedAt: at },
      ranMs: 0,
      probeKilled: false,
    });
  }

  private containerEnv(p: ProcPod, c: ProcContainer, workDir: string): Map<string, string> {
    const base: Record<string, string> = {
      PATH: this.cfg.path,
      HOME: workDir,
      HOSTNAME: p.spec.name,
      POD_NAME: p.spec.name,
      POD_NAMESPACE: p.spec.namespace,
      POD_UID: p.spec.uid,
      POD_IP: this.opts.nodeIP,
      HOST_IP: this.opts.nodeIP,
    };
    const ports = c.spec.ports ?? [];
    if (ports.length) base.PORT = String(c.hostPorts[ports[0].containerPort]);
    for (const port of ports)
      base[`BERTH_PORT_${port.containerPort}`] = String(c.hostPorts[port.containerPort]);
    return buildEnv(base, c.spec.env);
  }

  // ---- users and directories -------------------------------------------------------------

  /**
   * Who the container runs as, or why it cannot start (CreateContainerConfigError): a
   * `runAsUser` in the node's own range (another pod's, perhaps), or any other user than
   * the agent's when the agent cannot switch.
   */
  private containerIdentity(p: ProcPod, c: ProcContainer): ContainerIdentity | string {
    const podContext = p.spec.securityContext;
    const own = c.spec.securityContext;
    if (!this.users || !p.identity) {
      if (own?.privileged === true) return { agent: true };
      const me = process.getuid?.();
      const wanted = own?.runAsUser ?? podContext?.runAsUser;
      if (wanted !== undefined && me !== undefined && wanted !== me)
        return `runAsUser ${wanted}: the node agent runs as uid ${me}, not root, and runs every container as itself`;
      return { agent: true };
    }
    const who = containerIdentity(p.identity, podContext, own);
    const range = this.users.allocator.range;
    if (
      !who.agent &&
      this.users.allocator.inRange(who.uid) &&
      !(p.identity.allocated && who.uid === p.identity.uid)
    )
      return `runAsUser ${who.uid} is in the range this node gives its pods (${range[0]}-${range[1]}): choose a user outside it, or none`;
    return who;
  }

  /** `[file, args, argv0]` that start `exe args` as `who`. */
  private launch(
    who: ContainerIdentity,
    exe: string,
    args: string[],
    argv0: string,
  ): [string, string[], string] {
    if (who.agent || !this.users) return [exe, args, argv0];
    return [this.users.setpriv, setprivArgs(who, exe, args), 'setpriv'];
  }

  /** The pod's directory (0711 root), work (0700, the pod's user) and logs (0700 root). */
  private preparePodDirs(p: ProcPod): void {
    const work = path.join(p.dir, 'work');
    if (!this.users || !p.identity) {
      mkdirSync(work, { recursive: true, mode: 0o700 });
      return;
    }
    mkdirSync(p.dir, { recursive: true, mode: 0o711 });
    chmodSync(p.dir, 0o711);
    mkdirSync(path.join(p.dir, 'logs'), { recursive: true, mode: 0o700 });
    chmodSync(path.join(p.dir, 'logs'), 0o700);
    mkdirSync(work, { recursive: true, mode: 0o700 });
    chownSync(work, p.identity.uid, p.identity.gid);
    chmodSync(work, 0o700);
  }

  /**
   * A container's working directory. Below the pod's own work directory (which its user
   * owns) it is made as the container's user, never as root: a pod's symlinks cannot make
   * the agent create directories elsewhere.
   */
  private makeWorkDir(
    p: ProcPod,
    who: ContainerIdentity,
    workDir: string,
    env: Map<string, string>,
  ): void {
    if (workDir === path.join(p.dir, 'work') || who.agent || !this.users) {
      mkdirSync(workDir, { recursive: true });
      return;
    }
    execFileSync(this.users.setpriv, setprivArgs(who, 'mkdir', ['-p', '--', workDir]), {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: env.get('PATH') ?? this.cfg.path },
      timeout: 10_000,
    });
  }

  /** A re-adopted pod keeps its uid (claimed again); one from before users gets one now. */
  private restoreIdentity(p: ProcPod, stored: PodIdentity | undefined): void {
    const users = this.users!;
    if (stored) {
      p.identity = stored;
      if (stored.allocated && !users.allocator.claim(stored.uid, p.spec.uid))
        this.log.error("a re-adopted pod's uid is claimed by another runtime of this host", {
          pod: `${p.spec.namespace}/${p.spec.name}`,
          uid: stored.uid,
        });
      return;
    }
    p.identity = podIdentity(p.spec.securityContext, () => users.allocator.allocate(p.spec.uid));
    try {
      this.preparePodDirs(p);
    } catch (e) {
      this.log.error("cannot prepare a re-adopted pod's directories", { error: String(e) });
    }
  }

  private memoryLimit(p: ProcPod, c: ProcContainer): number | undefined {
    const raw = c.spec.resources?.limits?.memory;
    if (raw === undefined) return undefined;
    try {
      const bytes = Number(parseQuantity(raw).value());
      return bytes > 0 ? bytes : undefined;
    } catch (e) {
      this.log.warn('ignoring an invalid memory limit', {
        pod: `${p.spec.namespace}/${p.spec.name}`,
        container: c.spec.name,
        memory: raw,
        error: (e as Error).message,
      });
      return undefined;
    }
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
    this.stopProbes(c);
    // The rest of the group goes with its leader, as a container's processes go with its
    // init process — unless the pid now leads someone else's group.
    const leader = readStat(inst.pid);
    if (!leader || leader.state === 'Z' || leader.startTicks === inst.startTicks)
      signalGroup(inst.pid, 'SIGKILL');
    let exitCode: number;
    let signal: number | undefined;
    let reason: string;
    let message: string | undefined;
    if (how === 'unknown') {
      exitCode = 137;
      reason = 'ContainerStatusUnknown';
      message = 'the process ended while not watched by this runtime: its exit code is unknown';
      if (inst.killing === 'OOMKilled') reason = 'OOMKilled';
      else if (inst.killing === 'liveness' || inst.killing === 'startup') {
        reason = 'Error';
        message = `killed after its ${inst.killing} probe failed (exit code unknown)`;
      }
    } else {
      signal = how.signal ? os.constants.signals[how.signal] : undefined;
      exitCode = how.code ?? 128 + (signal ?? 9);
      reason = exitCode === 0 ? 'Completed' : 'Error';
    }
    if (inst.cgroup) {
      const cgroup = inst.cgroup;
      if (CgroupV2.oomKills(cgroup) > 0) inst.killing = 'OOMKilled';
      // A cgroup can be removed once its last process is gone.
      void waitGroupGone(inst.pid, 10_000).then(() => CgroupV2.remove(cgroup));
    }
    if (inst.killing === 'OOMKilled') {
      reason = 'OOMKilled';
      exitCode = 137;
    }
    c.log?.finish();
    this.log.debug('container exited', {
      pod: `${p.spec.namespace}/${p.spec.name}`,
      container: c.spec.name,
      pid: inst.pid,
      exitCode,
      reason,
    });
    this.afterExit(p, c, {
      terminated: {
        exitCode,
        reason,
        ...(message ? { message } : {}),
        ...(signal !== undefined ? { signal } : {}),
        startedAt: inst.startedAt,
        finishedAt: now(),
      },
      ranMs: Date.now() - inst.startedMs,
      probeKilled: inst.killing === 'liveness' || inst.killing === 'startup',
    });
  }

  private afterExit(
    p: ProcPod,
    c: ProcContainer,
    exit: {
      terminated: NonNullable<ContainerState['terminated']>;
      ranMs: number;
      probeKilled: boolean;
    },
  ): void {
    c.ready = false;
    c.started = false;
    const { terminated } = exit;
    const policy = p.spec.restartPolicy;
    // kubelet restarts a container killed for a failed probe unless the policy is Never.
    const restart =
      policy === 'Always' ||
      (policy === 'OnFailure' && (terminated.exitCode !== 0 || exit.probeKilled));
    if (!this.isCurrent(p) || !restart) {
      c.state = { terminated };
      c.done = this.isCurrent(p);
      this.persist();
      this.changed(p.spec.uid);
      return;
    }
    // kubelet's back-off: the first exit (or the first after running backoffResetMs) is
    // restarted at once and starts the back-off at initialBackoffMs; each later exit waits
    // the back-off, which doubles up to maxBackoffMs. 0 means "no back-off yet".
    if (exit.ranMs >= this.cfg.backoffResetMs) c.backoffMs = 0;
    const delay = c.backoffMs;
    c.backoffMs =
      delay === 0 ? this.cfg.initialBackoffMs : Math.min(delay * 2, this.cfg.maxBackoffMs);
    c.lastState = { terminated };
    c.prevInstanceNo = c.lastInstanceNo;
    c.restartCount += 1;
    c.state =
      delay === 0
        ? { waiting: { reason: 'ContainerCreating' } }
        : {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off ${goDuration(delay)} restarting failed container=${c.spec.name} pod=${p.spec.name}_${p.spec.namespace}(${p.spec.uid})`,
            },
          };
    this.scheduleStart(p, c, delay);
    this.persist();
    this.changed(p.spec.uid);
  }

  private scheduleStart(p: ProcPod, c: ProcContainer, delayMs: number): void {
    clearTimeout(c.restartTimer);
    c.restartTimer = setTimeout(() => this.startContainer(p, c), delayMs);
    c.restartTimer.unref();
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

  // ---- probes --------------------------------------------------------------------------

  private startProbes(p: ProcPod, c: ProcContainer, inst: Instance): void {
    const specs: Record<ProbeKind, ProbeSpec | undefined> = {
      startup: c.started ? undefined : c.spec.startupProbe,
      liveness: c.spec.livenessProbe,
      readiness: c.spec.readinessProbe,
    };
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      const spec = specs[kind];
      if (!spec) continue;
      const st: ProbeState = { successes: 0, failures: 0 };
      c.probes.set(kind, st);
      const elapsed = Date.now() - inst.startedMs;
      this.scheduleProbe(
        p,
        c,
        inst,
        kind,
        st,
        Math.max(0, probeTimings(spec).initialDelayMs - elapsed),
      );
    }
  }

  private stopProbes(c: ProcContainer): void {
    for (const st of c.probes.values()) clearTimeout(st.timer);
    c.probes.clear();
  }

  private scheduleProbe(
    p: ProcPod,
    c: ProcContainer,
    inst: Instance,
    kind: ProbeKind,
    st: ProbeState,
    delayMs: number,
  ): void {
    st.timer = setTimeout(() => void this.probeOnce(p, c, inst, kind, st), delayMs);
    st.timer.unref();
  }

  private async probeOnce(
    p: ProcPod,
    c: ProcContainer,
    inst: Instance,
    kind: ProbeKind,
    st: ProbeState,
  ): Promise<void> {
    st.timer = undefined;
    const live = () =>
      this.isCurrent(p) && c.instance === inst && !inst.killing && c.probes.get(kind) === st;
    if (!live()) return;
    const spec = c.spec[`${kind}Probe`]!;
    const t = probeTimings(spec);
    // Liveness and readiness wait for the startup probe.
    if (kind !== 'startup' && !c.started) {
      this.scheduleProbe(p, c, inst, kind, st, t.periodMs);
      return;
    }
    const result = await runProbe(spec, this.probeTarget(p, c));
    if (!live()) return;
    if (result.ok) {
      st.successes += 1;
      st.failures = 0;
    } else {
      st.failures += 1;
      st.successes = 0;
    }
    const where = { pod: `${p.spec.namespace}/${p.spec.name}`, container: c.spec.name };
    if (!result.ok) this.log.debug(`${kind} probe failed`, { ...where, message: result.message });
    if (kind === 'startup' || kind === 'liveness') {
      if (kind === 'startup' && result.ok) {
        c.started = true;
        c.ready = !c.spec.readinessProbe;
        c.probes.delete('startup');
        this.changed(p.spec.uid);
        return;
      }
      if (st.failures >= t.failureThreshold) {
        this.log.info(`container failed its ${kind} probe: restarting it`, {
          ...where,
          message: result.message,
        });
        this.stopProbes(c);
        c.ready = false;
        this.changed(p.spec.uid);
        void this.killInstance(c, p.spec.terminationGracePeriodSeconds * 1000, kind);
        return;
      }
    } else if (result.ok && !c.ready && st.successes >= t.successThreshold) {
      c.ready = true;
      this.changed(p.spec.uid);
    } else if (!result.ok && c.ready && st.failures >= t.failureThreshold) {
      c.ready = false;
      this.changed(p.spec.uid);
    }
    this.scheduleProbe(p, c, inst, kind, st, t.periodMs);
  }

  private probeTarget(p: ProcPod, c: ProcContainer): ProbeTarget {
    const workDir = path.resolve(p.dir, 'work', c.spec.workingDir ?? '');
    const env = this.containerEnv(p, c, workDir);
    const who = this.containerIdentity(p, c);
    return {
      launch: (exe, args) => {
        const [file, all] = this.launch(
          typeof who === 'string' ? { agent: true } : who,
          exe,
          args,
          exe,
        );
        return [file, all];
      },
      host: '127.0.0.1',
      cwd: workDir,
      env: Object.fromEntries(env),
      resolvePort: (port) => {
        if (typeof port === 'string') {
          const named = c.spec.ports?.find((x) => x.name === port);
          if (named) return c.hostPorts[named.containerPort];
          return /^\d+$/.test(port) ? (c.hostPorts[Number(port)] ?? Number(port)) : undefined;
        }
        // A port the container did not declare is taken as a node port.
        return c.hostPorts[port] ?? port;
      },
      resolveExecutable: (cmd) => resolveExecutable(cmd, env.get('PATH') ?? this.cfg.path, workDir),
    };
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
    const watched = [...this.running()].filter(
      ({ c, inst }) => c.memoryLimit !== undefined && !inst.cgroup && !inst.killing,
    );
    if (!watched.length) return;
    const groups = processGroups();
    for (const { p, c, inst } of watched) {
      const members = groups.get(inst.pid) ?? [];
      const rss = members.reduce((sum, pid) => sum + rssBytes(pid), 0);
      if (rss <= c.memoryLimit!) continue;
      this.log.warn('container over its memory limit: killed', {
        pod: `${p.spec.namespace}/${p.spec.name}`,
        container: c.spec.name,
        rssBytes: rss,
        limitBytes: c.memoryLimit,
      });
      inst.killing = 'OOMKilled';
      signalGroup(inst.pid, 'SIGKILL');
    }
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

  private get stateFile(): string {
    return path.join(this.opts.dataDir, STATE_FILE);
  }

  /**
   * Written (atomically) at every start, exit and stop, so that a crash of the agent loses
   * no process; readiness flips wait for the next write (probes re-establish them).
   */
  private persist(): void {
    const state: StoredState = {
      version: 1,
      pods: [...this.pods.values()].map((p) => ({
        spec: p.spec,
        startTime: p.startTime,
        ...(p.identity ? { identity: p.identity } : {}),
        containers: p.containers.map((c) => ({
          name: c.spec.name,
          state: c.state,
          lastState: c.lastState,
          ready: c.ready,
          started: c.started,
          restartCount: c.restartCount,
          backoffMs: c.backoffMs,
          hostPorts: c.hostPorts,
          lastInstanceNo: c.lastInstanceNo,
          ...(c.prevInstanceNo !== undefined ? { prevInstanceNo: c.prevInstanceNo } : {}),
          ...(c.containerID ? { containerID: c.containerID } : {}),
          done: c.done,
          ...(c.instance
            ? {
                instance: {
                  no: c.instance.no,
                  pid: c.instance.pid,
                  startTicks: c.instance.startTicks,
                  startedAt: c.instance.startedAt,
                  startedMs: c.instance.startedMs,
                  ...(c.instance.cgroup ? { cgroup: c.instance.cgroup } : {}),
                },
              }
            : {}),
        })),
      })),
    };
    try {
      const tmp = `${this.stateFile}.tmp`;
      writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
      renameSync(tmp, this.stateFile);
    } catch (e) {
      this.log.error('cannot write the process runtime state', { error: String(e) });
    }
  }

  /** Re-adopts what a previous runtime on this dataDir left. */
  private load(): void {
    let state: StoredState;
    try {
      state = JSON.parse(readFileSync(this.stateFile, 'utf8')) as StoredState;
    } catch {
      return;
    }
    if (state?.version !== 1 || !Array.isArray(state.pods)) return;
    const exited: Array<{ p: ProcPod; c: ProcContainer; inst: Instance }> = [];
    // Pods the previous runtime closed on while it was giving them ports: never started.
    const unported: ProcPod[] = [];
    for (const sp of state.pods) {
      const p: ProcPod = {
        spec: sp.spec,
        startTime: sp.startTime,
        dir: path.join(this.podsDir, sp.spec.uid),
        containers: [],
      };
      if (this.users) this.restoreIdentity(p, sp.identity);
      this.pods.set(sp.spec.uid, p);
      const toStart: ProcContainer[] = [];
      for (const spec of sp.spec.containers) {
        const stored = sp.containers.find((x) => x.name === spec.name);
        const c: ProcContainer = {
          spec,
          state: stored?.state ?? { waiting: { reason: 'ContainerCreating' } },
          lastState: stored?.lastState ?? {},
          ready: stored?.ready ?? false,
          started: stored?.started ?? false,
          restartCount: stored?.restartCount ?? 0,
          backoffMs: stored?.backoffMs ?? 0,
          hostPorts: stored?.hostPorts ?? {},
          lastInstanceNo: stored?.lastInstanceNo ?? -1,
          ...(stored?.prevInstanceNo !== undefined
            ? { prevInstanceNo: stored.prevInstanceNo }
            : {}),
          ...(stored?.containerID ? { containerID: stored.containerID } : {}),
          done: stored?.done ?? false,
          probes: new Map(),
        };
        c.memoryLimit = this.memoryLimit(p, c);
        p.containers.push(c);
        for (const port of Object.values(c.hostPorts)) this.ports.reserve(port);
        const si = stored?.instance;
        if (si) {
          const inst: Instance = { ...si, child: false };
          c.log = this.instanceLog(p, c, si.no);
          if (isSameProcess(si.pid, si.startTicks)) {
            this.log.info('re-adopted a running container', {
              pod: `${p.spec.namespace}/${p.spec.name}`,
              container: spec.name,
              pid: si.pid,
            });
            this.began(p, c, inst, { started: c.started, ready: c.ready });
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
    this.users?.allocator.prune(new Set(this.pods.keys()));
    for (const { p, c, inst } of exited) this.instanceExited(p, c, inst, 'unknown');
    for (const p of unported)
      void this.allocatePorts(p).then(
        (ok) => ok && p.containers.forEach((c) => this.startContainer(p, c)),
        (e) => this.log.error('cannot give a pod its ports', { uid: p.spec.uid, error: String(e) }),
      );
    this.persist();
  }
}

/**
 * Pods reach their working directory by its path: every directory above `<podsDir>` must
 * be searchable by others (0711 or 0755) — a 0700 data directory is not.
 */
function assertSearchable(dir: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0)
      throw new Error(
        `pods' directories must be under directories that their users can search, but ${d} is mode ${(mode & 0o777).toString(8).padStart(4, '0')}: choose a pods directory outside the agent's and the API's data directories (--pods-dir)`,
      );
    if (d === path.dirname(d)) return;
  }
}

export function createProcessRuntime(opts: ProcessRuntimeOptions): ProcessRuntime {
  return new ProcessRuntime(opts);
}

/** An executable's path: as given when it holds a `/`, else the first match in PATH. */
function resolveExecutable(cmd: string, searchPath: string, cwd: string): string | undefined {
  const candidates = cmd.includes('/')
    ? [path.resolve(cwd, cmd)]
    : searchPath
        .split(':')
        .filter(Boolean)
        .map((dir) => path.join(path.resolve(cwd, dir), cmd));
  for (const file of candidates) {
    try {
      accessSync(file, fsConstants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** A duration as Go prints it (kubelet's back-off messages): 200ms, 10s, 1m20s, 5m0s. */
function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(3))}s`;
  const m = Math.floor(s / 60);
  const rest = Number((s - m * 60).toFixed(3));
  return m < 60 ? `${m}m${rest}s` : `${Math.floor(m / 60)}h${m % 60}m${rest}s`;
}
