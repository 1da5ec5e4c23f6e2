import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ContainerSpec, PodSpecForRuntime, PodStatusReport } from '../types';
import { ProcessRuntime, type ProcessRuntimeOptions } from './process-runtime';

jest.setTimeout(20_000);

/** Waits until `fn` returns a truthy value (a deadline, never a fixed sleep). */
async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 8000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Live processes whose command line holds `marker` (zombies have none): the orphan check. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function read(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

function get(port: number, urlPath = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** A container running `script` with node; `marker` lands in its command line. */
function nodeContainer(
  name: string,
  script: string,
  marker: string,
  extra: Partial<ContainerSpec> = {},
): ContainerSpec {
  return { name, image: 'node:20', command: [process.execPath, '-e', script, marker], ...extra };
}

/** Reads a counter file in the working directory, increments it, returns the new value. */
const COUNT = `const fs=require('fs');const n=(fs.existsSync('count')?Number(fs.readFileSync('count','utf8')):0)+1;fs.writeFileSync('count',String(n));`;

const SERVER = `require('http').createServer((q,s)=>s.end(JSON.stringify({env:process.env,argv:process.argv.slice(1)}))).listen(process.env.PORT);`;

const container = (s: PodStatusReport | undefined, name = 'app') =>
  s?.containerStatuses.find((c) => c.name === name);

const pidOf = (s: PodStatusReport | undefined, name = 'app') =>
  Number(container(s, name)?.containerID?.replace('process://', ''));

describe('ProcessRuntime', () => {
  let dir: string;
  let marker: string;
  const runtimes: ProcessRuntime[] = [];
  const messages: string[] = [];
  const log = {
    error: (m: string) => messages.push(m),
    warn: (m: string) => messages.push(m),
    info: (m: string) => messages.push(m),
    debug: () => undefined,
  };

  const make = (opts: Partial<ProcessRuntimeOptions> = {}) => {
    const rt = new ProcessRuntime({
      dataDir: path.join(dir, 'node'),
      nodeIP: '127.0.0.1',
      log,
      initialBackoffMs: 200,
      maxBackoffMs: 1600,
      memoryCheckIntervalMs: 100,
      ...opts,
    });
    runtimes.push(rt);
    return rt;
  };

  const pod = (
    name: string,
    containers: ContainerSpec[],
    extra: Partial<PodSpecForRuntime> = {},
  ): PodSpecForRuntime => ({
    uid: `${name}-${randomUUID()}`,
    namespace: 'ns',
    name,
    containers,
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 5,
    ...extra,
  });

  const until = (
    rt: ProcessRuntime,
    uid: string,
    check: (s: PodStatusReport) => boolean,
    timeoutMs = 8000,
  ) =>
    waitFor(
      () => {
        const s = rt.podStatus(uid);
        return s && check(s) ? s : undefined;
      },
      timeoutMs,
      `pod ${uid}: ${check.toString()}; status ${JSON.stringify(rt.podStatus(uid))}`,
    );

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-process-runtime-'));
    marker = `berth-spec-${randomUUID()}`;
    messages.length = 0;
  });

  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((rt) => rt.close({ stopPods: true })));
    // Whatever a test left (a runtime it closed without stopping) must not outlive it.
    for (const pid of processesWith(marker)) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone, or not a group leader
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the command with its env, publishes its port on the node, and stops it leaving no process', async () => {
    const rt = make();
    const changes: string[] = [];
    rt.onChange((uid) => changes.push(uid));
    const p = pod('web', [
      nodeContainer('app', SERVER, marker, {
        args: ['$(GREETING)', '$$(GREETING)', '$(UNDEFINED)', '$(POD_NAME)'],
        env: [
          { name: 'GREETING', value: 'hello $(POD_NAME) on $(HOST_IP)' },
          { name: 'POD_IP', value: 'overridden' },
        ],
        ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 9090 }],
      }),
    ]);
    await rt.runPod(p);
    await rt.runPod(p); // idempotent
    const s = await until(rt, p.uid, (x) => x.phase === 'Running');
    expect(s.podIP).toBe('127.0.0.1');
    const c = container(s)!;
    expect(c.state.running).toBeDefined();
    expect(c.ready && c.started).toBe(true);
    const hostPort = c.hostPorts![8080];
    expect(hostPort).toBeGreaterThanOrEqual(40000);
    expect(hostPort).toBeLessThanOrEqual(44999);
    expect(c.hostPorts![9090]).not.toBe(hostPort);

    const res = await waitFor(() => get(hostPort), 8000, 'the HTTP server');
    const { env, argv } = JSON.parse(res.body) as { env: Record<string, string>; argv: string[] };
    expect(argv).toEqual([marker, 'hello web on 127.0.0.1', '$(GREETING)', '$(UNDEFINED)', 'web']);
    expect(env).toMatchObject({
      PORT: String(hostPort),
      BERTH_PORT_8080: String(hostPort),
      BERTH_PORT_9090: String(c.hostPorts![9090]),
      POD_NAME: 'web',
      POD_NAMESPACE: 'ns',
      POD_UID: p.uid,
      HOST_IP: '127.0.0.1',
      POD_IP: 'overridden',
    });
    expect(processesWith(marker)).toHaveLength(1);
    expect(changes).toContain(p.uid);

    await rt.stopPod(p.uid);
    expect(processesWith(marker)).toEqual([]);
    expect(rt.podStatus(p.uid)).toBeUndefined();
    expect(await rt.listPods()).toEqual([]);
    expect(existsSync(path.join(dir, 'node', 'pods', p.uid))).toBe(false);
  });

  it('publishes a hostPort on exactly that port, and refuses it when it is taken', async () => {
    const rt = make();
    // A port outside the range that is free now (found by binding port 0).
    const free = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const p = pod('fixed', [
      nodeContainer('app', SERVER, marker, { ports: [{ containerPort: 80, hostPort: free }] }),
    ]);
    await rt.runPod(p);
    const s = await until(rt, p.uid, (x) => x.phase === 'Running');
    expect(container(s)!.hostPorts).toEqual({ 80: free });
    const res = await waitFor(() => get(free), 8000, 'the server on its hostPort');
    expect(JSON.parse(res.body).env.PORT).toBe(String(free));

    // Another pod asking for the same port on this node is not started.
    const again = pod('again', [
      nodeContainer('app', SERVER, marker, { ports: [{ containerPort: 80, hostPort: free }] }),
    ]);
    await expect(rt.runPod(again)).rejects.toThrow(
      `host port ${free} is already held by another pod on this node`,
    );
    expect(rt.podStatus(again.uid)).toBeUndefined();

    // Nor is one whose port another program listens on.
    const foreign = net.createServer();
    await new Promise<void>((resolve) => foreign.listen(0, resolve));
    const taken = (foreign.address() as net.AddressInfo).port;
    try {
      const blocked = pod('blocked', [
        nodeContainer('app', SERVER, marker, { ports: [{ containerPort: 80, hostPort: taken }] }),
      ]);
      await expect(rt.runPod(blocked)).rejects.toThrow(`host port ${taken} is in use`);
    } finally {
      foreign.close();
    }
    await rt.stopPod(p.uid);
  });

  it('serves logs with tail, since, timestamps, follow and the previous instance', async () => {
    const rt = make();
    const flag = path.join(dir, 'flag');
    const p = pod('logs', [
      nodeContainer(
        'app',
        `${COUNT} console.log('run '+n); console.error('stderr '+n); if (n===1) process.exit(2);
         let i=0; const t=setInterval(()=>{ console.log('tick '+(++i)); if (fs.existsSync(process.env.FLAG)) { console.log('done'); clearInterval(t); } }, 50);`,
        marker,
        { env: [{ name: 'FLAG', value: flag }] },
      ),
    ]);
    await rt.runPod(p);
    const s = await until(
      rt,
      p.uid,
      (x) => container(x)!.restartCount === 1 && !!container(x)!.state.running,
    );
    expect(container(s)!.lastState.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });

    const previous = await read(await rt.logs(p.uid, { container: 'app', previous: true }));
    expect(previous).toBe('run 1\nstderr 1\n');

    await waitFor(async () =>
      (await read(await rt.logs(p.uid, { container: 'app' }))).includes('tick 10'),
    );
    const all = (await read(await rt.logs(p.uid, { container: 'app' }))).split('\n');
    expect(all.slice(0, 3)).toEqual(['run 2', 'stderr 2', 'tick 1']);

    const tail = await read(await rt.logs(p.uid, { container: 'app', tailLines: 2 }));
    const tailLines = tail.trimEnd().split('\n');
    expect(tailLines).toHaveLength(2);
    expect(tailLines[1]).toMatch(/^tick \d+$/);

    const stamped = (await read(await rt.logs(p.uid, { container: 'app', timestamps: true })))
      .trimEnd()
      .split('\n');
    for (const l of stamped) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \S/);
    const first = Date.parse(stamped[0].slice(0, 23) + 'Z');
    expect(Math.abs(first - Date.parse(container(s)!.state.running!.startedAt))).toBeLessThan(3000);

    // Lines older than sinceSeconds are left out: wait until the first lines are 0.5 s old.
    await waitFor(() => Date.now() - first > 700);
    const recent = await read(await rt.logs(p.uid, { container: 'app', sinceSeconds: 0.5 }));
    expect(recent).not.toContain('run 2');
    expect(recent).toMatch(/tick \d+\n$/);

    // follow: the stream stays open, gets new lines, and ends with the instance.
    const follow = await rt.logs(p.uid, { container: 'app', follow: true, tailLines: 1 });
    let followed = '';
    let ended = false;
    follow.on('data', (c: Buffer) => (followed += c.toString()));
    follow.on('end', () => (ended = true));
    await waitFor(() => (followed.match(/tick/g) ?? []).length >= 4, 5000, 'followed lines');
    expect(ended).toBe(false);
    // The instance prints its last line and exits (code 0): the stream ends with it.
    writeFileSync(flag, '');
    await waitFor(() => ended, 5000, 'the follow stream to end');
    expect(followed).toMatch(/tick \d+\ndone\n$/);
  });

  it('rotates a log past logMaxBytes and keeps logFiles rotated files', async () => {
    const rt = make({ logMaxBytes: 2000, logFiles: 1 });
    const burst = `process.on('SIGUSR1',()=>{b++;for(let i=0;i<40;i++)console.log('burst '+b+' line '+String(i).padStart(2,'0')+' '+'x'.repeat(40))});let b=0;console.log('ready');setInterval(()=>{},1000);`;
    const p = pod('rotate', [nodeContainer('app', burst, marker)]);
    await rt.runPod(p);
    const s = await until(rt, p.uid, (x) => !!container(x)!.state.running);
    const logDir = path.join(dir, 'node', 'pods', p.uid, 'logs', 'app');
    await waitFor(async () =>
      (await read(await rt.logs(p.uid, { container: 'app' }))).includes('ready'),
    );
    process.kill(pidOf(s), 'SIGUSR1');
    await waitFor(() => existsSync(path.join(logDir, '0.log.1')), 5000, 'a rotation');
    const afterOne = (await read(await rt.logs(p.uid, { container: 'app' }))).trimEnd().split('\n');
    expect(afterOne[0]).toBe('ready');
    expect(afterOne).toHaveLength(41);
    process.kill(pidOf(s), 'SIGUSR1');
    await waitFor(
      () => readFileSync(path.join(logDir, '0.log.1'), 'utf8').includes('burst 2 line 39'),
      5000,
      'the second rotation',
    );
    // One rotated file is kept: the first burst is gone.
    const afterTwo = (await read(await rt.logs(p.uid, { container: 'app' }))).trimEnd().split('\n');
    expect(afterTwo).toHaveLength(40);
    expect(afterTwo.every((l) => l.startsWith('burst 2'))).toBe(true);
    expect(existsSync(path.join(logDir, '0.log.2'))).toBe(false);
  });

  it('stops gracefully with SIGTERM, and with SIGKILL after the grace period, grandchildren included', async () => {
    const rt = make();
    const termFile = path.join(dir, 'got-sigterm');
    const polite = pod('polite', [
      nodeContainer(
        'app',
        `process.on('SIGTERM',()=>{require('fs').writeFileSync(process.env.OUT,'yes');process.exit(0)});console.log('up');setInterval(()=>{},1000);`,
        marker,
        { env: [{ name: 'OUT', value: termFile }] },
      ),
    ]);
    const grandchild = `process.on('SIGTERM',()=>{});setInterval(()=>{},1000)`;
    const stubborn = pod('stubborn', [
      nodeContainer(
        'app',
        `process.on('SIGTERM',()=>console.log('ignoring SIGTERM'));require('child_process').spawn(process.execPath,['-e',${JSON.stringify(grandchild)},process.argv[1]],{stdio:'inherit'});setInterval(()=>{},1000);`,
        marker,
      ),
    ]);
    await rt.runPod(polite);
    await rt.runPod(stubborn);
    const ps = await until(rt, polite.uid, (x) => x.phase === 'Running');
    await until(rt, stubborn.uid, (x) => x.phase === 'Running');
    await waitFor(() => processesWith(marker).length === 3, 8000, 'three processes');
    const politePid = pidOf(ps);
    await waitFor(async () =>
      (await read(await rt.logs(polite.uid, { container: 'app' }))).includes('up'),
    );

    let t0 = Date.now();
    await rt.stopPod(polite.uid); // grace 5 s: it exits at once on SIGTERM
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(readFileSync(termFile, 'utf8')).toBe('yes');
    expect(processesWith(marker)).not.toContain(politePid);
    expect(processesWith(marker)).toHaveLength(2);

    t0 = Date.now();
    await rt.stopPod(stubborn.uid, 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(processesWith(marker)).toEqual([]);
  });

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

  it('starts, with its ports, a pod the previous runtime closed on before starting it', async () => {
    const first = make();
    const p = pod('early', [
      nodeContainer('app', SERVER, marker, { ports: [{ containerPort: 8080 }] }),
    ]);
    const running = first.runPod(p); // still looking for a free port when close() comes
    await first.close();
    await running;
    expect(processesWith(marker)).toEqual([]);

    const second = make();
    const s = await until(second, p.uid, (x) => x.phase === 'Running');
    const hostPort = container(s)!.hostPorts![8080];
    const res = await waitFor(() => get(hostPort), 8000, 'the HTTP server');
    expect(JSON.parse(res.body).env.PORT).toBe(String(hostPort));
    expect(processesWith(marker)).toHaveLength(1);
  });

  it('re-adopts running containers in a new runtime on the same dataDir, and restarts those that died', async () => {
    const first = make();
    const p = pod('adopt', [
      nodeContainer('app', SERVER, marker, { ports: [{ containerPort: 8080 }] }),
    ]);
    await first.runPod(p);
    const s1 = await until(first, p.uid, (x) => x.phase === 'Running');
    const hostPort = container(s1)!.hostPorts![8080];
    await waitFor(() => get(hostPort));
    await first.close();
    expect(processesWith(marker)).toHaveLength(1); // close() leaves it running

    const second = make();
    await second.runPod(p); // already known: a no-op
    const [adopted] = await second.listPods();
    expect(adopted.uid).toBe(p.uid);
    expect(adopted.phase).toBe('Running');
    expect(container(adopted)).toMatchObject({
      containerID: container(s1)!.containerID,
      restartCount: 0,
      hostPorts: { 8080: hostPort },
      state: { running: { startedAt: container(s1)!.state.running!.startedAt } },
    });
    expect(processesWith(marker)).toHaveLength(1);
    expect((await get(hostPort)).status).toBe(200);

    // It keeps watching: the adopted process dies, it is restarted on the same port.
    process.kill(-pidOf(adopted), 'SIGKILL');
    const s2 = await until(
      second,
      p.uid,
      (x) => container(x)!.restartCount === 1 && !!container(x)!.state.running,
    );
    expect(container(s2)!.lastState.terminated).toMatchObject({
      reason: 'ContainerStatusUnknown',
      exitCode: 137,
    });
    expect(pidOf(s2)).not.toBe(pidOf(adopted));
    await waitFor(() => get(hostPort));
    expect(processesWith(marker)).toHaveLength(1);

    // Dies while no runtime watches: the next one restarts it per policy.
    await second.close();
    process.kill(-pidOf(s2), 'SIGKILL');
    await waitFor(() => processesWith(marker).length === 0);
    const third = make();
    const s3 = await until(
      third,
      p.uid,
      (x) => container(x)!.restartCount === 2 && !!container(x)!.state.running,
    );
    expect(container(s3)!.lastState.terminated!.reason).toBe('ContainerStatusUnknown');
    await waitFor(() => get(hostPort));
    expect(processesWith(marker)).toHaveLength(1);
    await third.stopPod(p.uid);
    expect(processesWith(marker)).toEqual([]);
  });
});
