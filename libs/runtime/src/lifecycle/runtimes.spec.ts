/**
 * One container lifecycle, three runtimes: the same cases (restart policies,
 * CrashLoopBackOff, liveness, readiness and startup probes) run against the process runtime
 * (real processes), the simulated runtime (scripted hollow containers) and the docker
 * runtime (against the fake Docker Engine, an HTTP server speaking the Engine API on a unix
 * socket, as docker-runtime.spec.ts tests it).
 *
 * A case describes its containers the same way for all three: `exits` (the exit code of
 * each instance, the last one repeating; none: it runs on) and exec probes that pass while
 * a flag is set. Each driver makes that true in its world: a node script and flag files,
 * the fake engine's start and exec hooks, the simulated runtime's `script` and `probe`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerRuntime } from '../docker/docker-runtime';
import { FakeDockerEngine } from '../docker/testing/fake-docker-engine';
import { ProcessRuntime } from '../process/process-runtime';
import { SimulatedRuntime } from '../simulated/simulated-runtime';
import type {
  ContainerSpec,
  PodSpecForRuntime,
  PodStatusReport,
  ProbeSpec,
  Runtime,
} from '../types';
import { goDuration } from './restart-manager';

jest.setTimeout(30_000);

const BACKOFF = { initialBackoffMs: 100, maxBackoffMs: 400 };
const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

/** What a container does: the exit code of each instance (the last repeats), or run on. */
interface Behaviour {
  exits?: number[];
  afterMs?: number;
}

type Probes = Pick<ContainerSpec, 'startupProbe' | 'livenessProbe' | 'readinessProbe'>;

interface Driver {
  runtime: Runtime;
  container(name: string, b: Behaviour, probes?: Probes): ContainerSpec;
  /** An exec probe's handler that passes while `flag` is set. */
  check(flag: string): Pick<ProbeSpec, 'exec'>;
  set(flag: string, on: boolean): void;
  /** How many times probes checked `flag`. */
  attempts(flag: string): number;
  close(): Promise<void>;
}

const behaviourOf = (env: Array<{ name: string; value?: string }> | undefined): Behaviour =>
  JSON.parse(env?.find((e) => e.name === 'BEHAVIOUR')?.value ?? '{}') as Behaviour;

const exitOf = (b: Behaviour, instance: number): number | undefined =>
  b.exits?.length ? b.exits[Math.min(instance, b.exits.length - 1)] : undefined;

/** Flags and probe attempts kept in memory (the fake engine's and the simulation's). */
function memoryFlags() {
  const flags = new Set<string>();
  const counts = new Map<string, number>();
  return {
    set: (flag: string, on: boolean) => void (on ? flags.add(flag) : flags.delete(flag)),
    attempts: (flag: string) => counts.get(flag) ?? 0,
    /** One probe attempt with `command`: whether it passes. */
    probe(command: string[] | undefined): boolean {
      if (command?.[0] !== 'check') return false;
      counts.set(command[1], (counts.get(command[1]) ?? 0) + 1);
      return flags.has(command[1]);
    },
  };
}

