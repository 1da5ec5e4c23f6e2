import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  eventually,
  startTestCluster,
  type TestCluster,
} from '../../../worker/src/testing/test-cluster';
import { startAgent, type RunningAgent } from '../agent';
import { loadAgentConfig, type AgentConfig } from '../config';
import { agentLogger } from '../log';

/** A tiny HTTP backend that answers with its name and counts what it served. */
class Backend {
  served = 0;
  port = 0;
  private server?: http.Server;

  constructor(readonly name: string) {}

  async start(): Promise<void> {
    const server = http.createServer((_req, res) => {
      this.served++;
      res.setHeader('Connection', 'close');
      res.end(this.name);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Stops accepting; requests being answered finish. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

/** One GET on a new connection (the proxy balances connections): the body, or a throw. */
function fetchOnce(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** Whether a TCP connection to host:port is refused (nothing listens). */
function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

const tally = (names: string[]) =>
  names.reduce<Record<string, number>>((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {});

describe('the node proxy: Services reach endpoints through two agents (real API, worker, PostgreSQL)', () => {
  let c: TestCluster;
  let dataDir: string;
  let bootstrapToken: string;
  const agents = new Map<string, RunningAgent>();
  const backends = [new Backend('one'), new Backend('two'), new Backend('three')];
  const [one, two, three] = backends;
  const api = () => c.api.api();
  let clusterIP: string;
  let nodePort: number;
  const PORT = 8080;

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
      heartbeatIntervalMs: 1000,
      logLevel: (process.env.BERTH_TEST_LOG as 'debug' | undefined) ?? 'warn',
      proxy: true,
    };
  }
  const startNode = (name: string) =>
    agents.set(name, startAgent(agentConfig(name), agentLogger(agentConfig(name))));
  const proxyOf = (name: string) => agents.get(name)!.proxy!;
  /** The agent whose proxy serves `address`, once one does. */
  const server = (address: string) =>
    eventually(async () => {
      for (const [name, a] of agents) if (a.proxy?.stats().listening.includes(address)) return name;
      return undefined;
    }, `a proxy listening on ${address}`);
  const endpointsFor = (list: Backend[]) => ({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'echo' },
    subsets: list.map((b) => ({
      addresses: [{ ip: '127.0.0.1' }],
      ports: [{ name: 'http', port: b.port, protocol: 'TCP' }],
    })),
  });
  const setEndpoints = (list: Backend[]) =>
    api().put('/api/v1/namespaces/px/endpoints/echo').send(endpointsFor(list)).expect(200);
  /** `n` requests, `parallel` at a time; every answer, in order. */
  const requests = async (n: number, host = clusterIP, port = PORT, parallel = 10) => {
    const out: string[] = [];
    for (let i = 0; i < n; i += parallel)
      out.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(parallel, n - i) }, () => fetchOnce(host, port)),
        )),
      );
    return out;
  };

  beforeAll(async () => {
    c = await startTestCluster(1);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-proxy-test-'));
    await Promise.all(backends.map((b) => b.start()));
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'px' } })
      .expect(201);
    bootstrapToken = (await api().post('/auth/bootstrap-tokens').send({}).expect(201)).body.token;
    startNode('node-a');
    startNode('node-b');
    // A Service without a selector: its Endpoints are ours (the endpoints controller leaves them).
    const svc = await api()
      .post('/api/v1/namespaces/px/services')
      .send({
        metadata: { name: 'echo' },
        spec: { type: 'NodePort', ports: [{ name: 'http', port: PORT, targetPort: 'http' }] },
      })
      .expect(201);
    clusterIP = svc.body.spec.clusterIP;
    nodePort = svc.body.spec.ports[0].nodePort;
    await api().post('/api/v1/namespaces/px/endpoints').send(endpointsFor(backends)).expect(201);
  });

  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => a.stop()));
    await Promise.all(backends.map((b) => b.stop()));
    await c?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the cluster IP from one agent of the host; the other waits for the address', async () => {
    const serving = await server(`${clusterIP}:${PORT}`);
    const other = serving === 'node-a' ? 'node-b' : 'node-a';
    await eventually(
      async () => proxyOf(other).stats().waiting.includes(`${clusterIP}:${PORT}`),
      `${other} waiting for ${clusterIP}:${PORT}`,
    );
    expect(proxyOf(other).stats().listening).not.toContain(`${clusterIP}:${PORT}`);
  });

  it('balances 300 requests over the 3 endpoints', async () => {
    const before = backends.map((b) => b.served);
    const answers = await requests(300);
    const counts = tally(answers);
    expect(Object.keys(counts).sort()).toEqual(['one', 'three', 'two']);
    // Round-robin per connection: an even share each.
    for (const [i, b] of backends.entries()) {
      expect(counts[b.name]).toBe(b.served - before[i]);
      expect(counts[b.name]).toBeGreaterThanOrEqual(80);
    }
    const serving = await server(`${clusterIP}:${PORT}`);
    const stats = proxyOf(serving).stats();
    expect(stats.services['px/echo:http']).toMatchObject({ failures: 0 });
    expect(stats.services['px/echo:http'].connections).toBeGreaterThanOrEqual(300);
  });

  it('retries the next endpoint when one stops: no request fails', async () => {
    const serving = await server(`${clusterIP}:${PORT}`);
    const retriesBefore = proxyOf(serving).stats().retries;
    const errors: string[] = [];
    const answers: string[] = [];
    let stopped = false;
    let afterStop = 0;
    // A client looping requests while `one` goes away (its Endpoints entry stays).
    const client = (async () => {
      while (afterStop < 60) {
        try {
          answers.push(await fetchOnce(clusterIP, PORT));
        } catch (err) {
          errors.push((err as Error).message);
        }
        if (stopped) afterStop++;
      }
    })();
    await eventually(async () => answers.length >= 20, '20 answers before the stop');
    await one.stop();
    const servedByOne = one.served;
    stopped = true;
    await client;
    expect(errors).toEqual([]);
    expect(one.served).toBe(servedByOne);
    expect(tally(answers.slice(-30))).toEqual({ two: 15, three: 15 });
    expect(proxyOf(serving).stats().retries).toBeGreaterThan(retriesBefore);
    expect(proxyOf(serving).stats().services['px/echo:http'].failures).toBe(0);
  });

  it('moves traffic within a second of an Endpoints update', async () => {
    await setEndpoints([three]);
    const changed = Date.now();
    // Three answers in a row from `three` cannot happen while two and three alternate.
    let streak = 0;
    await eventually(
      async () => {
        streak = (await fetchOnce(clusterIP, PORT)) === 'three' ? streak + 1 : 0;
        return streak >= 3;
      },
      'every connection on the remaining endpoint',
      1000,
    );
    const elapsed = Date.now() - changed;
    expect(elapsed).toBeLessThan(1000);
    expect(tally(await requests(20))).toEqual({ three: 20 });
  });

  it('serves the node port on the node address', async () => {
    await server(`127.0.0.1:${nodePort}`);
    expect(tally(await requests(10, '127.0.0.1', nodePort))).toEqual({ three: 10 });
  });

  it('keeps a client on one endpoint with sessionAffinity ClientIP', async () => {
    await setEndpoints([two, three]);
    await eventually(
      async () => new Set(await requests(4, clusterIP, PORT, 1)).size === 2,
      'both endpoints answering',
    );
    await api()
      .patch('/api/v1/namespaces/px/services/echo')
      .set('Content-Type', 'application/merge-patch+json')
      .send({
        spec: {
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        },
      })
      .expect(200);
    const sticky = await eventually(async () => {
      const answers = await requests(20, clusterIP, PORT, 1);
      return new Set(answers).size === 1 ? answers : undefined;
    }, 'one endpoint for this client');
    expect(sticky).toHaveLength(20);
  });

  it('another agent takes the address over when the serving one stops', async () => {
    const serving = await server(`${clusterIP}:${PORT}`);
    await agents.get(serving)!.stop();
    agents.delete(serving);
    const next = await server(`${clusterIP}:${PORT}`);
    expect(next).not.toBe(serving);
    // Answered, and the new proxy keeps the client on one endpoint too.
    expect(new Set(await requests(5)).size).toBe(1);
  });

  it('closes the listeners when the Service is deleted', async () => {
    const [name] = [...agents.keys()];
    await api().delete('/api/v1/namespaces/px/services/echo').expect(200);
    await eventually(
      async () => (await refused(clusterIP, PORT)) && (await refused('127.0.0.1', nodePort)),
      'the cluster IP and node port refusing connections',
    );
    // What is left is the API's own `kubernetes` Service in default.
    const left = proxyOf(name).stats().listening;
    expect(left.filter((a) => a.startsWith(`${clusterIP}:`) || a.endsWith(`:${nodePort}`))).toEqual(
      [],
    );
  });
});
