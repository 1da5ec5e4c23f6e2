/**
 * Workloads really run: the built API server, a worker and two node agents with the
 * `process` runtime, as real processes; pods are real Node.js processes
 * (e2e/support/workload.js), found in the process table by a marker unique to this run.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  killProcessesWith,
  processesWith,
  startAgentProcess,
  type AgentProcess,
} from './support/agents';
import {
  adminRequests,
  kubectl,
  startApiProcess,
  startWorkerProcess,
  waitFor,
  type ApiProcess,
  type WorkerProcess,
} from './support/processes';

jest.setTimeout(300_000);

const WORKLOAD = path.join(__dirname, 'support', 'workload.js');
const NS = 'w';

interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  state: {
    running?: object;
    waiting?: { reason: string; message?: string };
    terminated?: { reason: string; exitCode: number };
  };
  lastState: { terminated?: { reason: string; exitCode: number } };
  hostPorts?: Array<{ containerPort: number; hostPort: number }>;
}
interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: object };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: ContainerStatus[];
  };
}

describe('workloads on real processes (API, worker, two agents with the process runtime)', () => {
  const marker = `berth-e2e-${randomUUID().slice(0, 8)}`;
  const webMarker = `${marker}-web`;
  let api: ApiProcess;
  let worker: WorkerProcess;
  let bootstrapToken: string;
  let workDir: string;
  const agents = new Map<string, AgentProcess>();
  /** The crash-looping pod's waiting messages, in the order they were seen. */
  const crashMessages: string[] = [];
  let crashWatcher: NodeJS.Timeout | undefined;

  const call: ReturnType<typeof adminRequests>['call'] = (...args) =>
    adminRequests(api).call(...args);
  const ok: ReturnType<typeof adminRequests>['ok'] = (...args) => adminRequests(api).ok(...args);
  const pods = async (selector?: string): Promise<Pod[]> =>
    (
      (await ok(
        'GET',
        `/api/v1/namespaces/${NS}/pods${selector ? `?labelSelector=${selector}` : ''}`,
      )) as unknown as { items: Pod[] }
    ).items.filter((p) => !p.metadata.deletionTimestamp);
  const pod = async (name: string): Promise<Pod> =>
    (await ok('GET', `/api/v1/namespaces/${NS}/pods/${name}`)) as unknown as Pod;
  const isReady = (p: Pod) =>
    p.status?.phase === 'Running' &&
    p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  const hostPort = (p: Pod) => p.status?.containerStatuses?.[0]?.hostPorts?.[0]?.hostPort;
  const nodeReady = async (name: string) => {
    const node = (await ok('GET', `/api/v1/nodes/${name}`)) as {
      status?: { conditions?: Array<{ type: string; status: string }> };
    };
    return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  };
  /** Each node's Ready status as stored (for when the API is down). */
  const nodeReadyInDatabase = async (): Promise<string[]> => {
    const client = new Client({ connectionString: api.db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ ready: string }>(
        `SELECT c->>'status' AS ready FROM objects, jsonb_array_elements(data->'status'->'conditions') c
         WHERE resource = 'nodes' AND c->>'type' = 'Ready'`,
      );
      return rows.map((r) => r.ready);
    } finally {
      await client.end();
    }
  };
  const readyWebPods = async (count: number, what: string, accept: (ps: Pod[]) => boolean) => {
    let found: Pod[] = [];
    await waitFor(
      async () => {
        found = await pods('app=web');
        return found.length === count && found.every(isReady) && accept(found);
      },
      what,
      90_000,
      250,
    );
    return found;
  };
  const container = (name: string, extra: object = {}) => ({
    name,
    image: 'node:20',
    command: [process.execPath, WORKLOAD],
    resources: { requests: { cpu: '50m', memory: '32Mi' } },
    ...extra,
  });
  const bare = (name: string, c: object, spec: object = {}) =>
    ok('POST', `/api/v1/namespaces/${NS}/pods`, {
      metadata: { name, labels: { role: name } },
      spec: { containers: [c], terminationGracePeriodSeconds: 2, ...spec },
    });
  const startAgent = async (name: string) => {
    agents.set(
      name,
      await startAgentProcess({
        apiUrl: api.httpUrl,
        bootstrapToken,
        nodeName: name,
        dataDir: path.join(workDir, name),
      }),
    );
  };

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-workloads-'));
    api = await startApiProcess();
    worker = await startWorkerProcess(api.db.url, `berth-e2e-w-${marker}`, 'w-1', {
      BERTH_NODE_GRACE_PERIOD_MS: '4000',
      BERTH_NODE_MONITOR_PERIOD_MS: '500',
    });
    await ok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
    bootstrapToken = (await ok('POST', '/auth/bootstrap-tokens', {})).token as string;
    await Promise.all([startAgent('node-a'), startAgent('node-b')]);
  });

  afterAll(async () => {
    clearInterval(crashWatcher);
    await Promise.all([...agents.values()].map((a) => a.stop()));
    await worker?.stop();
    await api?.stop();
    killProcessesWith(marker);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('runs a Deployment of 3 replicas as processes over both nodes, Running and Ready', async () => {
    // Pods that misbehave on purpose run meanwhile; later tests look at them.
    await bare('crash', container('main', { args: ['--crash', marker] }));
    crashWatcher = setInterval(() => {
      void call('GET', `/api/v1/namespaces/${NS}/pods/crash`)
        .then((res) => {
          const cs = (res.json as unknown as Pod | undefined)?.status?.containerStatuses?.[0];
          const w = cs?.state.waiting;
          if (w?.reason === 'CrashLoopBackOff' && w.message && !crashMessages.includes(w.message))
            crashMessages.push(w.message);
        })
        .catch(() => undefined); // the API is down in one test
    }, 200);
    await bare('sick', {
      ...container('main', { args: ['--sick-after', '1500', marker] }),
      ports: [{ name: 'http', containerPort: 8080 }],
      livenessProbe: {
        httpGet: { path: '/healthz', port: 'http' },
        periodSeconds: 1,
        failureThreshold: 2,
      },
    });
    await bare(
      'hog',
      container('main', {
        args: ['--hog', marker],
        resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '64Mi' } },
      }),
      { restartPolicy: 'Never' },
    );
    await ok('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, {
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        strategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 5,
            tolerations: ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'].map(
              (key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }),
            ),
            containers: [
              {
                ...container('main', { args: [webMarker] }),
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: {
                  httpGet: { path: '/ready', port: 'http' },
                  periodSeconds: 1,
                  failureThreshold: 1,
                },
              },
            ],
          },
        },
      },
    });
    const web = await readyWebPods(3, '3 ready web pods on both nodes', (ps) =>
      ['node-a', 'node-b'].every((n) => ps.some((p) => p.spec.nodeName === n)),
    );
    expect(processesWith(webMarker).size).toBe(3);
    for (const p of web) {
      expect(p.status?.podIP).toBe('127.0.0.1');
      const port = hostPort(p);
      expect(port).toBeGreaterThan(0);
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect((await res.text()).trim()).toBe(p.metadata.name);
    }
  });

  it('kubectl logs shows a pod output, and -f follows it', async () => {
    const [p] = await pods('app=web');
    const cache = path.join(workDir, 'kubectl-cache');
    const logs = kubectl(api.kubeconfig, cache, ['logs', '-n', NS, p.metadata.name]);
    expect(logs.stderr).toBe('');
    expect(logs.stdout).toContain(`${p.metadata.name} listening on`);

    const follower = spawn(
      'kubectl',
      [
        '--kubeconfig',
        api.kubeconfig,
        '--cache-dir',
        cache,
        'logs',
        '-f',
        '-n',
        NS,
        p.metadata.name,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let followed = '';
    follower.stdout.on('data', (d) => (followed += d));
    try {
      const url = `http://127.0.0.1:${hostPort(p)}/followed-${marker}`;
      await waitFor(
        async () => {
          await fetch(url);
          return followed.includes(`GET /followed-${marker}`);
        },
        'kubectl logs -f to show a new request',
        30_000,
        500,
      );
    } finally {
      follower.kill();
    }
  });

  it('restarts a killed process: restartCount 1, Ready again', async () => {
    const [victim] = await pods('app=web');
    const log = (await call('GET', `/api/v1/namespaces/${NS}/pods/${victim.metadata.name}/log`))
      .text;
    const pid = Number(/pid=(\d+)/.exec(log)?.[1]);
    expect(processesWith(webMarker).has(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
    await waitFor(
      async () => {
        const p = await pod(victim.metadata.name);
        return p.status?.containerStatuses?.[0]?.restartCount === 1 && isReady(p);
      },
      'the killed container restarted and Ready',
      60_000,
      250,
    );
    const after = await pod(victim.metadata.name);
    expect(after.status?.containerStatuses?.[0]?.lastState.terminated?.exitCode).toBe(137);
    expect(processesWith(webMarker).size).toBe(3);
  });

  it('takes a pod whose readiness probe fails out of its Service endpoints, and back', async () => {
    await ok('POST', `/api/v1/namespaces/${NS}/services`, {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    type Subset = {
      addresses?: Array<{ targetRef: { name: string } }>;
      notReadyAddresses?: Array<{ targetRef: { name: string } }>;
      ports?: Array<{ port: number }>;
    };
    const endpoints = async () => {
      const res = await call('GET', `/api/v1/namespaces/${NS}/endpoints/web`);
      const subsets = (res.json?.subsets ?? []) as Subset[];
      return {
        ready: subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.targetRef.name)).sort(),
        notReady: subsets
          .flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.targetRef.name))
          .sort(),
        ports: subsets.flatMap((s) => (s.ports ?? []).map((p) => p.port)).sort(),
      };
    };
    const web = await pods('app=web');
    const names = web.map((p) => p.metadata.name).sort();
    await waitFor(
      async () => JSON.stringify((await endpoints()).ready) === JSON.stringify(names),
      'the 3 pods in the endpoints',
      30_000,
      250,
    );
    // Endpoints carry the node ports the containers are published on.
    expect((await endpoints()).ports).toEqual(web.map((p) => hostPort(p)).sort());
    const victim = web[0];
    await fetch(`http://127.0.0.1:${hostPort(victim)}/unready`);
    await waitFor(
      async () => {
        const e = await endpoints();
        return e.notReady.includes(victim.metadata.name) && e.ready.length === 2;
      },
      'the unready pod among notReadyAddresses',
      30_000,
      250,
    );
    await fetch(`http://127.0.0.1:${hostPort(victim)}/ready-again`);
    await waitFor(
      async () => (await endpoints()).ready.length === 3,
      'the pod back among the addresses',
      30_000,
      250,
    );
  });

  it('restarts a container whose liveness probe fails', async () => {
    await waitFor(
      async () => {
        const cs = (await pod('sick')).status?.containerStatuses?.[0];
        return (cs?.restartCount ?? 0) >= 1 && cs?.lastState.terminated !== undefined;
      },
      'the sick container restarted',
      60_000,
      250,
    );
  });

  it('kills a container over its memory limit: OOMKilled', async () => {
    await waitFor(
      async () =>
        (await pod('hog')).status?.containerStatuses?.[0]?.state.terminated?.reason === 'OOMKilled',
      'the hog OOMKilled',
      60_000,
      250,
    );
    const p = await pod('hog');
    expect(p.status?.phase).toBe('Failed');
    expect(p.status?.containerStatuses?.[0]?.state.terminated?.exitCode).toBe(137);
  });

  it('shows CrashLoopBackOff with growing delays for a crashing container', async () => {
    const delay = (m: string) => Number(/back-off (\d+)s/.exec(m)?.[1]);
    await waitFor(
      () => crashMessages.some((m) => delay(m) >= 20),
      'a back-off of 20 s after the first one',
      90_000,
      250,
    );
    const delays = crashMessages.map(delay);
    expect(delays.slice(0, 2)).toEqual([10, 20]);
    expect(crashMessages[0]).toMatch(
      /^back-off 10s restarting failed container=main pod=crash_w\(/,
    );
    expect(
      (await pod('crash')).status?.containerStatuses?.[0]?.restartCount,
    ).toBeGreaterThanOrEqual(2);
  });

  it('keeps pods running and restarting while the API is down, and reports them when it is back', async () => {
    const web = await pods('app=web');
    const victim = web.find((p) => p.status?.containerStatuses?.[0]?.restartCount === 0)!;
    const log = (await call('GET', `/api/v1/namespaces/${NS}/pods/${victim.metadata.name}/log`))
      .text;
    const pid = Number(/pid=(\d+)/.exec(log)?.[1]);
    const others = [...processesWith(webMarker).keys()].filter((p) => p !== pid);
    expect(others).toHaveLength(2);
    await api.halt();
    try {
      process.kill(pid, 'SIGKILL');
      // The runtime restarts it on its own; the other pods' processes are untouched.
      await waitFor(
        () => {
          const now = processesWith(webMarker);
          return now.size === 3 && !now.has(pid) && others.every((o) => now.has(o));
        },
        'the killed process replaced while the API is down',
        60_000,
        250,
      );
      // Both nodes miss their heartbeats and go Unknown (seen in the database, as the API
      // is down); with every node unreachable at once, evictions pause (full disruption).
      await waitFor(
        async () => (await nodeReadyInDatabase()).every((s) => s === 'Unknown'),
        'both nodes Unknown',
        30_000,
        250,
      );
    } finally {
      await api.restart();
    }
    await waitFor(
      async () => {
        const p = await pod(victim.metadata.name);
        return p.status?.containerStatuses?.[0]?.restartCount === 1 && isReady(p);
      },
      'the restart reported once the API is back',
      60_000,
      250,
    );
    const after = await pods('app=web');
    expect(after.map((p) => p.metadata.uid).sort()).toEqual(web.map((p) => p.metadata.uid).sort());
    await waitFor(
      async () => (await nodeReady('node-a')) === 'True' && (await nodeReady('node-b')) === 'True',
      'both nodes Ready again',
      30_000,
      250,
    );
  });

  it('moves the pods of a SIGKILLed agent to the other node; restarted, it leaves no duplicates', async () => {
    const before = await pods('app=web');
    expect(before.some((p) => p.spec.nodeName === 'node-b')).toBe(true);
    await agents.get('node-b')!.kill();
    await waitFor(
      async () => (await nodeReady('node-b')) === 'Unknown',
      'node-b NotReady (Unknown)',
      30_000,
      250,
    );
    await readyWebPods(3, '3 ready web pods, all on node-a', (ps) =>
      ps.every((p) => p.spec.nodeName === 'node-a'),
    );
    // The killed agent's processes outlive it until it comes back and finds them unwanted.
    await startAgent('node-b');
    await waitFor(
      async () => (await nodeReady('node-b')) === 'True' && processesWith(webMarker).size === 3,
      'node-b Ready again, and exactly 3 web processes',
      60_000,
      250,
    );
  });

  it('scales to 0 and deletes pods: every process is gone, no orphans', async () => {
    await ok(
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`,
      { spec: { replicas: 0 } },
      'application/merge-patch+json',
    );
    await waitFor(
      async () => (await pods('app=web')).length === 0 && processesWith(webMarker).size === 0,
      'no web pod and no web process',
      60_000,
      250,
    );
    for (const name of ['crash', 'sick', 'hog'])
      await call('DELETE', `/api/v1/namespaces/${NS}/pods/${name}`);
    await waitFor(
      async () => (await pods()).length === 0 && processesWith(marker).size === 0,
      'no pod and no process of this run',
      60_000,
      250,
    );
  });
});
