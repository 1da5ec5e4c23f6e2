import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { PodSpecForRuntime, PodStatusReport } from '../types';
import { SimulatedRuntime } from './simulated-runtime';

function pod(uid: string, extra: Partial<PodSpecForRuntime> = {}): PodSpecForRuntime {
  return {
    uid,
    namespace: 'ns',
    name: `pod-${uid}`,
    containers: [
      { name: 'app', image: 'nginx:1.25' },
      { name: 'sidecar', image: 'busybox' },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    ...extra,
  };
}

/** Waits until `check` holds for the pod's status (a deadline, never a fixed sleep). */
async function until(
  rt: SimulatedRuntime,
  uid: string,
  check: (s: PodStatusReport) => boolean,
  timeoutMs = 5000,
): Promise<PodStatusReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = rt.podStatus(uid);
    if (s && check(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out; last status ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function read(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

describe('SimulatedRuntime', () => {
  const runtimes: SimulatedRuntime[] = [];
  const make = (opts: ConstructorParameters<typeof SimulatedRuntime>[0] = {}) => {
    const rt = new SimulatedRuntime(opts);
    runtimes.push(rt);
    return rt;
  };
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((rt) => rt.close()));
  });

  it('makes a pod Pending (ContainerCreating), then Running with every container ready', async () => {
    const rt = make({ startDelayMs: 50, podIP: '10.1.2.3' });
    const changes: string[] = [];
    rt.onChange((uid) => changes.push(uid));
    await rt.runPod(pod('a'));
    const first = rt.podStatus('a')!;
    expect(first.phase).toBe('Pending');
    expect(first.containerStatuses.map((c) => c.state.waiting?.reason)).toEqual([
      'ContainerCreating',
      'ContainerCreating',
    ]);
    const s = await until(rt, 'a', (x) => x.phase === 'Running');
    expect(s).toMatchObject({ uid: 'a', namespace: 'ns', name: 'pod-a', podIP: '10.1.2.3' });
    expect(s.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const c of s.containerStatuses) {
      expect(c.ready).toBe(true);
      expect(c.started).toBe(true);
      expect(c.restartCount).toBe(0);
      expect(c.state.running?.startedAt).toBeDefined();
    }
    expect(changes.filter((u) => u === 'a').length).toBeGreaterThanOrEqual(2);
  });

  it('is idempotent per uid and forgets a stopped pod', async () => {
    const rt = make({ startDelayMs: 10 });
    await rt.runPod(pod('a'));
    await rt.runPod(pod('a'));
    await rt.runPod(pod('b'));
    expect((await rt.listPods()).map((p) => p.uid).sort()).toEqual(['a', 'b']);
    await rt.stopPod('a', 0);
    expect(rt.podStatus('a')).toBeUndefined();
    expect((await rt.listPods()).map((p) => p.uid)).toEqual(['b']);
    await rt.stopPod('missing');
  });

  it('fails containers with exit code 1 and restarts them, at once then after a back-off (Always)', async () => {
    const rt = make({
      startDelayMs: 10,
      failureRate: 1,
      runBeforeExitMs: 30,
      initialBackoffMs: 40,
    });
    await rt.runPod(pod('a', { containers: [{ name: 'app', image: 'x' }] }));
    const backingOff = await until(
      rt,
      'a',
      (s) => s.containerStatuses[0].state.waiting?.reason === 'CrashLoopBackOff',
    );
    expect(backingOff.phase).toBe('Running');
    // The first restart was immediate; the back-off applies from the second.
    expect(backingOff.containerStatuses[0]).toMatchObject({
      ready: false,
      restartCount: 2,
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    expect(backingOff.containerStatuses[0].state.waiting?.message).toBe(
      'back-off 40ms restarting failed container=app pod=pod-a_ns(a)',
    );
    const again = await until(rt, 'a', (s) => s.containerStatuses[0].restartCount >= 3);
    expect(again.containerStatuses[0].lastState.terminated?.exitCode).toBe(1);
  });

  it('OnFailure: a completing container is not restarted and the pod Succeeds', async () => {
    const rt = make({ startDelayMs: 10, restartRate: 1, runBeforeExitMs: 20 });
    await rt.runPod(pod('a', { restartPolicy: 'OnFailure' }));
    const s = await until(rt, 'a', (x) => x.phase === 'Succeeded');
    for (const c of s.containerStatuses) {
      expect(c.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      expect(c.restartCount).toBe(0);
    }
  });

  it('Never: a failing container stays terminated and the pod Fails', async () => {
    const rt = make({ startDelayMs: 10, failureRate: 1, runBeforeExitMs: 20 });
    await rt.runPod(pod('a', { restartPolicy: 'Never' }));
    const s = await until(rt, 'a', (x) => x.phase === 'Failed');
    expect(s.containerStatuses.every((c) => c.state.terminated?.exitCode === 1)).toBe(true);
  });

  it('lets a container script its exit in its environment (a Job pod that completes)', async () => {
    // Rates that would keep every container running or fail it: the environment wins.
    const rt = make({ startDelayMs: 10, failureRate: 0, restartRate: 0 });
    await rt.runPod(
      pod('a', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'work',
            image: 'busybox',
            env: [{ name: 'BERTH_SIMULATED_EXIT_AFTER_MS', value: '30' }],
          },
          {
            name: 'bad',
            image: 'busybox',
            env: [
              { name: 'BERTH_SIMULATED_EXIT_AFTER_MS', value: '20' },
              { name: 'BERTH_SIMULATED_EXIT_CODE', value: '3' },
            ],
          },
        ],
      }),
    );
    const running = await until(rt, 'a', (x) => x.phase === 'Running');
    expect(running.containerStatuses.every((c) => c.state.running)).toBe(true);
    const done = await until(rt, 'a', (x) => x.phase === 'Failed');
    expect(done.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(done.containerStatuses[1].state.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
    });
    expect(done.containerStatuses.map((c) => c.restartCount)).toEqual([0, 0]);

    await rt.runPod(
      pod('b', {
        restartPolicy: 'OnFailure',
        containers: [
          {
            name: 'work',
            image: 'busybox',
            env: [{ name: 'BERTH_SIMULATED_EXIT_AFTER_MS', value: '0' }],
          },
        ],
      }),
    );
    const ok = await until(rt, 'b', (x) => x.phase === 'Succeeded');
    expect(ok.containerStatuses[0].state.terminated?.exitCode).toBe(0);
  });

  it('ignores a scripted exit that is not a number, and says so in the log', async () => {
    const rt = make({ startDelayMs: 10 });
    await rt.runPod(
      pod('a', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'app',
            image: 'busybox',
            env: [
              { name: 'BERTH_SIMULATED_EXIT_AFTER_MS', value: '10' },
              { name: 'BERTH_SIMULATED_EXIT_CODE', value: '256' },
            ],
          },
          {
            name: 'side',
            image: 'busybox',
            env: [{ name: 'BERTH_SIMULATED_EXIT_AFTER_MS', value: 'soon' }],
          },
          // The clock: a valid script that ends well after the 10 ms the bad one asked for.
          {
            name: 'clock',
            image: 'busybox',
            env: [{ name: 'BERTH_SIMULATED_EXIT_AFTER_MS', value: '80' }],
          },
        ],
      }),
    );
    const s = await until(rt, 'a', (x) => !!x.containerStatuses[2].state.terminated);
    // The default rates are 0: without a valid script the other two run on.
    expect(s.containerStatuses.slice(0, 2).every((c) => c.state.running)).toBe(true);
    expect(await read(await rt.logs('a', { container: 'app' }))).toContain(
      'BERTH_SIMULATED_EXIT_CODE="256" is not an exit code 0-255: ignored',
    );
    expect(await read(await rt.logs('a', { container: 'side' }))).toContain(
      'BERTH_SIMULATED_EXIT_AFTER_MS="soon" is not a number of milliseconds >= 0: ignored',
    );
  });

  it('applies the failure rate per container instance', async () => {
    let i = 0;
    // Alternating draws: the first container fails, the second keeps running.
    const rt = make({
      startDelayMs: 10,
      failureRate: 0.5,
      runBeforeExitMs: 20,
      initialBackoffMs: 60_000,
      random: () => (i++ % 2 === 0 ? 0.1 : 0.9),
    });
    await rt.runPod(pod('a'));
    const s = await until(rt, 'a', (x) => x.containerStatuses[0].restartCount === 1);
    expect(s.containerStatuses[1]).toMatchObject({ ready: true, restartCount: 0 });
  });

  it('serves synthetic logs: tail, previous instance, timestamps and follow', async () => {
    const rt = make({
      startDelayMs: 10,
      failureRate: 1,
      runBeforeExitMs: 20,
      initialBackoffMs: 20,
    });
    await rt.runPod(pod('a', { containers: [{ name: 'app', image: 'img' }] }));
    await until(rt, 'a', (x) => x.containerStatuses[0].restartCount >= 1);
    const previous = await read(await rt.logs('a', { container: 'app', previous: true }));
    expect(previous).toContain('simulated container app (img) started, instance 0');
    expect(previous).toContain('exiting with code 1');
    const tail = await read(
      await rt.logs('a', { container: 'app', previous: true, tailLines: 1, timestamps: true }),
    );
    expect(tail.trim().split('\n')).toHaveLength(1);
    expect(tail).toMatch(/^\d{4}-\d\d-\d\dT\S+Z fatal: simulated failure/);

    const follow = await rt.logs('a', { container: 'app', follow: true });
    const seen = new Promise<string>((resolve) => {
      let out = '';
      follow.on('data', (chunk) => {
        out += chunk.toString();
        if (out.includes('started, instance 2')) resolve(out);
      });
    });
    expect(await seen).toContain('instance 2');
    follow.destroy();
    await expect(rt.logs('a', { container: 'nope' })).rejects.toThrow(/not in pod/);
    await expect(rt.logs('zz', { container: 'app' })).rejects.toThrow(/not running/);
  });

  it('keeps its pods in a state file: the next instance re-adopts them as they were', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-sim-'));
    try {
      const stateFile = path.join(dir, 'pods.json');
      const first = new SimulatedRuntime({ startDelayMs: 10, stateFile });
      await first.runPod(pod('a'));
      await first.runPod(pod('b'));
      const before = await until(first, 'a', (x) => x.phase === 'Running');
      await first.stopPod('b');
      await first.close();

      const second = make({ startDelayMs: 10, stateFile });
      const pods = await second.listPods();
      expect(pods.map((p) => p.uid)).toEqual(['a']);
      expect(pods[0].phase).toBe('Running');
      expect(pods[0].containerStatuses[0].state.running?.startedAt).toBe(
        before.containerStatuses[0].state.running?.startedAt,
      );
      expect(pods[0].startTime).toBe(before.startTime);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hosts thousands of hollow pods cheaply', async () => {
    const rts = Array.from({ length: 100 }, () => make({ startDelayMs: 20 }));
    await Promise.all(
      rts.flatMap((rt, n) => Array.from({ length: 30 }, (_, i) => rt.runPod(pod(`${n}-${i}`)))),
    );
    const deadline = Date.now() + 5000;
    let running = 0;
    while (Date.now() < deadline) {
      running = (await Promise.all(rts.map((rt) => rt.listPods())))
        .flat()
        .filter((p) => p.phase === 'Running').length;
      if (running === 3000) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(running).toBe(3000);
  });
});
