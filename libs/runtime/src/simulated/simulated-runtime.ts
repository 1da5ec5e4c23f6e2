/**
 * The `simulated` runtime: "hollow" pods for scale tests, like kubemark's hollow kubelet or
 * KWOK. No process runs: a pod's containers become running and ready after a delay, may
 * fail (exit code 1) or complete (exit code 0) at configurable rates and are then restarted
 * per `restartPolicy`, with kubelet's CrashLoopBackOff. A pod costs a few objects and at
 * most one timer, so one process can host hundreds of simulated nodes.
 *
 * With `stateFile`, the pods are written to disk (debounced, and on close) and read back
 * by the next instance: a restarted agent re-adopts its hollow pods, as a real node's
 * containers outlive its kubelet.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { podPhase } from '../phase';
import type {
  ContainerState,
  ContainerStatusReport,
  LogOptions,
  PodSpecForRuntime,
  PodStatusReport,
  Runtime,
} from '../types';

export interface SimulatedRuntimeOptions {
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
  /** CrashLoopBackOff: first restart delay, doubled per restart up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A container running this long without exiting resets its back-off. Default 10 min. */
  backoffResetMs?: number;
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
  /** Whether the current instance already exited once with a successful code under OnFailure/Never. */
  done: boolean;
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
    containers: Array<Omit<SimContainer, 'log' | 'previousLog'>>;
  }>;
}

const LOG_LINES_KEPT = 200;

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
  private readonly opts: Required<Omit<SimulatedRuntimeOptions, 'stateFile'>> & {
    stateFile?: string;
  };
  private saveTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(options: SimulatedRuntimeOptions = {}) {
    this.opts = {
      startDelayMs: 100,
      failureRate: 0,
      restartRate: 0,
      runBeforeExitMs: 1000,
      initialBackoffMs: 10_000,
      maxBackoffMs: 300_000,
      backoffResetMs: 600_000,
      podIP: '127.0.0.1',
      random: Math.random,
      ...options,
    };
    if (this.opts.stateFile) this.load(this.opts.stateFile);
  }

  async runPod(pod: PodSpecForRuntime): Promise<void> {
    if (this.closed) throw new Error('the simulated runtime is closed');
    if (this.pods.has(pod.uid)) return;
    const sim: SimPod = {
      spec: clone(pod),
      startTime: now(),
      containers: pod.containers.map((c) => ({
        name: c.name,
        image: c.image,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        ready: false,
        started: false,
        restartCount: 0,
        backoffMs: this.opts.initialBackoffMs,
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
    for (const t of sim.timers) clearTimeout(t);
    sim.timers.clear();
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
      for (const t of sim.timers) clearTimeout(t);
      sim.timers.clear();
      for (const f of sim.followers) f.stream.end();
    }
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (this.opts.stateFile) this.save(this.opts.stateFile);
  }

  // ---- container life ------------------------------------------------------------------

  private startContainer(sim: SimPod, c: SimContainer): void {
    const at = now();
    c.state = { running: { startedAt: at } };
    c.ready = true;
    c.started = true;
    c.runningSinceMs = Date.now();
    this.log(
      sim,
      c,
      `simulated container ${c.name} (${c.image}) started, instance ${c.restartCount}`,
    );
    const r = this.opts.random();
    if (r < this.opts.failureRate) this.scheduleExit(sim, c, 1);
    else if (r < this.opts.failureRate + this.opts.restartRate) this.scheduleExit(sim, c, 0);
    this.changed(sim.spec.uid);
  }

  private scheduleExit(sim: SimPod, c: SimContainer, exitCode: number): void {
    this.after(sim, this.opts.runBeforeExitMs, () => this.exitContainer(sim, c, exitCode));
  }

  private exitContainer(sim: SimPod, c: SimContainer, exitCode: number): void {
    const startedAt = c.state.running?.startedAt;
    const ranMs = Date.now() - (c.runningSinceMs ?? Date.now());
    this.log(
      sim,
      c,
      exitCode === 0 ? 'exiting: work done' : 'fatal: simulated failure, exiting with code 1',
    );
    const terminated: ContainerState = {
      terminated: {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        ...(startedAt ? { startedAt } : {}),
        finishedAt: now(),
      },
    };
    c.ready = false;
    c.started = false;
    c.runningSinceMs = undefined;
    const policy = sim.spec.restartPolicy;
    const restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    if (!restart) {
      c.state = terminated;
      c.done = true;
      this.changed(sim.spec.uid);
      return;
    }
    // kubelet: the back-off resets after a long enough run, else doubles up to the cap.
    if (ranMs >= this.opts.backoffResetMs) c.backoffMs = this.opts.initialBackoffMs;
    const delay = c.backoffMs;
    c.backoffMs = Math.min(c.backoffMs * 2, this.opts.maxBackoffMs);
    c.lastState = terminated;
    c.previousLog = c.log;
    c.log = [];
    c.restartCount += 1;
    c.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${sim.spec.name}_${sim.spec.namespace}(${sim.spec.uid})`,
      },
    };
    this.after(sim, delay, () => this.startContainer(sim, c));
    this.changed(sim.spec.uid);
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
        containers: p.containers.map(({ log: _l, previousLog: _p, ...rest }) => rest),
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
        containers: p.containers.map((c) => ({ ...c, log: [], previousLog: [] })),
        timers: new Set(),
        followers: new Set(),
      };
      this.pods.set(p.spec.uid, sim);
      for (const c of sim.containers) {
        // What was starting or backing off when the previous instance stopped starts now.
        if (c.state.running) c.runningSinceMs = Date.parse(c.state.running.startedAt);
        else if (!c.done)
          this.after(sim, this.opts.startDelayMs, () => this.startContainer(sim, c));
      }
    }
  }
}

function format(l: LogLine, timestamps: boolean): string {
  return timestamps ? `${l.at} ${l.text}\n` : `${l.text}\n`;
}
