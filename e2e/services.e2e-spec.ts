/**
 * Services through the node proxy with real processes: the built API server, a worker and
 * two node agents (`process` runtime, each with its service proxy; both on this host, so
 * one serves the cluster IP and the other stands by). A Deployment of 3 small HTTP
 * servers behind a Service: requests through the cluster IP reach all 3; a client looping
 * requests during a rolling update and a pod deletion sees no failed request; a process
 * killed outright costs at most the request it was answering.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  killProcessesWith,
  processesWith,
  startAgentProcess,
  type AgentProcess,
} from './support/agents';
import {
  adminRequests,
  startApiProcess,
  startWorkerProcess,
  waitFor,
  type ApiProcess,
  type WorkerProcess,
} from './support/processes';

jest.setTimeout(240_000);

const NS = 'svc';

/**
 * The workload: answers with its pod's name on a fresh connection each time, and on
 * SIGTERM stops accepting and finishes what it is answering (a well-behaved server).
 */
const SERVER = `
const http = require('node:http');
const pod = process.env.POD_NAME;
const server = http.createServer((req, res) => {
  res.setHeader('Connection', 'close');
  res.end(pod + '\\n');
});
server.listen(Number(process.env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

/** One GET on a new connection: the answering pod's name, or a throw. */
function fetchOnce(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** A client looping requests until stopped: what answered, and what failed and why. */
/** Whether the two lists hold the same names (each at least once). */
function sameNames(a: ReadonlyArray<string | undefined>, b: readonly string[]): boolean {
  const x = new Set(a);
  return x.size === new Set(b).size && b.every((n) => x.has(n));
}

function loopingClient(host: string, port: number) {
  const answers: string[] = [];
  const failures: string[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      try {
        answers.push(await fetchOnce(host, port));
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  })();
  return {
    answers,
    failures,
    async stop() {
      running = false;
      await done;
    },
  };
}

describe('Services through the node proxy (API, worker, two process-runtime agents)', () => {
  const marker = `berth-e2e-svc-${randomUUID().slice(0, 8)}`;
  let api: ApiProcess;
  let worker: WorkerProcess;
  let workDir: string;
  let clusterIP: string;
  let nodePort: number;
  const agents: AgentProcess[] = [];

  const call: ReturnType<typeof adminRequests>['ok'] = (...args) => adminRequests(api).ok(...args);
  const webPods = async (): Promise<Pod[]> =>
    (
      (await call('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app=web`)).items as Pod[]
    ).filter((p) => !p.metadata.deletionTimestamp);
  const isReady = (p: Pod) =>
    p.status?.phase === 'Running' &&
    p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  /** Waits for exactly `names`-many ready pods in the Service's endpoints, all accepted. */
  const settled = async (what: string, accept: (pods: Pod[]) => boolean = () => true) => {
    let found: Pod[] = [];
    await waitFor(
      async () => {
        found = await webPods();
        const ep = await call('GET', `/api/v1/namespaces/${NS}/endpoints/web`);
        const addresses = (ep.subsets ?? []).flatMap(
          (s: { addresses?: Array<{ targetRef?: { name?: string } }> }) => s.addresses ?? [],
        );
        // The Endpoints name exactly these pods (not just three of them: during a rollout
        // they follow the pods a moment later).
        const inEndpoints = addresses.map(
          (a: { targetRef?: { name?: string } }) => a.targetRef?.name,
        );
        return (
          found.length === 3 &&
          found.every(isReady) &&
          accept(found) &&
          sameNames(
            inEndpoints,
            found.map((p) => p.metadata.name),
          ) &&
          processesWith(marker).size === 3
        );
      },
      what,
      90_000,
      250,
    );
    return found;
  };
  const requests = async (n: number, host = clusterIP, port = 8080) => {
    const out: string[] = [];
    for (let i = 0; i < n; i += 10)
      out.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(10, n - i) }, () => fetchOnce(host, port)),
        )),
      );
    return out;
  };

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-services-'));
    api = await startApiProcess();
    worker = await startWorkerProcess(api.db.url, `berth-e2e-svc-${marker}`, 'w-1');
    await call('POST', '/api/v1/namespaces', { metadata: { name: NS } });
    const bootstrapToken = (await call('POST', '/auth/bootstrap-tokens', {})).token as string;
    agents.push(
      ...(await Promise.all(
        ['node-a', 'node-b'].map((nodeName) =>
          startAgentProcess({
            apiUrl: api.httpUrl,
            bootstrapToken,
            nodeName,
            dataDir: path.join(workDir, nodeName),
          }),
        ),
      )),
    );
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await worker?.stop();
    await api?.stop();
    killProcessesWith(marker);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('balances requests through the cluster IP over the 3 pods of a Deployment, and through the node port', async () => {
    const svc = await call('POST', `/api/v1/namespaces/${NS}/services`, {
      metadata: { name: 'web' },
      spec: {
        type: 'NodePort',
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 8080, targetPort: 'http' }],
      },
    });
    clusterIP = svc.spec.clusterIP;
    nodePort = svc.spec.ports[0].nodePort;
    await call('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, {
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        strategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: 'main',
                image: 'node:20',
                command: [process.execPath, '-e', SERVER, marker],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 1 },
                resources: { requests: { cpu: '50m', memory: '32Mi' } },
              },
            ],
          },
        },
      },
    });
    const pods = await settled('3 ready pods over both nodes, in the endpoints', (ps) =>
      ['node-a', 'node-b'].every((n) => ps.some((p) => p.spec.nodeName === n)),
    );
    await waitFor(
      async () => (await fetchOnce(clusterIP, 8080)).length > 0,
      `an answer on ${clusterIP}:8080`,
    );
    const answers = await requests(300);
    const names = pods.map((p) => p.metadata.name).sort();
    expect([...new Set(answers)].sort()).toEqual(names);
    for (const name of names) expect(answers.filter((a) => a === name).length).toBeGreaterThan(50);
    expect([...new Set(await requests(30, '127.0.0.1', nodePort))].sort()).toEqual(names);
  });

  it('a client looping requests through a rolling update sees no failed request', async () => {
    const before = (await webPods()).map((p) => p.metadata.uid);
    const client = loopingClient(clusterIP, 8080);
    await call(
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/web`,
      { spec: { template: { metadata: { annotations: { rollout: '2' } } } } },
      'application/merge-patch+json',
    );
    const after = await settled('3 new ready pods in the endpoints', (ps) =>
      ps.every((p) => !before.includes(p.metadata.uid)),
    );
    // Every node's proxy follows the Endpoints within a second: then the answers come from
    // exactly the new pods.
    const newNames = after.map((p) => p.metadata.name);
    await waitFor(
      () => client.answers.length >= 30 && sameNames(client.answers.slice(-30), newNames),
      `the last 30 answers from exactly the new pods ${newNames.join(', ')}`,
      15_000,
    );
    await client.stop();
    expect(client.failures).toEqual([]);
    expect(client.answers.length).toBeGreaterThan(50);
    expect(new Set(client.answers.slice(-30))).toEqual(new Set(newNames));
  });

  it('a client looping requests while a pod is deleted sees no failed request', async () => {
    const [victim] = await webPods();
    const client = loopingClient(clusterIP, 8080);
    await waitFor(() => client.answers.length >= 20, '20 answers');
    await call('DELETE', `/api/v1/namespaces/${NS}/pods/${victim.metadata.name}`);
    await settled('a replacement ready in the endpoints', (ps) =>
      ps.every((p) => p.metadata.uid !== victim.metadata.uid),
    );
    const seen = client.answers.length;
    await waitFor(() => client.answers.length >= seen + 30, '30 more answers');
    await client.stop();
    expect(client.failures).toEqual([]);
    expect(client.answers.slice(-30)).not.toContain(victim.metadata.name);
  });

  it('a process killed outright costs at most the request it was answering', async () => {
    const client = loopingClient(clusterIP, 8080);
    await waitFor(() => client.answers.length >= 20, '20 answers');
    const [pid] = [...processesWith(marker).keys()];
    process.kill(pid, 'SIGKILL');
    // The container restarts (restartPolicy Always) and is ready again.
    await waitFor(
      async () => processesWith(marker).size === 3 && !processesWith(marker).has(pid),
      'the killed container restarted',
      60_000,
      250,
    );
    await settled('3 ready pods in the endpoints again');
    const seen = client.answers.length;
    await waitFor(() => client.answers.length >= seen + 30, '30 more answers');
    await client.stop();
    // A request the process was in the middle of answering is lost (the connection is
    // reset after bytes were exchanged, so it cannot be retried); new connections to it
    // are refused and go to another pod.
    expect(client.failures.length).toBeLessThanOrEqual(1);
    for (const f of client.failures) expect(f).toMatch(/socket hang up|ECONNRESET/);
  });
});
