import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  COUNT,
  SERVER,
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

describe('ProcessRuntime', () => {
  const f = processRuntimeFixture();
  const { make, pod, until } = f;
  let dir: string;
  let marker: string;
  beforeEach(() => ({ dir, marker } = f));

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