function processDriver(): Driver {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-lifecycle-'));
  const marker = `berth-lifecycle-${randomUUID()}`;
  const runtime = new ProcessRuntime({
    dataDir: path.join(dir, 'node'),
    nodeIP: '127.0.0.1',
    log: quiet,
    ...BACKOFF,
  });
  // Counts its instances in the pod's working directory, then exits or runs on.
  const script = `const fs=require('fs');const b=JSON.parse(process.env.BEHAVIOUR);const f='count-'+process.env.NAME;const n=fs.existsSync(f)?Number(fs.readFileSync(f,'utf8')):0;fs.writeFileSync(f,String(n+1));const e=b.exits&&b.exits.length?b.exits[Math.min(n,b.exits.length-1)]:undefined;if(e===undefined)setInterval(()=>{},1000);else setTimeout(()=>process.exit(e),b.afterMs||0);`;
  const file = (flag: string) => path.join(dir, flag);
  return {
    runtime,
    container: (name, b, probes = {}) => ({
      name,
      image: 'node:20',
      command: [process.execPath, '-e', script, marker],
      env: [
        { name: 'BEHAVIOUR', value: JSON.stringify(b) },
        { name: 'NAME', value: name },
      ],
      ...probes,
    }),
    check: (flag) => ({
      exec: {
        command: [
          process.execPath,
          '-e',
          `const fs=require('fs');fs.appendFileSync(${JSON.stringify(`${file(flag)}.attempts`)},'x');process.exit(fs.existsSync(${JSON.stringify(file(flag))})?0:1)`,
        ],
      },
    }),
    set: (flag, on) => (on ? writeFileSync(file(flag), '') : rmSync(file(flag), { force: true })),
    attempts: (flag) =>
      existsSync(`${file(flag)}.attempts`) ? readFileSync(`${file(flag)}.attempts`).length : 0,
    async close() {
      await runtime.close({ stopPods: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function simulatedDriver(): Driver {
  const flags = memoryFlags();
  const runtime = new SimulatedRuntime({
    startDelayMs: 10,
    ...BACKOFF,
    script: ({ container, instance }) => {
      const b = behaviourOf(container.env);
      const exitCode = exitOf(b, instance);
      return exitCode === undefined ? 'run' : { exitCode, afterMs: b.afterMs ?? 0 };
    },
    probe: (_c, spec) => ({ ok: flags.probe(spec.exec?.command) }),
  });
  return {
    runtime,
    container: (name, b, probes = {}) => ({
      name,
      image: 'hollow:1',
      env: [{ name: 'BEHAVIOUR', value: JSON.stringify(b) }],
      ...probes,
    }),
    check: (flag) => ({ exec: { command: ['check', flag] } }),
    set: flags.set,
    attempts: flags.attempts,
    close: () => runtime.close({ stopPods: true }),
  };
}

async function dockerDriver(): Promise<Driver> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-lifecycle-docker-'));
  const engine = new FakeDockerEngine(path.join(dir, 'docker.sock'));
  engine.images.add('busybox:1.36');
  await engine.listen();
  const flags = memoryFlags();
  const timers = new Set<NodeJS.Timeout>();
  // The container's process: exits as its behaviour says for its instance number.
  engine.onStart = (c) => {
    const env = (c.config.Env as string[]).map((kv) => {
      const eq = kv.indexOf('=');
      return { name: kv.slice(0, eq), value: kv.slice(eq + 1) };
    });
    const b = behaviourOf(env);
    const exitCode = exitOf(b, Number(c.labels['berth.dev/restart-count'] ?? 0));
    if (exitCode === undefined) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (engine.containers.has(c.id)) engine.exit(c.id, exitCode);
    }, b.afterMs ?? 0);
    timers.add(t);
  };
  engine.onExec = (_c, cmd) => ({ exitCode: flags.probe(cmd) ? 0 : 1 });
  const runtime = new DockerRuntime({
    socketPath: engine.socketPath,
    nodeIP: '127.0.0.1',
    log: quiet,
    ...BACKOFF,
    resyncIntervalMs: 60_000,
    eventsRetryMs: 20,
  });
  return {
    runtime,
    container: (name, b, probes = {}) => ({
      name,
      image: 'busybox:1.36',
      env: [{ name: 'BEHAVIOUR', value: JSON.stringify(b) }],
      ...probes,
    }),
    check: (flag) => ({ exec: { command: ['check', flag] } }),
    set: flags.set,
    attempts: flags.attempts,
    async close() {
      await runtime.close({ stopPods: true });
      for (const t of timers) clearTimeout(t);
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const DRIVERS: Record<'process' | 'simulated' | 'docker', () => Driver | Promise<Driver>> = {
  process: processDriver,
  simulated: simulatedDriver,
  docker: dockerDriver,
};

function pod(
  name: string,
  containers: ContainerSpec[],
  restartPolicy: PodSpecForRuntime['restartPolicy'] = 'Always',
): PodSpecForRuntime {
  return {
    uid: randomUUID(),
    namespace: 'ns',
    name,
    containers,
    restartPolicy,
    terminationGracePeriodSeconds: 5,
  };
}

async function until(
  rt: Runtime,
  uid: string,
  check: (s: PodStatusReport) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<PodStatusReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = rt.podStatus(uid);
    if (s && check(s)) return s;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; status ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function waitFor(what: string, fn: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const app = (s: PodStatusReport | undefined) => s?.containerStatuses[0];

/** Probe timing for the cases: fast, with a generous timeout (exec probes start node). */
const FAST = { periodSeconds: 0.05, timeoutSeconds: 10 };

const CASES: Array<{ title: string; run(d: Driver): Promise<void> }> = [
  {
    title: 'Always: a crashing container restarts at once, then after a doubling back-off',
    async run(d) {
      const p = pod('crash', [d.container('app', { exits: [1], afterMs: 50 })]);
      const backoffs: Array<{ restartCount: number; message?: string }> = [];
      d.runtime.onChange((uid) => {
        const c = app(d.runtime.podStatus(uid));
        const w = c?.state.waiting;
        if (uid !== p.uid || w?.reason !== 'CrashLoopBackOff') return;
        if (backoffs.at(-1)?.restartCount !== c!.restartCount)
          backoffs.push({ restartCount: c!.restartCount, message: w.message });
      });
      await d.runtime.runPod(p);
      const s = await until(
        d.runtime,
        p.uid,
        (x) => app(x)!.restartCount >= 3 && backoffs.length >= 2,
        'three restarts',
      );
      expect(s.phase).toBe('Running');
      expect(app(s)!.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
      // No back-off before the first restart; 100 ms before the second, 200 ms the third.
      const message = (ms: number) =>
        `back-off ${goDuration(ms)} restarting failed container=app pod=crash_ns(${p.uid})`;
      expect(backoffs.slice(0, 2)).toEqual([
        { restartCount: 2, message: message(100) },
        { restartCount: 3, message: message(200) },
      ]);
    },
  },
  {
    title: 'OnFailure: exit 0 completes without a restart; a failure is restarted',
    async run(d) {
      const done = pod('done', [d.container('app', { exits: [0], afterMs: 50 })], 'OnFailure');
      const retry = pod('retry', [d.container('app', { exits: [1, 0], afterMs: 50 })], 'OnFailure');
      await d.runtime.runPod(done);
      await d.runtime.runPod(retry);
      const s = await until(d.runtime, done.uid, (x) => x.phase === 'Succeeded', 'Succeeded');
      expect(app(s)).toMatchObject({
        restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed' } },
      });
      const r = await until(d.runtime, retry.uid, (x) => x.phase === 'Succeeded', 'retried');
      expect(app(r)).toMatchObject({
        restartCount: 1,
        lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        state: { terminated: { exitCode: 0 } },
      });
    },
  },
  {
    title: 'Never: a failed container stays terminated and the pod Fails',
    async run(d) {
      const p = pod('never', [d.container('app', { exits: [3], afterMs: 50 })], 'Never');
      await d.runtime.runPod(p);
      const s = await until(d.runtime, p.uid, (x) => x.phase === 'Failed', 'Failed');
      expect(app(s)).toMatchObject({
        restartCount: 0,
        ready: false,
        state: { terminated: { exitCode: 3, reason: 'Error' } },
      });
    },
  },
  {
    title: 'a failing liveness probe restarts the container',
    async run(d) {
      const healthy = `healthy-${randomUUID()}`;
      const p = pod('sick', [
        d.container(
          'app',
          {},
          { livenessProbe: { ...d.check(healthy), ...FAST, failureThreshold: 2 } },
        ),
      ]);
      await d.runtime.runPod(p);
      const s = await until(d.runtime, p.uid, (x) => app(x)!.restartCount >= 1, 'a restart');
      // Killed with SIGTERM (143) by the runtime, not exited on its own.
      expect(app(s)!.lastState.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
      expect(d.attempts(healthy)).toBeGreaterThanOrEqual(2);
      d.set(healthy, true);
      const after = await until(d.runtime, p.uid, (x) => !!app(x)!.state.running, 'running again');
      expect(after.phase).toBe('Running');
    },
  },
  {
    title: 'the readiness probe flips ready, without restarts',
    async run(d) {
      const ready = `ready-${randomUUID()}`;
      const p = pod('ready', [
        d.container(
          'app',
          {},
          { readinessProbe: { ...d.check(ready), ...FAST, failureThreshold: 1 } },
        ),
      ]);
      const flips: boolean[] = [];
      d.runtime.onChange((uid) => {
        const c = app(d.runtime.podStatus(uid));
        if (uid === p.uid && c?.state.running && flips.at(-1) !== c.ready) flips.push(c.ready);
      });
      await d.runtime.runPod(p);
      const s = await until(d.runtime, p.uid, (x) => !!app(x)!.state.running, 'running');
      expect(app(s)).toMatchObject({ started: true, ready: false });
      await waitFor('readiness probed', () => d.attempts(ready) >= 2);
      expect(app(d.runtime.podStatus(p.uid))!.ready).toBe(false);
      d.set(ready, true);
      await until(d.runtime, p.uid, (x) => app(x)!.ready, 'ready');
      d.set(ready, false);
      await until(d.runtime, p.uid, (x) => !app(x)!.ready, 'not ready');
      d.set(ready, true);
      const last = await until(d.runtime, p.uid, (x) => app(x)!.ready, 'ready again');
      expect(flips).toEqual([false, true, false, true]);
      expect(app(last)!.restartCount).toBe(0);
    },
  },
  {
    title: 'the startup probe holds liveness and readiness until it succeeds',
    async run(d) {
      const [startup, live, ready] = ['startup', 'live', 'ready'].map(
        (f) => `${f}-${randomUUID()}`,
      );
      const p = pod('slow', [
        d.container(
          'app',
          {},
          {
            startupProbe: { ...d.check(startup), ...FAST, failureThreshold: 10_000 },
            // Would kill the container at its first attempt.
            livenessProbe: { ...d.check(live), ...FAST, failureThreshold: 1 },
            readinessProbe: { ...d.check(ready), ...FAST },
          },
        ),
      ]);
      await d.runtime.runPod(p);
      await until(d.runtime, p.uid, (x) => !!app(x)!.state.running, 'running');
      await waitFor('five startup probes', () => d.attempts(startup) >= 5);
      expect(app(d.runtime.podStatus(p.uid))).toMatchObject({
        started: false,
        ready: false,
        restartCount: 0,
      });
      expect(d.attempts(live) + d.attempts(ready)).toBe(0);
      d.set(live, true);
      d.set(ready, true);
      d.set(startup, true);
      const s = await until(d.runtime, p.uid, (x) => app(x)!.started && app(x)!.ready, 'started');
      expect(app(s)!.restartCount).toBe(0);
      await waitFor('liveness probing', () => d.attempts(live) > 0);
    },
  },
];

describe.each(Object.keys(DRIVERS) as Array<keyof typeof DRIVERS>)('the %s runtime', (name) => {
  let driver: Driver;
  beforeEach(async () => {
    driver = await DRIVERS[name]();
  });
  afterEach(async () => {
    await driver.close();
  });

  it.each(CASES)('$title', async ({ run }) => {
    await run(driver);
  });
});
