import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { KubeObject } from '@berth/core';
import {
  deployment,
  eventually,
  startTestCluster,
  type TestCluster,
} from '../../worker/src/testing/test-cluster';
import { startAgent, type RunningAgent } from './agent';
import { loadAgentConfig, type AgentConfig } from './config';
import { agentLogger } from './log';

type Pod = KubeObject & {
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{
      name: string;
      ready: boolean;
      restartCount: number;
      state: { running?: { startedAt: string } };
    }>;
    startTime?: string;
    podIP?: string;
    hostIP?: string;
  };
};
type Node = KubeObject & {
  spec?: { taints?: Array<{ key: string; effect: string }> };
  status?: {
    conditions?: Array<{ type: string; status: string; reason?: string }>;
    capacity?: Record<string, string>;
    addresses?: Array<{ type: string; address: string }>;
    nodeInfo?: { kubeletVersion?: string; containerRuntimeVersion?: string };
  };
};

const UNREACHABLE = 'node.kubernetes.io/unreachable';

describe('node agents with the simulated runtime (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;
  let dataDir: string;
  let bootstrapToken: string;
  const agents = new Map<string, RunningAgent>();
  const api = () => c.api.api();

  function agentConfig(nodeName: string): AgentConfig {
    return {
      ...loadAgentConfig([], {}),
      apiUrl: c.api.server.httpUrl!,
      bootstrapToken,
      nodeName,
      dataDir,
      nodeIP: '127.0.0.1',
      kubeletPort: 0,
      runtime: 'simulated',
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      heartbeatIntervalMs: 250,
      simulated: { startDelayMs: 50, failureRate: 0, restartRate: 0 },
      logLevel: (process.env.BERTH_TEST_LOG as 'debug' | undefined) ?? 'warn',
    };
  }
  const startNode = (name: string) => {
    agents.set(name, startAgent(agentConfig(name), agentLogger(agentConfig(name))));
  };
  const stopNode = async (name: string) => {
    await agents.get(name)?.stop();
    agents.delete(name);
  };

  const getNode = async (n: string): Promise<Node> =>
    (await api().get(`/api/v1/nodes/${n}`).expect(200)).body;
  const ready = (n: Node) => n.status?.conditions?.find((x) => x.type === 'Ready');
  const listPods = async (): Promise<Pod[]> =>
    (await api().get('/api/v1/namespaces/w/pods').expect(200)).body.items;
  const condition = (p: Pod, type: string) =>
    p.status?.conditions?.find((x) => x.type === type)?.status;
  const runningAndReady = (p: Pod) =>
    !p.metadata.deletionTimestamp &&
    p.status?.phase === 'Running' &&
    condition(p, 'Ready') === 'True';
  /** The uids a node's runtime runs. */
  const runtimeUids = async (n: string) =>
    (await agents.get(n)!.runtimes.get(n)!.listPods()).map((p) => p.uid).sort();
  const summary = (pods: Pod[]) =>
    pods
      .map(
        (p) => `${p.metadata.name}@${p.spec.nodeName}:${p.status?.phase}/${condition(p, 'Ready')}`,
      )
      .join(' ');

  /** Waits for `count` running, ready pods (none being deleted), returning them. */
  const readyPods = (count: number, what: string, accept: (pods: Pod[]) => boolean = () => true) =>
    eventually(
      async () => {
        const pods = (await listPods()).filter((p) => !p.metadata.deletionTimestamp);
        if (pods.length === count && pods.every(runningAndReady) && accept(pods)) return pods;
        throw new Error(summary(pods));
      },
      what,
      30_000,
    );

  beforeAll(async () => {
    c = await startTestCluster(1, { nodeGracePeriodMs: 5000, nodeMonitorPeriodMs: 250 });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-agent-test-'));
    // `default` exists from the API's first start.
    for (const ns of ['w'])
      await api()
        .post('/api/v1/namespaces')
        .send({ metadata: { name: ns } })
        .expect(201);
    bootstrapToken = (await api().post('/auth/bootstrap-tokens').send({}).expect(201)).body.token;
    startNode('node-a');
    startNode('node-b');
  });

  afterAll(async () => {
    await Promise.all([...agents.keys()].map(stopNode));
    await c?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('registers each node, which stays Ready through its Lease heartbeats', async () => {
    for (const n of ['node-a', 'node-b']) {
      const node = await eventually(async () => {
        const res = await api().get(`/api/v1/nodes/${n}`);
        return res.status === 200 && ready(res.body)?.status === 'True'
          ? (res.body as Node)
          : undefined;
      }, `${n} Ready`);
      expect(ready(node)?.reason).toBe('KubeletReady');
      expect(node.metadata.labels?.['kubernetes.io/hostname']).toBe(n);
      expect(node.status?.capacity).toEqual({ cpu: '4', memory: '8Gi', pods: '110' });
      expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
      expect(node.status?.nodeInfo?.containerRuntimeVersion).toBe('simulated://0.1.0');
      // The credential is kept in the node's directory.
      expect(readFileSync(path.join(dataDir, 'nodes', n, 'node-token'), 'utf8')).toMatch(/^bn_/);
    }
    // Renewals: the Lease's renewTime moves on, and the nodes stay Ready past the grace period.
    const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-a';
    const first = await eventually(async () => {
      const res = await api().get(leasePath);
      return res.status === 200 ? (res.body.spec.renewTime as string) : undefined;
    }, 'the Lease of node-a');
    await eventually(async () => {
      const renewed = (await api().get(leasePath).expect(200)).body.spec.renewTime as string;
      return Date.parse(renewed) > Date.parse(first) + 5000;
    }, 'the Lease renewed past the grace period');
    for (const n of ['node-a', 'node-b']) {
      const node = await getNode(n);
      expect(ready(node)?.status).toBe('True');
      expect(node.spec?.taints ?? []).toEqual([]);
    }
  });

  it('runs a Deployment of 3 replicas over both nodes: Running and Ready, with full status', async () => {
    const web = deployment('web', 3);
    web.spec.template.spec = {
      ...web.spec.template.spec,
      tolerations: [
        { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 },
      ],
    } as typeof web.spec.template.spec;
    await api().post('/apis/apps/v1/namespaces/w/deployments').send(web).expect(201);
    const pods = await readyPods(3, '3 running and ready pods on both nodes', (ps) =>
      ['node-a', 'node-b'].every((n) => ps.some((p) => p.spec.nodeName === n)),
    );
    for (const p of pods) {
      for (const t of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'])
        expect(condition(p, t)).toBe('True');
      expect(p.status?.startTime).toBeDefined();
      expect(p.status?.podIP).toBe('127.0.0.1');
      expect(p.status?.hostIP).toBe('127.0.0.1');
      expect(p.status?.containerStatuses).toEqual([
        expect.objectContaining({ name: 'main', ready: true, restartCount: 0 }),
      ]);
      expect(p.status?.containerStatuses?.[0].state.running?.startedAt).toBeDefined();
    }
    // Each runtime runs exactly the pods bound to its node.
    for (const n of ['node-a', 'node-b']) {
      const bound = pods.filter((p) => p.spec.nodeName === n).map((p) => p.metadata.uid!);
      expect(await runtimeUids(n)).toEqual(bound.sort());
    }
    await api().get('/apis/apps/v1/namespaces/w/deployments/web').expect(200);
    await eventually(async () => {
      const d = (await api().get('/apis/apps/v1/namespaces/w/deployments/web').expect(200)).body;
      return d.status?.availableReplicas === 3;
    }, 'the Deployment available');
  });

  it('serves pod logs through the API from the agent that runs the pod, and only to the API', async () => {
    const [pod] = await readyPods(3, '3 ready pods');
    const logPath = `/api/v1/namespaces/w/pods/${pod.metadata.name}/log`;
    const text = (await api().get(logPath).expect(200)).text;
    expect(text).toMatch(/started/i);
    const stamped = (await api().get(`${logPath}?timestamps=true&tailLines=1`).expect(200)).text;
    expect(stamped.trim().split('\n')).toHaveLength(1);
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z /);
    const bad = await api().get(`${logPath}?container=nope`).expect(400);
    expect(bad.body.message).toBe(`container nope is not valid for pod ${pod.metadata.name}`);
    await api().get(`${logPath}?tailLines=-1`).expect(400);
    // The agent itself refuses anyone but the API server.
    const node = await getNode(pod.spec.nodeName!);
    const port = (node.status as { daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } })
      .daemonEndpoints?.kubeletEndpoint?.Port;
    expect(port).toBeGreaterThan(0);
    const direct = await fetch(
      `http://127.0.0.1:${port}/containerLogs/w/${pod.metadata.name}/main?podUID=${pod.metadata.uid}`,
      { headers: { authorization: `Bearer ${bootstrapToken}` } },
    );
    expect(direct.status).toBe(401);
  });

  it('stops a deleted pod and runs its replacement', async () => {
    const before = await readyPods(3, '3 ready pods');
    const victim = before[0];
    const node = victim.spec.nodeName!;
    await api().delete(`/api/v1/namespaces/w/pods/${victim.metadata.name}`).expect(200);
    const after = await readyPods(3, 'a replacement running', (ps) =>
      ps.every((p) => p.metadata.uid !== victim.metadata.uid),
    );
    await eventually(
      async () => !(await runtimeUids(node)).includes(victim.metadata.uid!),
      'the deleted pod stopped in its runtime',
    );
    for (const n of ['node-a', 'node-b'])
      await eventually(async () => {
        const bound = after.filter((p) => p.spec.nodeName === n).map((p) => p.metadata.uid!);
        const uids = await runtimeUids(n);
        if (JSON.stringify(uids) === JSON.stringify(bound.sort())) return true;
        throw new Error(`${n} runs ${uids.join(',')}; bound: ${bound.join(',')}`);
      }, `${n}'s runtime matching its pods`);
  });

  it('re-adopts its pods when restarted: no duplicates, nothing restarted', async () => {
    const before = await readyPods(3, '3 ready pods');
    const onA = before.filter((p) => p.spec.nodeName === 'node-a');
    expect(onA.length).toBeGreaterThan(0);
    const token = readFileSync(path.join(dataDir, 'nodes', 'node-a', 'node-token'), 'utf8');
    await stopNode('node-a');
    startNode('node-a');
    // The new agent reads its runtime's pods back: the same uids, started at the same time.
    expect(await runtimeUids('node-a')).toEqual(onA.map((p) => p.metadata.uid!).sort());
    const adopted = await agents.get('node-a')!.runtimes.get('node-a')!.listPods();
    for (const p of onA) {
      const a = adopted.find((x) => x.uid === p.metadata.uid)!;
      expect(a.containerStatuses[0].state.running?.startedAt).toBe(
        p.status?.containerStatuses?.[0].state.running?.startedAt,
      );
    }
    // A while later (several heartbeats and resyncs) still no duplicate, no new pod.
    await eventually(async () => {
      const lease = (
        await api()
          .get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-a')
          .expect(200)
      ).body;
      return Date.parse(lease.spec.renewTime) > Date.now() - 1000;
    }, 'the restarted agent heartbeating');
    const after = await readyPods(3, '3 ready pods after the restart');
    expect(after.map((p) => p.metadata.uid).sort()).toEqual(
      before.map((p) => p.metadata.uid).sort(),
    );
    expect(await runtimeUids('node-a')).toEqual(onA.map((p) => p.metadata.uid!).sort());
    // It kept its credential.
    expect(readFileSync(path.join(dataDir, 'nodes', 'node-a', 'node-token'), 'utf8')).toBe(token);
  });

  it('registers again when its stored credential is rejected, once a cluster admin revoked the live one', async () => {
    const file = path.join(dataDir, 'nodes', 'node-b', 'node-token');
    await stopNode('node-b');
    writeFileSync(file, 'bn_not-a-valid-credential\n');
    startNode('node-b');
    // node-b still holds a live credential: a bootstrap token cannot get it a second one.
    await eventually(async () => {
      const events = (await api().get('/audit/events?limit=1000').expect(200)).body.items as Array<{
        path?: string;
        name?: string;
        code: number;
      }>;
      return events.some(
        (e) => e.path === '/auth/nodes/register' && e.name === 'node-b' && e.code === 409,
      );
    }, 'the refused registration of node-b on the audit trail');
    expect(readFileSync(file, 'utf8')).toContain('not-a-valid');
    await api().delete('/auth/nodes/node-b/credentials').expect(200);
    await eventually(
      async () =>
        /^bn_/.test(readFileSync(file, 'utf8')) &&
        !readFileSync(file, 'utf8').includes('not-a-valid'),
      'a new node credential',
      40_000,
    );
    await readyPods(3, '3 ready pods after node-b re-registered');
  }, 90_000);

  it('a stopped agent makes its node Unknown and its pods come back on the other node', async () => {
    const before = await readyPods(3, '3 ready pods');
    const onB = before.filter((p) => p.spec.nodeName === 'node-b').map((p) => p.metadata.uid);
    expect(onB.length).toBeGreaterThan(0);
    await stopNode('node-b');
    const down = await eventually(async () => {
      const b = await getNode('node-b');
      return ready(b)?.status === 'Unknown' ? b : undefined;
    }, 'node-b Ready=Unknown');
    expect(ready(down)?.reason).toBe('NodeStatusUnknown');
    const moved = await readyPods(3, '3 ready pods, all on node-a', (ps) =>
      ps.every((p) => p.spec.nodeName === 'node-a'),
    );
    expect(moved.some((p) => onB.includes(p.metadata.uid))).toBe(false);
    expect(await runtimeUids('node-a')).toEqual(moved.map((p) => p.metadata.uid!).sort());
  }, 150_000);

  it('reports a pod it cannot start as CreateContainerError and still starts the others', async () => {
    // A process-runtime node that the scheduler leaves alone; the pods name it themselves.
    const name = 'proc-1';
    const config: AgentConfig = {
      ...agentConfig(name),
      runtime: 'process',
      taints: [{ key: 'test/only', value: 'x', effect: 'NoSchedule' }],
      // As root, pods' directories cannot be under the 0700 data directory.
      podsDir: `${dataDir}-pods`,
    };
    agents.set(name, startAgent(config, agentLogger(config)));
    const foreign = net.createServer();
    await new Promise<void>((resolve) => foreign.listen(0, resolve));
    const taken = (foreign.address() as net.AddressInfo).port;
    const server = "require('http').createServer((q,s)=>s.end('ok')).listen(process.env.PORT)";
    const podOn = (podName: string, hostPort?: number) => ({
      metadata: { name: podName },
      spec: {
        nodeName: name,
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'app',
            image: 'node',
            command: [process.execPath, '-e', server],
            ports: [{ containerPort: 8080, ...(hostPort ? { hostPort } : {}) }],
          },
        ],
      },
    });
    try {
      // The blocked pod comes first: it must not hold up the one after it.
      await api().post('/api/v1/namespaces/w/pods').send(podOn('blocked', taken)).expect(201);
      await api().post('/api/v1/namespaces/w/pods').send(podOn('fine')).expect(201);
      const get = async (podName: string): Promise<Pod> =>
        (await api().get(`/api/v1/namespaces/w/pods/${podName}`).expect(200)).body;
      const fine = await eventually(async () => {
        const p = await get('fine');
        return runningAndReady(p) ? p : undefined;
      }, 'the other pod Running');
      expect(fine.status?.phase).toBe('Running');
      const blocked = await eventually(async () => {
        const p = await get('blocked');
        const waiting = (
          p.status?.containerStatuses?.[0]?.state as {
            waiting?: { reason: string; message: string };
          }
        )?.waiting;
        return waiting?.reason === 'CreateContainerError' ? { p, waiting } : undefined;
      }, 'the blocked pod reported');
      expect(blocked.p.status?.phase).toBe('Pending');
      expect(blocked.waiting.message).toContain(`host port ${taken} is in use`);
    } finally {
      foreign.close();
      for (const podName of ['blocked', 'fine'])
        await api().delete(`/api/v1/namespaces/w/pods/${podName}`);
      await stopNode(name);
      rmSync(`${dataDir}-pods`, { recursive: true, force: true });
    }
  }, 60_000);

  it('a DELETE with gracePeriodSeconds changes how long a container that ignores SIGTERM gets', async () => {
    const name = 'proc-grace';
    const config: AgentConfig = {
      ...agentConfig(name),
      runtime: 'process',
      taints: [{ key: 'test/only', value: 'x', effect: 'NoSchedule' }],
      podsDir: `${dataDir}-grace-pods`,
    };
    agents.set(name, startAgent(config, agentLogger(config)));
    const stubborn = "process.on('SIGTERM',()=>{}); setInterval(()=>{},1000)";
    const podOn = (podName: string) => ({
      metadata: { name: podName },
      spec: {
        nodeName: name,
        terminationGracePeriodSeconds: 30,
        containers: [{ name: 'app', image: 'node', command: [process.execPath, '-e', stubborn] }],
      },
    });
    /** The pid the runtime reports (containerID process://<pid>) once the pod runs. */
    const runningPid = (podName: string) =>
      eventually(async () => {
        const p: Pod = (await api().get(`/api/v1/namespaces/w/pods/${podName}`).expect(200)).body;
        const id = (p.status?.containerStatuses?.[0] as { containerID?: string } | undefined)
          ?.containerID;
        const pid = Number(/^process:\/\/(\d+)$/.exec(id ?? '')?.[1]);
        return runningAndReady(p) && alive(pid) ? pid : undefined;
      }, `${podName} running`);
    /** Whether `pid` is a live process (not gone, not a zombie). */
    const alive = (pid: number) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
      } catch {
        return false;
      }
    };
    const pids: number[] = [];
    try {
      await api().post('/api/v1/namespaces/w/pods').send(podOn('forced')).expect(201);
      await api().post('/api/v1/namespaces/w/pods').send(podOn('patient')).expect(201);
      const forced = await runningPid('forced');
      const patient = await runningPid('patient');
      pids.push(forced, patient);

      // kubectl delete --grace-period=0 --force: SIGKILL at once, not after the spec's 30 s.
      const started = Date.now();
      await api()
        .delete('/api/v1/namespaces/w/pods/forced')
        .send({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 })
        .expect(200);
      await eventually(
        async () => (alive(forced) ? undefined : true),
        'the forced pod process gone',
        10_000,
      );
      expect(Date.now() - started).toBeLessThan(10_000);

      // Without a grace period the spec's 30 s hold: the process ignores SIGTERM and still
      // runs 3 s later. (Waiting a bounded time for something NOT to happen: no condition
      // to wait on, so a plain timer, polled so that an early death fails at once.)
      await api().delete('/api/v1/namespaces/w/pods/patient').expect(200);
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        expect(alive(patient)).toBe(true);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      // The patient pod's stop would hold the agent's stop for its 30 s.
      for (const pid of pids) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await stopNode(name);
      rmSync(`${dataDir}-grace-pods`, { recursive: true, force: true });
    }
  }, 60_000);
});
