/**
 * The `simulated` runtime: "hollow" pods for scale tests, like kubemark's hollow kubelet or
 * KWOK. No process runs: a pod's containers become running and ready after a delay, may
 * fail (exit code 1) or complete (exit code 0) at configurable rates (or as a `script`
 * says) and are then restarted per `restartPolicy`, with kubelet's CrashLoopBackOff
 * (lifecycle/restart-manager.ts). Their probes run as kubelet runs them
 * (lifecycle/prober.ts), each attempt answered by `probe` (by default every probe passes).
 * A pod without probes costs a few objects and at most one timer, so one process can host
 * hundreds of simulated nodes.
 *
 * A pod can script its own containers (a Job's pod that completes, a crash-looping one):
 * a container with the environment variable `BERTH_SIMULATED_EXIT_AFTER_MS` set to a
 * number of milliseconds exits that long after each start, with the code in
 * `BERTH_SIMULATED_EXIT_CODE` (0 to 255, default 0), before the rates are drawn; a value
 * that is not such a number is ignored (and said in the container's log).
 *
 * With `stateFile`, the pods are written to disk (debounced, and on close) and read back
 * by the next instance: a restarted agent re-adopts its hollow pods, as a real node's
 * containers outlive its kubelet.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { Prober, type ProbeKind } from '../lifecycle/prober';
import { RestartManager, type BackoffOptions } from '../lifecycle/restart-manager';
import { podPhase } from '../phase';
import type { ProbeResult } from '../probe-checks';
import type {
  ContainerSpec,
  ContainerState,
  ContainerStatusReport,
  LogOptions,
  PodSpecForRuntime,
  PodStatusReport,
  ProbeSpec,
  Runtime,
} from '../types';

/** A hollow container instance (`instance`: its restartCount when it started). */
export interface SimulatedInstance {
  pod: PodSpecForRuntime;
  container: ContainerSpec;
  instance: number;
}

export interface SimulatedRuntimeOptions extends BackoffOptions {
  /** How long a container takes to start (ContainerCreating → running). Default 100 ms. */
  startDelayMs?: number;
  /** Probability (0–1) that a started container instance fails (exit code 1). Default 0. */
  failureRate?: number;
  /**
   * Probability (0–1) that a started container instance exits on its own with code 0
   * (restarted under `Always`, done under `OnFailure`/`Never`). Default 0.
   */
  restartRate?: number;
  /** How long a failing or exiting instance runs before it terminates. Default 1 s. */
  runBeforeExitMs?: number;
  /**
   * What an instance does instead of what the rates draw (scenario tests): exit with
   * `exitCode` after `afterMs` (default `runBeforeExitMs`), or `'run'` on. Undefined: the
   * rates decide.
   */
  script?: (c: SimulatedInstance) => { exitCode: number; afterMs?: number } | 'run' | undefined;
  /** The answer to one probe attempt. Default: success (hollow containers are healthy). */
  probe?: (
    c: SimulatedInstance & { kind: ProbeKind },
    spec: ProbeSpec,
  ) => ProbeResult | Promise<ProbeResult>;
  /** Reported as the pods' `podIP` (hollow pods live at the node address). */
  podIP?: string;
  /** Where pods are kept across restarts (optional). */
  stateFile?: string;
  /** Random source (tests pass a deterministic one). */
  random?: () => number;
}

interface LogLine {
  at: string;
  text: string;
}

interface SimContainer {
  /** The pod spec's container (not stored: the spec is). */
  spec: ContainerSpec;
  name: string;
  image: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  /** The current instance's start (ms), for the back-off reset. */
  runningSinceMs?: number;
  backoffMs: number;
  /** Log lines of the current and the previous instance. */
  log: LogLine[];
  previousLog: LogLine[];
  /** Terminated for good (no restart under the pod's policy). */
  done: boolean;
  prober?: Prober;
}

interface SimPod {
  spec: PodSpecForRuntime;
  startTime: string;
  containers: SimContainer[];
  timers: Set<NodeJS.Timeout>;
  followers: Set<{ container: string; stream: PassThrough; timestamps: boolean }>;
}

