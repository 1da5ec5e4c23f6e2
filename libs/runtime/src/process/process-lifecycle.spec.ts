/**
 * The process runtime's container lifecycle with real processes: what
 * lifecycle/runtimes.spec.ts checks for every runtime, in more detail (HTTP, TCP and exec
 * probes on named ports, restart timing, start errors, memory limits).
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  COUNT,
  container,
  get,
  nodeContainer,
  pidOf,
  processRuntimeFixture,
  processesWith,
  read,
  waitFor,
} from './testing/process-fixture';

jest.setTimeout(20_000);

describe('ProcessRuntime: restarts, limits and probes', () => {
  const f = processRuntimeFixture();
  const { make, pod, until, messages } = f;
  let dir: string;
  let marker: string;
  beforeEach(() => ({ dir, marker } = f));

  it('restarts a crashing container with a growing back-off (CrashLoopBackOff)', async () => {
    const rt = make();
    const p = pod('crash', [
      nodeContainer('app', `console.log('crashing');process.exit(1)`, marker),
    ]);
    const backoffs: string[] = [];
    // Between an exit and the next start: at least the back-off announced.
    const gaps: number[] = [];
    rt.onChange((uid) => {
      const c = container(rt.podStatus(uid));
      const msg = c?.state.waiting?.message;
      if (uid !== p.uid || !c) return;
      if (msg && backoffs[backoffs.length - 1] !== msg) backoffs.push(msg);
      if (c.state.running && c.lastState.terminated && gaps.length < c.restartCount)
        gaps.push(
          Date.parse(c.state.running.startedAt) - Date.parse(c.lastState.terminated.finishedAt),
        );
    });
    await rt.runPod(p);
    const s = await until(rt, p.uid, (x) => container(x)!.restartCount >= 5, 15_000);
    expect(s.phase).toBe('Running');
    expect(backoffs.slice(0, 4)).toEqual(
      ['200ms', '400ms', '800ms', '1.6s'].map(
        (d) => `back-off ${d} restarting failed container=app pod=crash_ns(${p.uid})`,
      ),
    );
    // The first restart is immediate (kubelet's), the back-off applies from the second.
    expect(gaps.length).toBeGreaterThanOrEqual(4);
    expect(gaps[0]).toBeLessThan(200);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
    expect(gaps[3]).toBeGreaterThanOrEqual(800);
    const c = container(s)!;
    expect(c.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    const t = c.lastState.terminated!;
    expect(Date.parse(t.finishedAt)).toBeGreaterThanOrEqual(Date.parse(t.startedAt!));
    expect(c.ready).toBe(false);
  });

  it('applies OnFailure and Never to the pod phase, and reports containers that cannot start', async () => {
    const rt = make();
    const exit = (code: number) => `process.exit(${code})`;
    const pods = {
      onFailureOk: pod('a', [nodeContainer('app', exit(0), marker)], {
        restartPolicy: 'OnFailure',
      }),
      onFailureRetry: pod('b', [nodeContainer('app', `${COUNT}process.exit(n===1?1:0)`, marker)], {
        restartPolicy: 'OnFailure',
      }),
      neverFails: pod('c', [nodeContainer('app', exit(3), marker)], { restartPolicy: 'Never' }),
      neverMixed: pod(
        'd',
        [
          nodeContainer('app', exit(0), marker),
          nodeContainer('side', `setTimeout(()=>process.exit(1),100)`, marker),
        ],
        { restartPolicy: 'Never' },
      ),
      noCommand: pod('e', [{ name: 'app', image: 'nginx:1.25' }], { restartPolicy: 'Never' }),
      notFound: pod('f', [{ name: 'app', image: 'x', command: ['no-such-program-berth'] }], {
        restartPolicy: 'Never',
      }),
      nodeImage: pod(
        'g',
        [{ name: 'app', image: 'node:20', args: ['-e', 'process.exit(0)', marker] }],
        {
          restartPolicy: 'Never',
        },
      ),
      // No entrypoint: args are the command, as Docker runs them.
      busybox: pod(
        'h',
        [{ name: 'app', image: 'busybox', args: ['/bin/sh', '-c', 'exit 4', marker] }],
        {
          restartPolicy: 'Never',
        },
      ),
    };
    for (const p of Object.values(pods)) await rt.runPod(p);
    const done = (x: PodStatusReport) => x.phase === 'Succeeded' || x.phase === 'Failed';

    expect(container(await until(rt, pods.onFailureOk.uid, done))).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
    const retried = await until(rt, pods.onFailureRetry.uid, done);
    expect(retried.phase).toBe('Succeeded');
    expect(container(retried)).toMatchObject({
      restartCount: 1,
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    const failed = await until(rt, pods.neverFails.uid, done);
    expect(failed.phase).toBe('Failed');
    expect(container(failed)).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode: 3 } },
    });
    expect((await until(rt, pods.neverMixed.uid, done)).phase).toBe('Failed');
    const notFound = await until(rt, pods.notFound.uid, done);
    expect(notFound.phase).toBe('Failed');
    expect(container(notFound)!.state.terminated).toMatchObject({
      exitCode: 128,
      reason: 'StartError',
      message: expect.stringContaining('executable file not found in $PATH'),
    });
    expect((await until(rt, pods.nodeImage.uid, done)).phase).toBe('Succeeded');
    expect(container(await until(rt, pods.busybox.uid, done))!.state.terminated).toMatchObject({
      exitCode: 4,
    });

    const noCommand = rt.podStatus(pods.noCommand.uid)!;
    expect(noCommand.phase).toBe('Pending');
    expect(container(noCommand)!.state.waiting).toMatchObject({
      reason: 'CreateContainerError',
      message: expect.stringContaining('set command'),
    });
  });

  it('kills a container over its memory limit (OOMKilled) and leaves one under it alone', async () => {
    const rt = make();
    const limits = { limits: { memory: '64Mi' } };
    const p = pod(
      'oom',
      [
        nodeContainer(
          'hog',
          `const a=[];setInterval(()=>a.push(Buffer.alloc(8*1024*1024,1)),20)`,
          marker,
          {
            resources: limits,
          },
        ),
        nodeContainer('idle', `setInterval(()=>{},1000)`, marker, { resources: limits }),
      ],
      { restartPolicy: 'Never' },
    );
    await rt.runPod(p);
    const s = await until(rt, p.uid, (x) => !!container(x, 'hog')!.state.terminated);
    expect(container(s, 'hog')!.state.terminated).toMatchObject({
      exitCode: 137,
      reason: 'OOMKilled',
    });
    expect(container(s, 'idle')!.state.running).toBeDefined();
    expect(s.phase).toBe('Running');
    // The kernel's (cgroup v2) or the runtime's doing, depending on the host.
    expect(messages.join('\n')).toMatch(
      /memory limits enforced by (cgroup v2|watching resident memory)/,
    );
  });

  it('restarts a container whose liveness probe fails', async () => {
    const rt = make();
    // The first instance answers /healthz twice, then fails; later ones stay healthy.
    // GET /k tells how many probes an instance answered.
    const script = `${COUNT}let k=0;require('http').createServer((q,s)=>{if(q.url==='/k')return s.end(String(k));k++;s.statusCode=(n===1&&k>2)?500:200;s.end()}).listen(process.env.PORT)`;
    const p = pod('live', [
      nodeContainer('app', script, marker, {
        ports: [{ containerPort: 8080, name: 'http' }],
        // Liveness only once it listens (node may take a while to start on a busy machine).
        startupProbe: { tcpSocket: { port: 'http' }, periodSeconds: 0.05, failureThreshold: 400 },
        livenessProbe: {
          httpGet: { path: '/healthz', port: 'http' },
          periodSeconds: 0.1,
          timeoutSeconds: 5,
          failureThreshold: 2,
        },
      }),
    ]);
    await rt.runPod(p);
    const s = await until(
      rt,
      p.uid,
      (x) => container(x)!.restartCount === 1 && !!container(x)!.state.running,
    );
    expect(container(s)!.lastState.terminated).toMatchObject({
      exitCode: 143,
      signal: 15,
      reason: 'Error',
    });
    // The new instance passes: it is still the same one after several more probes.
    const pid = pidOf(s);
    const port = container(s)!.hostPorts![8080];
    await waitFor(async () => Number((await get(port, '/k')).body) >= 5, 8000, 'five probes');
    expect(pidOf(rt.podStatus(p.uid))).toBe(pid);
    expect(container(rt.podStatus(p.uid))!.restartCount).toBe(1);
    expect(processesWith(marker)).toHaveLength(1);
  });

  it('flips ready with the readiness probe and tells listeners each time', async () => {
    const rt = make();
    const flag = path.join(dir, 'ready');
    const p = pod('ready', [
      nodeContainer(
        'app',
        `const fs=require('fs');require('http').createServer((q,s)=>{s.statusCode=fs.existsSync(process.env.FLAG)?200:503;s.end()}).listen(process.env.PORT)`,
        marker,
        {
          env: [{ name: 'FLAG', value: flag }],
          ports: [{ containerPort: 80 }],
          readinessProbe: {
            httpGet: { path: '/', port: 80 },
            periodSeconds: 0.1,
            timeoutSeconds: 3,
            failureThreshold: 1,
          },
        },
      ),
      nodeContainer('exec', `setInterval(()=>{},1000)`, marker, {
        env: [{ name: 'FLAG', value: flag }],
        readinessProbe: {
          exec: {
            command: ['node', '-e', "process.exit(require('fs').existsSync('$(FLAG)')?0:1)"],
          },
          periodSeconds: 0.1,
          timeoutSeconds: 3,
          failureThreshold: 1,
        },
      }),
    ]);
    const flips: boolean[] = [];
    rt.onChange((uid) => {
      const ready = container(rt.podStatus(uid))?.ready;
      if (uid === p.uid && ready !== undefined && flips[flips.length - 1] !== ready)
        flips.push(ready);
    });
    await rt.runPod(p);
    const s = await until(rt, p.uid, (x) => x.phase === 'Running');
    expect(container(s)!.ready).toBe(false);
    expect(container(s)!.started).toBe(true);
    expect(container(s, 'exec')!.ready).toBe(false);
    writeFileSync(flag, '');
    await until(rt, p.uid, (x) => container(x)!.ready && container(x, 'exec')!.ready);
    rmSync(flag);
    await until(rt, p.uid, (x) => !container(x)!.ready && !container(x, 'exec')!.ready);
    writeFileSync(flag, '');
    await until(rt, p.uid, (x) => container(x)!.ready);
    expect(flips).toEqual([false, true, false, true]);
    expect(container(rt.podStatus(p.uid))!.restartCount).toBe(0);
  });

  it('holds liveness and readiness until the startup probe succeeds, and restarts when it never does', async () => {
    const rt = make();
    const flag = path.join(dir, 'started');
    const slow = pod('slow', [
      nodeContainer(
        'app',
        `const fs=require('fs');const t=setInterval(()=>{if(fs.existsSync(process.env.FLAG)){clearInterval(t);require('http').createServer((q,s)=>s.end('ok')).listen(process.env.PORT)}else console.log('waiting')},50)`,
        marker,
        {
          env: [{ name: 'FLAG', value: flag }],
          ports: [{ containerPort: 80 }],
          startupProbe: { tcpSocket: { port: 80 }, periodSeconds: 0.1, failureThreshold: 100 },
          // Would kill the container at once if it ran before the server listens.
          livenessProbe: {
            httpGet: { port: 80 },
            periodSeconds: 0.1,
            timeoutSeconds: 5,
            failureThreshold: 1,
          },
          readinessProbe: { httpGet: { port: 80 }, periodSeconds: 0.1, timeoutSeconds: 5 },
        },
      ),
    ]);
    const never = pod('never', [
      nodeContainer('app', `setInterval(()=>{},1000)`, marker, {
        ports: [{ containerPort: 80 }],
        startupProbe: {
          exec: { command: [process.execPath, '-e', 'process.exit(1)'] },
          periodSeconds: 0.1,
          failureThreshold: 3,
        },
      }),
    ]);
    await rt.runPod(slow);
    await rt.runPod(never);
    await until(rt, slow.uid, (x) => x.phase === 'Running');
    // Ten polls (0.5 s, five liveness periods) while not started: nothing killed it.
    await waitFor(
      async () =>
        ((await read(await rt.logs(slow.uid, { container: 'app' }))).match(/waiting/g) ?? [])
          .length >= 10,
    );
    expect(container(rt.podStatus(slow.uid))).toMatchObject({
      started: false,
      ready: false,
      restartCount: 0,
    });
    writeFileSync(flag, '');
    const s = await until(rt, slow.uid, (x) => container(x)!.started && container(x)!.ready);
    expect(container(s)!.restartCount).toBe(0);

    const n = await until(rt, never.uid, (x) => container(x)!.restartCount >= 1);
    expect(container(n)!.lastState.terminated).toMatchObject({ reason: 'Error', exitCode: 143 });
    expect(container(n)!.started).toBe(false);
  });
});
