import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ContainerSpec, PodSpecForRuntime } from '../types';
import { processesOfUser } from './identity';
import { ProcessRuntime } from './process-runtime';

jest.setTimeout(30_000);

// Switching users needs root: as any other user, `podUsers` is refused (the first test says
// so) and the rest cannot run, hence the skip.
const asRoot = process.getuid?.() === 0;
const rootIt = asRoot ? it : it.skip;

async function waitFor<T>(fn: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function read(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

/** What a container finds out about itself, and which of `paths` it can read, as JSON. */
const PROBE = `
const fs = require('fs');
const st = fs.readFileSync('/proc/self/status', 'utf8');
const field = (k) => (new RegExp('^' + k + ':\\\\s+(.*)$', 'm').exec(st) || [])[1];
const tries = {};
for (const p of JSON.parse(process.env.TRY || '[]')) {
  try { fs.statSync(p).isDirectory() ? fs.readdirSync(p) : fs.readFileSync(p); tries[p] = 'ok'; }
  catch (e) { tries[p] = e.code; }
}
fs.writeFileSync(process.env.HOME + '/mine', 'x');
console.log(JSON.stringify({
  uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(),
  capEff: field('CapEff'), capPrm: field('CapPrm'), capBnd: field('CapBnd'), capAmb: field('CapAmb'),
  noNewPrivs: field('NoNewPrivs'), own: fs.readFileSync(process.env.HOME + '/mine', 'utf8'), tries,
}));
setInterval(() => {}, 1000);
`;

describe('ProcessRuntime with pods as users of their own (as root)', () => {
  let tmp: string;
  let podsDir: string;
  let claims: string;
  const runtimes: ProcessRuntime[] = [];
  const log = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };
  const make = () => {
    const rt = new ProcessRuntime({
      dataDir: path.join(tmp, 'agent', 'node'),
      podsDir,
      nodeIP: '127.0.0.1',
      log,
      podUsers: { uidRange: [230_000, 230_009], claimsDir: claims },
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
    terminationGracePeriodSeconds: 2,
    ...extra,
  });
  const probe = (tryPaths: string[] = [], extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name: 'app',
    image: 'node:20',
    command: [process.execPath, '-e', PROBE],
    env: [{ name: 'TRY', value: JSON.stringify(tryPaths) }],
    ...extra,
  });
  const running = (rt: ProcessRuntime, uid: string) =>
    waitFor(
      () => rt.podStatus(uid)?.containerStatuses.every((c) => c.state.running) || undefined,
      `pod ${uid} running: ${JSON.stringify(rt.podStatus(uid))}`,
    );
  const report = async (rt: ProcessRuntime, uid: string) => {
    let text = '';
    await waitFor(
      () =>
        text.includes('\n') ||
        (void rt
          .logs(uid, { container: 'app' })
          .then(read)
          .then((t) => (text = t)),
        undefined),
      `the report of ${uid}`,
    );
    return JSON.parse(text) as {
      uid: number;
      gid: number;
      groups: number[];
      capEff: string;
      capPrm: string;
      capBnd: string;
      capAmb: string;
      noNewPrivs: string;
      own: string;
      tries: Record<string, string>;
    };
  };

  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-pod-users-'));
    chmodSync(tmp, 0o711);
    podsDir = path.join(tmp, 'pods');
    claims = path.join(tmp, 'claims');
  });
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((rt) => rt.close({ stopPods: true })));
    for (let uid = 230_000; uid <= 230_009; uid++)
      for (const pid of processesOfUser(uid)) process.kill(pid, 'SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses podUsers when not root, and needs setpriv', () => {
    if (asRoot) {
      expect(spawnSync('setpriv', ['--version']).status).toBe(0);
      return;
    }
    expect(make).toThrow('only as root');
  });

  rootIt(
    'runs each pod as its own unprivileged uid, without capabilities and with no_new_privs',
    async () => {
      const rt = make();
      const a = pod('a', [probe()]);
      await rt.runPod(a);
      await running(rt, a.uid);
      const aWork = path.join(podsDir, a.uid, 'work');
      const stateFile = path.join(tmp, 'agent', 'node', 'process-runtime.json');
      const b = pod('b', [
        probe([
          aWork,
          path.join(aWork, 'mine'),
          path.join(podsDir, a.uid, 'logs'),
          path.join(podsDir, a.uid, 'logs', 'app', '0.log'),
          podsDir,
          stateFile,
          path.join(tmp, 'agent'),
          claims,
        ]),
      ]);
      await rt.runPod(b);
      await running(rt, b.uid);
      const ra = await report(rt, a.uid);
      const rb = await report(rt, b.uid);
      for (const r of [ra, rb]) {
        expect(r.uid).toBeGreaterThanOrEqual(230_000);
        expect(r.uid).toBeLessThanOrEqual(230_009);
        expect(r.gid).toBe(r.uid);
        expect(r.groups).toEqual([r.gid]);
        expect([r.capEff, r.capPrm, r.capBnd, r.capAmb]).toEqual(Array(4).fill('0000000000000000'));
        expect(r.noNewPrivs).toBe('1');
        expect(r.own).toBe('x');
      }
      expect(rb.uid).not.toBe(ra.uid);
      expect(Object.values(rb.tries)).toEqual(Array(8).fill('EACCES'));
      // Ownership and modes.
      const mode = (p: string) => statSync(p).mode & 0o777;
      expect(statSync(aWork).uid).toBe(ra.uid);
      expect(mode(aWork)).toBe(0o700);
      expect(statSync(path.join(podsDir, a.uid, 'logs')).uid).toBe(0);
      expect(mode(path.join(podsDir, a.uid, 'logs'))).toBe(0o700);
      expect(mode(path.join(podsDir, a.uid))).toBe(0o711);
      expect(mode(podsDir)).toBe(0o711);
      expect(mode(stateFile)).toBe(0o600);
      expect(mode(path.join(tmp, 'agent', 'node'))).toBe(0o700);
    },
  );

  rootIt(
    'keeps a pod its uid across a restart of the runtime, and frees it only when every process of it is gone',
    async () => {
      const rt = make();
      // The container leaves a process of its own session behind (outside its group).
      const leaver = `require('child_process').spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], {detached: true, stdio: 'ignore'}).unref();`;
      const p = pod('p', [probe([], { command: [process.execPath, '-e', leaver + PROBE] })]);
      await rt.runPod(p);
      await running(rt, p.uid);
      const before = await report(rt, p.uid);
      await rt.close();
      const again = make();
      const s = await waitFor(() => again.podStatus(p.uid), 'the re-adopted pod');
      expect(s.containerStatuses[0].state.running).toBeDefined();
      expect(s.containerStatuses[0].restartCount).toBe(0);
      // A new pod does not get the re-adopted pod's uid.
      const q = pod('q', [probe()]);
      await again.runPod(q);
      await running(again, q.uid);
      expect((await report(again, q.uid)).uid).not.toBe(before.uid);
      expect(processesOfUser(before.uid).length).toBe(2);
      await again.stopPod(p.uid);
      expect(processesOfUser(before.uid)).toEqual([]);
      expect(existsSync(path.join(podsDir, p.uid))).toBe(false);
      expect(readdirSync(claims)).not.toContain(String(before.uid));
    },
  );

  rootIt(
    'honours runAsUser/runAsGroup (container wins) and refuses one in the node range',
    async () => {
      const rt = make();
      const whoami = `console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid() })); setInterval(() => {}, 1000);`;
      const p = pod(
        'n',
        [
          probe([], {
            command: [process.execPath, '-e', whoami],
            securityContext: { runAsUser: 65534, runAsGroup: 65533 },
          }),
        ],
        { securityContext: { runAsUser: 65000, runAsGroup: 65001 } },
      );
      await rt.runPod(p);
      await running(rt, p.uid);
      // The pod's own directory belongs to the pod-level user; the container runs as its own.
      expect(statSync(path.join(podsDir, p.uid, 'work')).uid).toBe(65000);
      expect(statSync(path.join(podsDir, p.uid, 'work')).gid).toBe(65001);
      const r = await report(rt, p.uid);
      expect([r.uid, r.gid]).toEqual([65534, 65533]);
      // Another pod's uid cannot be borrowed.
      const victim = pod('v', [probe()]);
      await rt.runPod(victim);
      await running(rt, victim.uid);
      const theirs = (await report(rt, victim.uid)).uid;
      const stolen = pod('s', [probe([], { securityContext: { runAsUser: theirs } })]);
      await rt.runPod(stolen);
      const w = await waitFor(() => {
        const waiting = rt.podStatus(stolen.uid)?.containerStatuses[0].state.waiting;
        return waiting?.reason === 'CreateContainerConfigError' ? waiting : undefined;
      }, 'the refusal');
      expect(w.message).toContain(
        `runAsUser ${theirs} is in the range this node gives its pods (230000-230009)`,
      );
    },
  );
});