interface StoredState {
  version: 1;
  pods: Array<{
    spec: PodSpecForRuntime;
    startTime: string;
    containers: Array<Omit<SimContainer, 'log' | 'previousLog' | 'spec' | 'prober'>>;
  }>;
}

const LOG_LINES_KEPT = 200;

/** A container's environment variable: milliseconds each instance runs before it exits. */
export const SIMULATED_EXIT_AFTER_ENV = 'BERTH_SIMULATED_EXIT_AFTER_MS';
/** A container's environment variable: the exit code with it (0 to 255; default 0). */
export const SIMULATED_EXIT_CODE_ENV = 'BERTH_SIMULATED_EXIT_CODE';

/**
 * The exit a container's environment scripts (see the file's comment): undefined without
 * `BERTH_SIMULATED_EXIT_AFTER_MS`; a string naming what is wrong with a bad value.
 */
export function scriptedExit(
  c: ContainerSpec,
): { exitCode: number; afterMs: number } | string | undefined {
  const value = (name: string) => c.env?.find((e) => e.name === name)?.value;
  const after = value(SIMULATED_EXIT_AFTER_ENV);
  if (after === undefined) return undefined;
  const afterMs = Number(after);
  if (after.trim() === '' || !Number.isFinite(afterMs) || afterMs < 0)
    return `${SIMULATED_EXIT_AFTER_ENV}=${JSON.stringify(after)} is not a number of milliseconds >= 0: ignored`;
  const code = value(SIMULATED_EXIT_CODE_ENV) ?? '0';
  const exitCode = Number(code);
  if (code.trim() === '' || !Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255)
    return `${SIMULATED_EXIT_CODE_ENV}=${JSON.stringify(code)} is not an exit code 0-255: ignored`;
  return { exitCode, afterMs };
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export class SimulatedRuntime implements Runtime {
  readonly name = 'simulated' as const;
  private readonly pods = new Map<string, SimPod>();
  private readonly listeners: Array<(uid: string) => void> = [];
  private readonly opts: Required<
    Omit<SimulatedRuntimeOptions, 'stateFile' | 'script' | keyof BackoffOptions>
  > &
    Pick<SimulatedRuntimeOptions, 'stateFile' | 'script'>;
  private readonly restarts: RestartManager;
  private saveTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(options: SimulatedRuntimeOptions = {}) {
    this.opts = {
      startDelayMs: 100,
      failureRate: 0,
      restartRate: 0,
      runBeforeExitMs: 1000,
      podIP: '127.0.0.1',
      random: Math.random,
      probe: () => ({ ok: true }),
      ...options,
    };
    this.restarts = new RestartManager(options);
    if (this.opts.stateFile) this.load(this.opts.stateFile);
  }

  async runPod(pod: PodSpecForRuntime): Promise<void> {
    if (this.closed) throw new Error('the simulated runtime is closed');
    if (this.pods.has(pod.uid)) return;
    const sim: SimPod = {
      spec: clone(pod),
      startTime: now(),
      containers: pod.containers.map((c) => ({
        spec: clone(c),
        name: c.name,
        image: c.image,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        ready: false,
        started: false,
        restartCount: 0,
        backoffMs: 0,
        log: [],
        previousLog: [],
        done: false,
      })),
      timers: new Set(),
      followers: new Set(),
    };
    this.pods.set(pod.uid, sim);
    this.after(sim, this.opts.startDelayMs, () => {
      for (const c of sim.containers) this.startContainer(sim, c);
    });
    this.changed(pod.uid);
  }

  async stopPod(uid: string, _gracePeriodSeconds?: number): Promise<void> {
    const sim = this.pods.get(uid);
    if (!sim) return;
    this.quiet(sim);
    for (const f of sim.followers) f.stream.end();
    this.pods.delete(uid);
    this.changed(uid);
  }

  async listPods(): Promise<PodStatusReport[]> {
    return [...this.pods.keys()].map((uid) => this.podStatus(uid)!);
  }

  podStatus(uid: string): PodStatusReport | undefined {
    const sim = this.pods.get(uid);
    if (!sim) return undefined;
    const containerStatuses: ContainerStatusReport[] = sim.containers.map((c) => ({
      name: c.name,
      image: c.image,
      containerID: `simulated://${uid}/${c.name}/${c.restartCount}`,
      state: clone(c.state),
      lastState: clone(c.lastState),
      ready: c.ready,
      started: c.started,
      restartCount: c.restartCount,
    }));
    return {
      uid,
      namespace: sim.spec.namespace,
      name: sim.spec.name,
      phase: podPhase(sim.containers),
      startTime: sim.startTime,
      podIP: this.opts.podIP,
      containerStatuses,
    };
  }

  async logs(uid: string, opts: LogOptions): Promise<Readable> {
    const sim = this.pods.get(uid);
    if (!sim) throw new Error(`pod ${uid} is not running on this node`);
    const c = sim.containers.find((x) => x.name === opts.container);
    if (!c)
      throw new Error(
        `container "${opts.container}" is not in pod ${sim.spec.namespace}/${sim.spec.name}`,
      );
    let lines = opts.previous ? c.previousLog : c.log;
    if (opts.sinceSeconds !== undefined) {
      const since = Date.now() - opts.sinceSeconds * 1000;
      lines = lines.filter((l) => Date.parse(l.at) >= since);
    }
    if (opts.tailLines !== undefined)
      lines = lines.slice(Math.max(0, lines.length - opts.tailLines));
    const stream = new PassThrough();
    for (const l of lines) stream.write(format(l, !!opts.timestamps));
    if (opts.follow && !opts.previous) {
      const follower = { container: c.name, stream, timestamps: !!opts.timestamps };
      sim.followers.add(follower);
      stream.on('close', () => sim.followers.delete(follower));
    } else {
      stream.end();
    }
    return stream;
  }

  onChange(listener: (uid: string) => void): void {
    this.listeners.push(listener);
  }

  async close(opts: { stopPods?: boolean } = {}): Promise<void> {
    if (opts.stopPods) for (const uid of [...this.pods.keys()]) await this.stopPod(uid);
    this.closed = true;
    for (const sim of this.pods.values()) {
      this.quiet(sim);
      for (const f of sim.followers) f.stream.end();
    }
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (this.opts.stateFile) this.save(this.opts.stateFile);
  }

  // ---- container life ------------------------------------------------------------------

  private startContainer(sim: SimPod, c: SimContainer, carried = false): void {
    if (!carried) {
      c.state = { running: { startedAt: now() } };
      c.runningSinceMs = Date.now();
      this.log(
        sim,
        c,
        `simulated container ${c.name} (${c.image}) started, instance ${c.restartCount}`,
      );
      const instance = { pod: sim.spec, container: c.spec, instance: c.restartCount };
      let scripted = this.opts.script?.(instance);
      if (scripted === undefined) {
        const fromEnv = scriptedExit(c.spec);
        if (typeof fromEnv === 'string') this.log(sim, c, fromEnv);
        else scripted = fromEnv;
      }
      const r = scripted ? 1 : this.opts.random();
      if (scripted && scripted !== 'run')
        this.scheduleExit(sim, c, scripted.exitCode, scripted.afterMs);
      else if (r < this.opts.failureRate) this.scheduleExit(sim, c, 1);
      else if (r < this.opts.failureRate + this.opts.restartRate) this.scheduleExit(sim, c, 0);
    }
    const instance = { pod: sim.spec, container: c.spec, instance: c.restartCount };
    const running = c.state.running;
    c.prober?.stop();
    c.prober = undefined;
    if (c.spec.startupProbe || c.spec.livenessProbe || c.spec.readinessProbe)
      c.prober = new Prober(
        c,
        {
          check: async (kind, spec) => this.opts.probe({ ...instance, kind }, spec),
          alive: () =>
            this.pods.get(sim.spec.uid) === sim && !this.closed && c.state.running === running,
          onChange: () => this.changed(sim.spec.uid),
          onFailure: (kind) => {
            this.log(sim, c, `killed: its ${kind} probe failed`);
            this.exitContainer(sim, c, 143, true);
          },
        },
        c.runningSinceMs ?? Date.now(),
        carried,
      );
    else if (!carried) {
      c.started = true;
      c.ready = true;
    }
    this.changed(sim.spec.uid);
  }

  /** The current instance exits with `exitCode` after `afterMs` (unless it ended before). */
  private scheduleExit(
    sim: SimPod,
    c: SimContainer,
    exitCode: number,
    afterMs = this.opts.runBeforeExitMs,
  ): void {
    const running = c.state.running;
    this.after(sim, afterMs, () => {
      if (c.state.running === running) this.exitContainer(sim, c, exitCode);
    });
  }

  private exitContainer(sim: SimPod, c: SimContainer, exitCode: number, probeKilled = false): void {
    if (!c.state.running) return;
    const startedAt = c.state.running.startedAt;
    const ranMs = Date.now() - (c.runningSinceMs ?? Date.now());
    c.prober?.stop();
    c.prober = undefined;
    this.log(
      sim,
      c,
      exitCode === 0
        ? 'exiting: work done'
        : `fatal: simulated failure, exiting with code ${exitCode}`,
    );
    c.runningSinceMs = undefined;
    const decision = this.restarts.exited(sim.spec, c.name, c, {
      terminated: {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt,
        finishedAt: now(),
      },
      ranMs,
      probeKilled,
    });
    if (decision.restart) {
      c.previousLog = c.log;
      c.log = [];
      this.after(sim, decision.delayMs, () => this.startContainer(sim, c));
    } else c.done = true;
    this.changed(sim.spec.uid);
  }

  /** No more timers or probes for the pod. */
  private quiet(sim: SimPod): void {
    for (const t of sim.timers) clearTimeout(t);
    sim.timers.clear();
    for (const c of sim.containers) {
      c.prober?.stop();
      c.prober = undefined;
    }
  }

  private after(sim: SimPod, ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      sim.timers.delete(t);
      if (this.pods.get(sim.spec.uid) === sim && !this.closed) fn();
    }, ms);
    sim.timers.add(t);
  }

  private log(sim: SimPod, c: SimContainer, text: string): void {
    const line = { at: new Date().toISOString(), text };
    c.log.push(line);
    if (c.log.length > LOG_LINES_KEPT) c.log.splice(0, c.log.length - LOG_LINES_KEPT);
    for (const f of sim.followers)
      if (f.container === c.name) f.stream.write(format(line, f.timestamps));
  }

  private changed(uid: string): void {
    if (this.opts.stateFile && !this.saveTimer && !this.closed) {
      this.saveTimer = setTimeout(() => {
        this.saveTimer = undefined;
        this.save(this.opts.stateFile!);
      }, 200);
      this.saveTimer.unref();
    }
    for (const l of this.listeners) l(uid);
  }

  // ---- persistence ---------------------------------------------------------------------

  private save(file: string): void {
    const state: StoredState = {
      version: 1,
      pods: [...this.pods.values()].map((p) => ({
        spec: p.spec,
        startTime: p.startTime,
        containers: p.containers.map(
          ({ log: _l, previousLog: _p, spec: _s, prober: _r, ...rest }) => rest,
        ),
      })),
    };
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, file);
  }

  /** Reads the pods a previous instance left: they carry on as they were. */
  private load(file: string): void {
    let state: StoredState;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as StoredState;
    } catch {
      return;
    }
    if (state?.version !== 1 || !Array.isArray(state.pods)) return;
    for (const p of state.pods) {
      const sim: SimPod = {
        spec: p.spec,
        startTime: p.startTime,
        containers: p.containers.map((c, i) => ({
          ...c,
          spec: p.spec.containers.find((x) => x.name === c.name) ?? p.spec.containers[i],
          log: [],
          previousLog: [],
        })),
        timers: new Set(),
        followers: new Set(),
      };
      this.pods.set(p.spec.uid, sim);
      for (const c of sim.containers) {
        // What was starting or backing off when the previous instance stopped starts now.
        if (c.state.running) {
          c.runningSinceMs = Date.parse(c.state.running.startedAt);
          this.startContainer(sim, c, true);
        } else if (!c.done)
          this.after(sim, this.opts.startDelayMs, () => this.startContainer(sim, c));
      }
    }
  }
}

function format(l: LogLine, timestamps: boolean): string {
  return timestamps ? `${l.at} ${l.text}\n` : `${l.text}\n`;
}
